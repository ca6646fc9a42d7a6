// The page's "Compute on the GPU (WebGPU)" switch in headless Chromium: with SwiftShader's adapter
// it is offered (off by default), and turned on, every scene shows the numbers WebAssembly gave,
// to the digits shown; a snapshot chosen in "How it learned" goes to the GPU too, and the scenes
// show its numbers; when the GPU is lost, the page says so and goes on with WebAssembly; a
// Llama-family model stays with WebAssembly and the page says so. With the usual flags (no
// adapter) it is disabled, with a note saying why.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { loadModelDir } from '../../src/model/checkpoint-node.ts';
import { explain } from '../../src/model/explain.ts';
import { GPT } from '../../src/model/gpt.ts';
import { readTrainingLog, TRAINING_LOG_FILE } from '../../src/train/log.ts';
import type { TransformerSceneElement } from '../../src/web/player.ts';
import { trainTinyHistory } from '../helpers/tiny-history.ts';
import { llamaFixtureDir } from '../helpers/llama-explanation.ts';
import { launchChromium, startVite, watchedPage, WEBGPU_ARGS, type WatchedPage } from './helpers.ts';
import { pageReady } from './page-probe.ts';

let server: ViteDevServer;
let origin: string;

beforeAll(async () => {
  ({ server, origin } = await startVite());
});

afterAll(async () => {
  await server?.close();
});

/** Opens the article page in a new Chromium started with the usual flags and `extraArgs`, once every scene is built. */
async function openArticle(extraArgs: string[] = []): Promise<{ browser: Browser; watched: WatchedPage }> {
  const browser = await launchChromium(extraArgs);
  const watched = await watchedPage(browser);
  await watched.page.goto(`${origin}/`);
  await pageReady(watched.page);
  return { browser, watched };
}

/** A number a scene shows, at one of the times sampled. */
interface Shown {
  at: string;
  text: string;
  value: number;
  source: string;
}

/** Every number every scene shows at eight points of its timeline, laid out at 1280 × 720. */
function shownNumbers(page: Page): Promise<Shown[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('transformer-scene')].flatMap((el) => {
      // A scene of a step the model lacks (RoPE for GPT-2) shows nothing.
      const scene = el.sceneObject;
      if (!scene) return [];
      return [1, 2, 3, 4, 5, 6, 7, 8].flatMap((eighth) =>
        scene.numbersAt((scene.durationSeconds * eighth) / 8, 1280, 720).map((n) => ({
          at: `${el.sceneName} at ${eighth}/8`,
          text: n.text,
          value: n.value,
          source: `${n.source.tensor}[${n.source.index}]`,
        })),
      );
    }),
  );
}

/** Opens the model panel, which asks the worker whether the GPU can be used, and waits for the answer. */
async function openModelPanel(page: Page): Promise<string> {
  await page.locator('#model-panel summary').click();
  await page.waitForFunction(() => !/Checking|Opening/.test(document.getElementById('gpu-status')!.textContent!));
  return (await page.locator('#gpu-status').textContent())!;
}

/** Waits until the page has drawn every scene once more after `action`. */
async function afterRedraw(page: Page, action: () => Promise<void>): Promise<void> {
  const before = await page.evaluate(() => performance.getEntriesByName('scenes-updated').length);
  await action();
  await page.waitForFunction((n) => performance.getEntriesByName('scenes-updated').length > n, before, { timeout: 300_000 });
  await pageReady(page);
}

