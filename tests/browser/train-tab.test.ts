// "Train your own" in a real browser: a run of a few steps of a tiny model in the training worker
// lowers the loss, is the command line's run (the same losses step by step), draws exactly what
// the worker reported, and ends in every scene; the saved folder (picked folder or .zip) loads
// in Node with the logits the page's model worker computed, bit for bit; bad inputs and
// stopping or restarting a run give their messages and never an error in the console.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser } from 'playwright-core';
import type { TransformerSceneElement } from '../../src/web/player.ts';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';
import { pageReady } from './page-probe.ts';
import { RECORD_TRAINING, showTrainPanel, trainingMessages, typeSettings as typeSettingsIn, waitForTrainMessage } from './train-probe.ts';
import { trainCommand } from '../../src/cli/commands/train.ts';
import { SeededRandom } from '../../src/model/sampling.ts';
import { minimumTextLength, MAX_CHARACTERS, summarizeText } from '../../src/train/text.ts';
import type { Evaluation } from '../../src/train/trainer.ts';
import { lossPlot } from '../../src/web/loss-plot.ts';
import { promptFor } from '../../src/web/train-panel.ts';
import { settingsFromForm, trainCommandLine } from '../../src/web/train-settings.ts';
import type { FromTrainer } from '../../src/web/train-protocol.ts';

let server: ViteDevServer;
let origin: string;
let browser: Browser;
let watched: WatchedPage;
const dir = mkdtempSync(join(tmpdir(), 'train-tab-'));

/** A small text with habits to learn: seeded sentences from a few words. */
function sampleText(characters: number): string {
  const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'to', 'its', 'home'];
  const random = new SeededRandom(7);
  let text = '';
  while (text.length < characters) {
    const n = 3 + Math.floor(random.next() * 5);
    text += Array.from({ length: n }, () => words[Math.floor(random.next() * words.length)]).join(' ') + '.\n';
  }
  return text;
}

const TEXT = sampleText(6000);
/** A tiny run, typed into the settings: field id → value. */
const TINY = { 'max-iters': '24', 'n-layer': '1', 'n-head': '2', 'n-embd': '16', 'block-size': '16', 'batch-size': '8', lr: '0.01' };
const TINY_SETTINGS = settingsFromForm({ maxIters: '24', nLayer: '1', nHead: '2', nEmbd: '16', blockSize: '16', batchSize: '8', lr: '0.01' });

