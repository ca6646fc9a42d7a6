// The article's prose states no number the model does not have: its dimension spans and the
// paragraph on tokens that share one embedding row are filled from the loaded model, hold "…"
// (no digits) while none has loaded or after a failed load, and the paragraph shows only for a
// model with shared rows. And a deep link straight to the prediction scene labels its tokens
// with their real pieces, never a placeholder. Each test opens its own page.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, pageModelDir, startVite, watchedPage } from './helpers.ts';
import { pageReady } from './page-probe.ts';
import { TINY_CONFIG, writeTinyModel } from './tiny-model.ts';
import { loadModelDir } from '../../src/model/checkpoint-node.ts';
import { headSize, type GPTConfig } from '../../src/model/config.ts';
import { tokensSharingRow } from '../../src/model/weights.ts';
import { gpt2Tokenizer } from '../../src/tokenizer/index.ts';
import type { TransformerSceneElement } from '../../src/web/player.ts';

let server: ViteDevServer;
let origin: string;
let browser: Browser;
let tinyDir: string;

beforeAll(async () => {
  ({ server, origin } = await startVite());
  browser = await launchChromium();
  tinyDir = writeTinyModel(mkdtempSync(join(tmpdir(), 'prose-model-')), 4);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tinyDir) rmSync(tinyDir, { recursive: true, force: true });
});

interface Prose {
  dims: Record<string, string[]>;
  shared: Record<string, string>;
  sharedShown: boolean;
}

/** What the article's number spans say, by name (a dimension may appear several times). */
function prose(page: Page): Promise<Prose> {
  return page.evaluate(() => {
    const dims: Record<string, string[]> = {};
    for (const el of document.querySelectorAll<HTMLElement>('[data-dim]')) (dims[el.dataset.dim!] ??= []).push(el.textContent ?? '');
    const shared: Record<string, string> = {};
    for (const el of document.querySelectorAll<HTMLElement>('[data-shared]')) shared[el.dataset.shared!] = el.textContent ?? '';
    return { dims, shared, sharedShown: !document.getElementById('shared-rows')!.hidden };
  });
}

const count = (n: number) => n.toLocaleString('en-US');

/** The spans a model fills, as the prose should write them for `config` and a prompt of T tokens. */
function expectedDims(config: GPTConfig, T: number): Record<string, string> {
  return {
    T: count(T), C: count(config.nEmbd), H: count(headSize(config)), nHead: count(config.nHead), nLayer: count(config.nLayer),
    V: count(config.vocabSize), nPositions: count(config.nPositions), C4: count(4 * config.nEmbd),
    // The Llama family's prose (hidden for GPT-2) names these: a GPT-2 head is its own key/value head.
    pairs: count(headSize(config) / 2), nKvHead: count(config.nHead), group: count(1),
  };
}

function expectFilled(seen: Prose, want: Record<string, string>): void {
  expect(Object.keys(seen.dims).sort()).toEqual(Object.keys(want).sort());
  for (const [name, texts] of Object.entries(seen.dims)) for (const text of texts) expect(text, name).toBe(want[name]);
}

/** No span holds a digit: every one says "…". */
function expectNoNumbers(seen: Prose): void {
  const texts = [...Object.values(seen.dims).flat(), ...Object.values(seen.shared)];
  expect(texts.length).toBeGreaterThan(10);
  expect(texts.filter((t) => t !== '…')).toEqual([]);
  expect(seen.sharedShown).toBe(false);
}

describe('the article’s prose', () => {
  it('says no number before the model has loaded, then the built-in model’s own, with its shared rows counted', async () => {
    const watched = await watchedPage(browser);
    const { page } = watched;
    // Hold the weights back until the prose has been read.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\.safetensors$/, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => /Loading/.test(document.getElementById('status')!.textContent ?? ''));
    expectNoNumbers(await prose(page));
    release();
    await pageReady(page);
    const { config, weights } = await loadModelDir(pageModelDir());
    const T = gpt2Tokenizer().encode('The robots will bring').length;
    const seen = await prose(page);
    expectFilled(seen, expectedDims(config, T));
    // Counted in Node from the full table; the page counts them in the compact one it downloads.
    const shared = tokensSharingRow(weights.wte, config.nEmbd);
    expect(shared * 2).toBeGreaterThan(config.vocabSize);
    expect(seen.shared).toEqual({ tokens: count(shared), others: count(config.vocabSize - shared) });
    expect(seen.sharedShown).toBe(true);
    expect(watched.errors).toEqual([]);
    await page.context().close();
  });

  it('follows a random model picked from files: its dimensions, and no paragraph on shared rows', async () => {
    const watched = await watchedPage(browser);
    const { page } = watched;
    await page.goto(`${origin}/`);
    await pageReady(page);
    await page.locator('#model-files').setInputFiles(['config.json', 'model.safetensors', 'animated-transformer.json'].map((f) => join(tinyDir, f)));
    await page.waitForFunction(() => document.querySelector<TransformerSceneElement>('transformer-scene')!.explanation?.modelName === 'the model you picked');
    const seen = await prose(page);
    expectFilled(seen, expectedDims(TINY_CONFIG, gpt2Tokenizer().encode('The robots will bring').length));
    expect(seen.sharedShown).toBe(false);
    expect(Object.values(seen.shared)).toEqual(['…', '…']);
    expect(watched.errors).toEqual([]);
    await page.context().close();
  });

  it('says no number after the model failed to load', async () => {
    const watched = await watchedPage(browser);
    const { page } = watched;
    await page.addInitScript(`globalThis.ANIMATED_TRANSFORMER_DEFAULT_MODEL = '/no-such-folder/';`);
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => /Could not load the built-in model/.test(document.getElementById('messages')!.textContent ?? ''));
    expectNoNumbers(await prose(page));
    await page.context().close();
  });
});

describe('a deep link straight to the prediction scene', () => {
  it('labels every token with its real piece, before the table of all pieces has come', async () => {
    const watched = await watchedPage(browser, { reducedMotion: 'reduce' });
    const { page } = watched;
    await page.goto(`${origin}/?${new URLSearchParams({ prompt: 'The robots will bring', scene: 'prediction', t: '30' })}`);
    // Read the moment the scene is built: the worker sends the table of all pieces only after a pause.
    await page.waitForFunction(() => document.querySelector<TransformerSceneElement>('transformer-scene[scene="prediction"]')!.sceneObject !== null);
    const labels = await page.evaluate(() => {
      const el = document.querySelector<TransformerSceneElement>('transformer-scene[scene="prediction"]')!;
      const scene = el.sceneObject!;
      return scene
        .textAt(el.currentTime, el.clientWidth, el.clientHeight)
        .flatMap((t) => t.said)
        .filter((p) => p.claim.kind === 'piece')
        .map((p) => ({ text: p.text, id: (p.claim as { id: number }).id }));
    });
    const tokenizer = gpt2Tokenizer();
    // The table's tokens, the chosen one and the logits' named columns: more than the prompt's.
    expect(new Set(labels.map((l) => l.id)).size).toBeGreaterThan(8);
    for (const { text, id } of labels) {
      expect(text).not.toMatch(/<(token|unused) \d+>/);
      const full = tokenizer.piece(id);
      expect(text === full || (text.endsWith('…') && full.startsWith(text.slice(0, -1))), `${id}: “${text}” is not “${full}”`).toBe(true);
    }
    expect(watched.errors).toEqual([]);
    await page.context().close();
  });
});