describe('the page with SwiftShader’s WebGPU adapter', () => {
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;

  beforeAll(async () => {
    ({ browser, watched } = await openArticle(WEBGPU_ARGS));
    page = watched.page;
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('offers the GPU once the model panel opens, off by default, and says its speed is unmeasured', async () => {
    expect(await openModelPanel(page)).toBe('Available: WebGPU offers google swiftshader.');
    const box = page.locator('#use-gpu');
    expect(await box.isEnabled()).toBe(true);
    expect(await box.isChecked()).toBe(false);
    expect(await page.locator('#gpu-note').textContent()).toMatch(/not yet been measured on a real GPU/);
  });

  it('with the GPU on, draws every scene with the numbers WebAssembly gave, to the digits shown', { timeout: 600_000 }, async () => {
    const before = await shownNumbers(page);
    await afterRedraw(page, () => page.locator('#use-gpu').check());
    expect(await page.locator('#gpu-status').textContent()).toBe('Computing on the GPU: google swiftshader.');
    expect(await page.evaluate(() => document.body.dataset.compute)).toBe('webgpu');
    const after = await shownNumbers(page);
    expect(after.map((n) => `${n.at}: ${n.source}`)).toEqual(before.map((n) => `${n.at}: ${n.source}`));
    // The values themselves differ by float32 rounding at most (tests/browser/webgpu.test.ts).
    const apart = after.filter((n, i) => !(Math.abs(n.value - before[i].value) <= 1e-5 * (1 + Math.abs(before[i].value))));
    expect(apart).toEqual([]);
    const differentText = after.flatMap((n, i) => (n.text === before[i].text ? [] : [`${n.at} ${n.source}: ${before[i].text} → ${n.text}`]));
    expect(differentText).toEqual([]);
    // And the GPU did compute them: some differ from WebAssembly's in their last bits.
    const differentBits = after.filter((n, i) => n.value !== before[i].value).length;
    expect(differentBits).toBeGreaterThan(0);
    console.log(`${after.length} numbers shown, the same to the digits shown with the GPU on; ${differentBits} differ from WebAssembly's in their last bits`);
    expect(watched.errors).toEqual([]);
  });

  it('when the GPU is lost, says so, computes with WebAssembly again, and the scenes go on', { timeout: 600_000 }, async () => {
    expect(await page.locator('#use-gpu').isChecked()).toBe(true);
    // The real thing: Chromium's GPU process, where SwiftShader's WebGPU runs, goes away.
    const cdp = await browser.newBrowserCDPSession();
    await cdp.send('Browser.crashGpuProcess').catch(() => {}); // the session may close with it
    await afterRedraw(page, () => page.locator('#prompt').fill('The king will bring'));
    await page.waitForFunction(() => document.body.dataset.compute === 'wasm');
    const status = (await page.locator('#gpu-status').textContent())!;
    expect(status).toMatch(/^The GPU stopped working: the GPU device was lost \(.+\)\. The model computes with WebAssembly again\.$/);
    console.log(status);
    expect(await page.locator('#use-gpu').isChecked()).toBe(false);
    expect(await page.locator('#token-list').textContent()).toContain('king');
    expect((await shownNumbers(page)).length).toBeGreaterThan(100);
  });
});

describe('the GPU with a Llama-family model', () => {
  it('stays off for it, saying so, and its scenes show WebAssembly’s numbers', { timeout: 600_000 }, async () => {
    const { browser, watched } = await openArticle(WEBGPU_ARGS);
    const { page } = watched;
    try {
      await openModelPanel(page);
      await afterRedraw(page, () => page.locator('#use-gpu').check());
      expect(await page.evaluate(() => document.body.dataset.compute)).toBe('webgpu');
      const dir = llamaFixtureDir('llama-smol-gqa');
      const files = readdirSync(dir).filter((f) => !f.startsWith('reference') && f !== 'lens.json').map((f) => join(dir, f));
      await page.locator('#model-files').setInputFiles(files);
      await page.waitForFunction(() => document.querySelector<TransformerSceneElement>('transformer-scene')!.explanation?.config.family === 'llama', undefined, { timeout: 120_000 });
      await page.waitForFunction(() => document.body.dataset.compute === 'wasm');
      expect(await page.locator('#gpu-status').textContent()).toMatch(/GPU computes GPT-2’s products only; this model computes with WebAssembly/);
      expect(await page.locator('#use-gpu').isChecked()).toBe(false);
      await pageReady(page);
      expect((await shownNumbers(page)).length).toBeGreaterThan(100);
      expect(watched.errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('the GPU with the training history (How it learned)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webgpu-history-'));
  let historyServer: ViteDevServer;
  let browser: Browser;
  let watched: WatchedPage;
  const PROMPT = 'The robots will bring';

  beforeAll(async () => {
    await trainTinyHistory(dir);
    let historyOrigin: string;
    ({ server: historyServer, origin: historyOrigin } = await startVite([dir]));
    browser = await launchChromium(WEBGPU_ARGS);
    watched = await watchedPage(browser);
    const folder = JSON.stringify(`/@fs${dir}/`);
    await watched.page.addInitScript(`globalThis.ANIMATED_TRANSFORMER_DEFAULT_MODEL = ${folder}; globalThis.ANIMATED_TRANSFORMER_HISTORY = ${folder};`);
    await watched.page.goto(`${historyOrigin}/?prompt=${encodeURIComponent(PROMPT)}`);
    await pageReady(watched.page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await historyServer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a snapshot the reader chooses to the GPU, and the scenes show that snapshot’s numbers', { timeout: 600_000 }, async () => {
    const { page } = watched;
    expect(await openModelPanel(page)).toBe('Available: WebGPU offers google swiftshader.');
    await afterRedraw(page, () => page.locator('#use-gpu').check());
    await page.locator('#history summary').click();
    await page.locator('#history-body').waitFor({ state: 'visible', timeout: 120_000 });
    await page.locator('#history-step').evaluate((el: HTMLInputElement) => {
      el.value = '0';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('built-in model at step 0:'), undefined, { timeout: 120_000 });
    await pageReady(page);
    expect(await page.locator('#gpu-status').textContent()).toBe('Computing on the GPU: google swiftshader.');
    expect(await page.evaluate(() => document.body.dataset.compute)).toBe('webgpu');
    // The prediction is the snapshot's (as Node computes it), not the model the GPU had before.
    const snapshot = readTrainingLog(readFileSync(join(dir, TRAINING_LOG_FILE), 'utf8'), dir).snapshots[0];
    expect(snapshot.step).toBe(0);
    const { config, weights, tokenizer } = await loadModelDir(join(dir, snapshot.dir));
    const ex = explain(new GPT(config, weights), tokenizer, PROMPT, { modelName: 'node' });
    const V = config.vocabSize;
    const T = ex.tokens.length;
    const expected = ex.trace.get('probs')!.data.subarray((T - 1) * V, T * V);
    const shown = await page.evaluate(() => {
      const el = document.querySelector<TransformerSceneElement>('transformer-scene[scene="prediction"]')!;
      const probs = el.explanation!.trace.get('probs')!;
      return { model: el.explanation!.modelName, last: Array.from(probs.data.subarray(probs.data.length - el.explanation!.config.vocabSize)) };
    });
    expect(shown.model).toBe('built-in model at step 0');
    expect(shown.last).toHaveLength(V);
    let worst = 0;
    for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(shown.last[i] - expected[i]));
    expect(worst).toBeLessThan(1e-6);
    expect(watched.errors).toEqual([]);
  });
});

describe('the page with the usual flags (no WebGPU adapter)', () => {
  let browser: Browser;

  afterAll(async () => {
    await browser?.close();
  });

  it('disables the GPU option, with a note saying why', async () => {
    let watched: WatchedPage;
    ({ browser, watched } = await openArticle());
    const { page, errors } = watched;
    expect(await openModelPanel(page)).toBe('Not available here: WebGPU is there but offers no adapter (no GPU it can use, or the browser has GPU use switched off).');
    expect(await page.locator('#use-gpu').isDisabled()).toBe(true);
    expect(errors).toEqual([]);
  });
});