beforeAll(async () => {
  ({ server, origin } = await startVite());
  browser = await launchChromium();
  watched = await watchedPage(browser);
  await watched.page.addInitScript(RECORD_TRAINING);
  await watched.page.goto(`${origin}/`);
  await pageReady(watched.page);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const message = () => watched.page.locator('#train-message').textContent();
const messages = () => trainingMessages(watched.page);

const typeSettings = (values: Record<string, string>) => typeSettingsIn(watched.page, values);

async function pressTrain(): Promise<void> {
  await watched.page.locator('#train-start').click();
}

const waitForMessage = (pattern: RegExp, timeout?: number) => waitForTrainMessage(watched.page, pattern, timeout);

describe('bad input gets a clear message', () => {
  it('no text', async () => {
    await showTrainPanel(watched.page);
    await pressTrain();
    expect(await message()).toMatch(/no text to learn from yet: paste some text or pick a text file/);
  });

  it('a text too short for one window in the validation split says the minimum', async () => {
    await watched.page.locator('#train-text').fill('To be, or not to be.');
    await pressTrain();
    expect(await message()).toContain(`The text has 20 characters; training with a context of 64 needs at least ${minimumTextLength(64).toLocaleString('en-US')}`);
  });

  it('more distinct characters than a model may have says the limit and the count', async () => {
    const many = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('').repeat(4);
    await watched.page.locator('#train-text').fill(many);
    await pressTrain();
    expect(await message()).toContain(`The text has 300 distinct characters; a model trained here has at most ${MAX_CHARACTERS}`);
  });

  it('a binary file and a file that is not UTF-8 are refused by name', async () => {
    const { page } = watched;
    await page.locator('#train-file').setInputFiles({ name: 'picture.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]) });
    await waitForMessage(/picture\.png is not a text file \(byte 8 is a NUL byte/, 60_000);
    await page.locator('#train-file').setInputFiles({ name: 'latin1.txt', mimeType: 'text/plain', buffer: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]) });
    await waitForMessage(/latin1\.txt is not UTF-8 text/, 60_000);
  });

  it('a setting out of range or a width the heads do not divide', async () => {
    await watched.page.locator('#train-text').fill(TEXT);
    // A text this short is summarised at once: nothing above the Train button moves after the paste.
    expect(await watched.page.locator('#train-summary').textContent()).toContain(`Your text: ${TEXT.length.toLocaleString('en-US')} characters`);
    await typeSettings({ 'n-embd': '30' });
    await pressTrain();
    expect(await message()).toMatch(/The width C \(30\) must be divisible by the number of heads \(4\)/);
    await typeSettings({ 'n-embd': '96', 'n-layer': '60' });
    await pressTrain();
    expect(await message()).toMatch(/Blocks must be a whole number from 1 to 6, not “60”/);
    await typeSettings({ 'n-layer': '2' });
    expect(watched.errors).toEqual([]);
  });
});

describe('a run of a few steps', () => {
  let finished: Extract<FromTrainer, { type: 'finished' }>;
  let losses: number[];
  let evaluations: Evaluation[];
  let kernels: string;

  it('lowers the loss, says the text’s entropy, and ends in every scene', async () => {
    const { page } = watched;
    await page.locator('#train-text').fill(TEXT);
    await typeSettings(TINY);
    await pressTrain();
    const done = await waitForMessage(/Every scene now shows your model/);
    const sent = await messages();
    finished = sent.find((m) => m.type === 'finished') as typeof finished;
    losses = sent.flatMap((m) => (m.type === 'step' ? [m.loss] : []));
    evaluations = sent.flatMap((m) => (m.type === 'evaluated' ? [m.evaluation] : []));
    kernels = sent.flatMap((m) => (m.type === 'started' ? [m.info.kernels] : []))[0];
    expect(finished.stopped).toBe(false);
    expect(losses).toHaveLength(24);
    expect(evaluations.map((e) => e.iter)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
    // Training lowered the loss, on the batches it trained on and on held-out text, to below
    // what knowing only the characters' frequencies gives (2.52 nats for this text).
    const entropy = summarizeText(TEXT).entropy;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-4))).toBeLessThan(mean(losses.slice(0, 4)) - 0.3);
    expect(evaluations.at(-1)!.val).toBeLessThan(evaluations[0].val - 0.3);
    expect(evaluations.at(-1)!.val).toBeLessThan(entropy);
    const best = evaluations.reduce((a, b) => (b.val < a.val ? b : a));
    expect(finished.best.step).toBe(best.iter);
    expect(finished.best.val).toBe(best.val);
    expect(done).toContain(`validation loss ${best.val.toFixed(2)} nats per character`);
    // The entropy on screen is the text's.
    expect(await page.locator('#train-summary').textContent()).toContain(`entropy is ${entropy.toFixed(2)} nats per character`);
    expect(done).toContain(`character-frequency entropy of ${entropy.toFixed(2)}`);
    // The default prompt starts with a "T", which the text never uses: the prompt is now the text's start.
    expect(done).toContain('Your prompt had characters your text does not use, so it is now “');
    expect(await page.locator('#prompt').inputValue()).toBe(promptFor('The robots will bring', summarizeText(TEXT).vocabulary, TEXT));
    // Every scene shows the trained model.
    await page.waitForFunction((name) => [...document.querySelectorAll('transformer-scene')].every((el) => el.explanation?.modelName === name), `your model, step ${best.iter}`);
    expect(watched.errors).toEqual([]);
  });

  it('is the command line’s run: the same loss at every step', async () => {
    const file = join(dir, 'text.txt');
    writeFileSync(file, TEXT);
    const args = trainCommandLine(TINY_SETTINGS, file).split(' ').slice(3);
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
    try {
      expect(await trainCommand.run([...args, '--out', join(dir, 'cli-model')])).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
    const cliLosses = [...err.matchAll(/step \d+\/24 \| loss ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(cliLosses).toHaveLength(24);
    // The command line prints four decimals; the browser's fused multiply-add kernels round differently in the last bits.
    for (let i = 0; i < 24; i++) expect(Math.abs(cliLosses[i] - losses[i])).toBeLessThan(1e-3);
  });

  it('plots exactly the losses the worker reported', async () => {
    const { page } = watched;
    const entropy = summarizeText(TEXT).entropy;
    const plot = lossPlot({ loss: losses, evaluations }, { unit: 'character', steps: 24, entropy });
    const drawn = await page.evaluate(() => ({
      train: document.querySelector('#train-plot polyline.train-loss')!.getAttribute('points')!,
      val: document.querySelector('#train-plot polyline.val-loss')!.getAttribute('points')!,
      entropy: Number(document.querySelector('#train-plot line.entropy')!.getAttribute('y1')),
    }));
    const parse = (points: string) => points.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
    const train = parse(drawn.train);
    const val = parse(drawn.val);
    expect(train).toHaveLength(24);
    expect(val).toHaveLength(evaluations.length);
    // Read back through the axes, each drawn point is its step and its loss (to the 3 decimals of a pixel written).
    const { area, lossRange } = plot;
    const stepAt = (x: number) => ((x - area.left) / (area.right - area.left)) * 24;
    const lossAt = (y: number) => lossRange[0] + ((area.bottom - y) / (area.bottom - area.top)) * (lossRange[1] - lossRange[0]);
    const tolerance = ((lossRange[1] - lossRange[0]) / (area.bottom - area.top)) * 0.0006;
    train.forEach(([x, y], i) => {
      expect(stepAt(x)).toBeCloseTo(i + 1, 3);
      expect(Math.abs(lossAt(y) - losses[i])).toBeLessThan(tolerance);
    });
    val.forEach(([x, y], i) => {
      expect(stepAt(x)).toBeCloseTo(evaluations[i].iter, 3);
      expect(Math.abs(lossAt(y) - evaluations[i].val)).toBeLessThan(tolerance);
    });
    expect(Math.abs(lossAt(drawn.entropy) - entropy)).toBeLessThan(tolerance);
    // And the evaluations' table lists the same numbers.
    const rows = await page.locator('#train-evaluations tbody tr').allTextContents();
    expect(rows).toHaveLength(evaluations.length);
    rows.forEach((row, i) => expect(row).toContain(evaluations[i].val.toFixed(2)));
  });

  /** The logits the page's model worker computed for `prompt` with the trained model. */
  async function pageLogits(prompt: string): Promise<number[]> {
    const { page } = watched;
    await page.locator('#prompt').fill(prompt);
    await page.waitForFunction((p) => {
      const ex = document.querySelector('transformer-scene')!.explanation;
      return ex?.prompt === p && ex.modelName.startsWith('your model');
    }, prompt);
    return page.evaluate(() => Array.from(document.querySelector('transformer-scene')!.explanation!.trace.get('logits')!.data));
  }

  /** The same logits from the saved folder, loaded by the command line's loader in Node with the kernel build the page ran. */
  function nodeLogits(folder: string, prompt: string): { kernels: string; data: number[] } {
    const flags = kernels === 'wasm-relaxed-simd' ? ['--experimental-wasm-relaxed-simd'] : [];
    const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', 'tests/helpers/folder-logits.ts', folder, prompt], { encoding: 'utf8' });
    return JSON.parse(out) as { kernels: string; data: number[] };
  }

  it('saves into a picked folder, which loads in Node with the page’s logits bit for bit', async () => {
    const { page } = watched;
    // Stand in for the folder picker (a native dialog) with a folder of the origin's private file system.
    await page.evaluate(() => {
      (globalThis as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker = async () =>
        (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });
    });
    await page.locator('#train-save').click();
    await waitForMessage(/Saved config\.json, animated-transformer\.json, model\.safetensors in the folder picked/, 60_000);
    const files = await page.evaluate(async () => {
      const folder = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked');
      const out: Record<string, number[]> = {};
      for await (const [name, handle] of (folder as unknown as AsyncIterable<[string, FileSystemFileHandle]>)) {
        out[name] = Array.from(new Uint8Array(await (await handle.getFile()).arrayBuffer()));
      }
      return out;
    });
    expect(Object.keys(files).sort()).toEqual(['animated-transformer.json', 'config.json', 'model.safetensors']);
    const folder = join(dir, 'picked');
    mkdirSync(folder);
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name), Uint8Array.from(bytes));
    // The very files the worker made for the best checkpoint.
    expect(Uint8Array.from(files['model.safetensors'])).toEqual(new Uint8Array(finished.best.files.weights));

    const prompt = 'the cat sat on';
    const inPage = await pageLogits(prompt);
    const inNode = nodeLogits(folder, prompt);
    expect(inNode.kernels).toBe(kernels);
    expect(inNode.data).toHaveLength(inPage.length);
    expect(inNode.data).toEqual(inPage);
    // Saving into the same folder again writes nothing over it.
    await page.locator('#train-save').click();
    await waitForMessage(/already holds animated-transformer\.json, config\.json, model\.safetensors|already holds model\.safetensors, animated-transformer\.json, config\.json/, 60_000);
  });

  it('without the folder picker, downloads one .zip holding the same folder', async () => {
    const { page } = watched;
    await page.evaluate(() => delete (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#train-save').click()]);
    const name = `trained-model-step-${finished.best.step}`;
    expect(download.suggestedFilename()).toBe(`${name}.zip`);
    const zip = join(dir, 'model.zip');
    await download.saveAs(zip);
    const entries = unzipSync(new Uint8Array(readFileSync(zip)));
    expect(Object.keys(entries).sort()).toEqual([`${name}/animated-transformer.json`, `${name}/config.json`, `${name}/model.safetensors`]);
    expect(entries[`${name}/model.safetensors`]).toEqual(new Uint8Array(finished.best.files.weights));
    const folder = join(dir, 'unzipped');
    mkdirSync(folder);
    for (const [path, bytes] of Object.entries(entries)) writeFileSync(join(folder, path.split('/')[1]), bytes);
    expect(nodeLogits(folder, 'the cat sat on').data).toEqual(await pageLogits('the cat sat on'));
    expect(watched.errors).toEqual([]);
  });
});

describe('stopping and starting again', () => {
  it('start again discards the run, the scenes play while it trains, and stop ends it with its best checkpoint in the scenes', async () => {
    const { page } = watched;
    await typeSettings({ ...TINY, 'max-iters': '100000' });
    await pressTrain();
    await page.waitForFunction(() => /step \d+ of 100,000/.test(document.getElementById('train-stats')!.textContent ?? ''));
    await pressTrain(); // "Start again"
    expect(await message()).toMatch(/Started again; the run before was discarded/);
    await page.waitForFunction(() => /step \d+ of 100,000/.test(document.getElementById('train-stats')!.textContent ?? ''));
    // Meanwhile a scene in view keeps playing: the page's thread only draws.
    const scene = page.locator('transformer-scene[scene="generation"]');
    await scene.scrollIntoViewIfNeeded();
    const before = await scene.evaluate((el: TransformerSceneElement) => {
      el.play();
      return { time: el.currentTime, steps: (globalThis as unknown as { __trainMessages: { type: string }[] }).__trainMessages.filter((m) => m.type === 'step').length };
    });
    // The scene's clock moves on while steps keep coming (a tiny model's steps can outpace frames, so wait for the clock).
    await scene.evaluate((el: TransformerSceneElement, t) => new Promise<void>((resolve) => {
      const check = () => (el.currentTime > t ? resolve() : requestAnimationFrame(check));
      check();
    }), before.time);
    await page.waitForFunction((n) => (globalThis as unknown as { __trainMessages: { type: string }[] }).__trainMessages.filter((m) => m.type === 'step').length >= n + 3, before.steps);
    expect(await page.locator('#train-stop').isDisabled()).toBe(false); // still training
    await page.locator('#train-stop').click();
    const done = await waitForMessage(/Stopped at step [\d,]+ of 100,000.*Every scene now shows your model/);
    const step = Number(/Stopped at step ([\d,]+)/.exec(done)![1].replace(/,/g, ''));
    expect(done).toMatch(new RegExp(`step ${step}, which is also its best checkpoint|at its best checkpoint, step \\d+`));
    expect(await page.locator('#train-stop').isDisabled()).toBe(true);
    expect(watched.errors).toEqual([]);
  });
});
