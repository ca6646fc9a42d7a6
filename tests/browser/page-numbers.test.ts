// The numbers the reader's browser computes, on the production build served as `npm start`
// serves it (vite build, then vite preview): the page's own explanation, from its worker with its
// kernels (relaxed SIMD) and the compact half-precision embeddings, against the Node trace
// (itself checked against transformers by tests/parity.test.ts) and against transformers' own
// fixtures; and what the page's scenes draw, checked in Node by the number checker and the
// digit rule, with the tokenizer's own pieces (so a placeholder label would fail).

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, startPreview, watchedPage } from './helpers.ts';
import { drawnRecords, explanationFromPage, pageExplanation, pageReady, type PageExplanation } from './page-probe.ts';
import { loadModelDir } from '../../src/model/checkpoint-node.ts';
import { DEFAULT_COMPARE_PROMPT, explain, DEFAULT_SAMPLING } from '../../src/model/explain.ts';
import type { Explanation } from '../../src/model/explanation.ts';
import { GPT } from '../../src/model/gpt.ts';
import { traceTable } from '../../src/model/registry.ts';
import { gpt2Tokenizer } from '../../src/tokenizer/index.ts';
import type { TransformerSceneElement } from '../../src/web/player.ts';
import { checkShown } from '../helpers/shown-numbers.ts';
import { serveFolder } from './static-server.ts';
import { TWO_THREAD_CONFIG, writeTinyModel } from './tiny-model.ts';
import { checkText } from '../helpers/drawn-text.ts';
import { largestDifference } from '../helpers/compare.ts';

const REPO = new URL('../..', import.meta.url).pathname;
const TOLERANCE = 1e-5;
const PROMPTS = ['The robots will bring', 'ROMEO: Is the day so young?', 'Hello, 2 robots 🤖'];

let site: Awaited<ReturnType<typeof startPreview>>;
let browser: Browser;

beforeAll(async () => {
  site = await startPreview();
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

/** Every traced tensor of `ours` against `theirs` by name: the same names and shapes, values within TOLERANCE. */
function compareTraces(ours: Explanation, theirs: Map<string, { shape: number[]; data: ArrayLike<number> }>): string[] {
  const problems: string[] = [];
  const names = traceTable(ours.config, ours.tokens.length).map((e) => e.name);
  expect([...ours.trace.keys()].sort()).toEqual([...names].sort());
  for (const name of names) {
    const a = ours.trace.get(name)!;
    const b = theirs.get(name);
    if (!b) problems.push(`${name}: missing from the reference`);
    else if (a.shape.join() !== b.shape.join()) problems.push(`${name}: shape ${a.shape} against ${b.shape}`);
    else {
      const { diff, at } = largestDifference(a.data, b.data);
      if (diff > TOLERANCE) problems.push(`${name}: differs by ${diff.toExponential(2)} at ${at}`);
    }
  }
  return problems;
}

/** Opens the page on a prompt (a link), waits for every scene with the generated tokens, and returns its explanation. */
async function openPage(prompt: string, origin = site.origin): Promise<{ data: PageExplanation; page: import('playwright-core').Page; kernels: string; errors: string[] }> {
  const watched = await watchedPage(browser);
  const { page } = watched;
  await page.goto(`${origin}/?${new URLSearchParams({ prompt })}`);
  await pageReady(page);
  await page.waitForFunction((p) => document.querySelector<TransformerSceneElement>('transformer-scene[scene="prediction"]')!.explanation?.prompt === p, prompt);
  const kernels = await page.evaluate(() => (performance.getEntriesByName('model-loaded')[0] as PerformanceMark).detail.kernels as string);
  return { data: await pageExplanation(page), page, kernels, errors: watched.errors };
}

describe('the page’s own numbers, on the production build', () => {
  let node: { model: GPT };
  beforeAll(async () => {
    const { config, weights } = await loadModelDir(join(REPO, 'models/default'));
    node = { model: new GPT(config, weights) }; // the plain kernels, the full-width embeddings
  });

  for (const prompt of PROMPTS) {
    it(`“${prompt}”: every traced tensor within ${TOLERANCE} of the Node trace, the same tokens, draws and count; every drawn number and digit true`, async () => {
      const { data, page, kernels, errors } = await openPage(prompt);
      // The page computes with relaxed SIMD where the browser has it (Chromium since 114), not with what Node uses.
      expect(kernels).toBe('wasm-relaxed-simd');
      const tokenizer = gpt2Tokenizer();
      const ours = explanationFromPage(data, (id) => tokenizer.piece(id));
      const reference = explain(node.model, tokenizer, prompt, {
        modelName: 'built-in model', layer: ours.layer, head: ours.head, sampling: DEFAULT_SAMPLING, generateTokens: ours.generation.length, generationWindow: ours.generationWindow,
        compare: DEFAULT_COMPARE_PROMPT,
      });
      expect(ours.tokens.map((t) => t.id)).toEqual(reference.tokens.map((t) => t.id));
      expect(compareTraces(ours, reference.trace)).toEqual([]);
      // The second prompt the comparing scenes set beside it (the page's example one), from its own forward pass in the worker.
      expect(ours.compare?.prompt).toBe(DEFAULT_COMPARE_PROMPT);
      expect(ours.compare!.tokens.map((t) => t.id)).toEqual(reference.compare!.tokens.map((t) => t.id));
      expect(compareTraces(ours.compare!, reference.compare!.trace)).toEqual([]);
      expect(largestDifference(ours.sampledProbs, reference.sampledProbs).diff).toBeLessThanOrEqual(TOLERANCE);
      expect(ours.parameterCount).toBe(reference.parameterCount);
      expect(ours.generation.map((s) => s.chosen.id)).toEqual(reference.generation.map((s) => s.chosen.id));
      // What the page's scenes draw, at each beat, at their size on the page.
      const records = await drawnRecords(page);
      expect(new Set(records.map((r) => r.scene)).size).toBeGreaterThan(10);
      const problems = records.flatMap((r) => [...checkShown(ours, r.numbers), ...checkText(ours, r.texts)].map((e) => `${r.scene} t=${r.time.toFixed(2)}: ${e}`));
      expect(problems.slice(0, 10)).toEqual([]);
      expect(records.flatMap((r) => r.texts).filter((t) => /<(token|unused) \d+>/.test(t.text))).toEqual([]);
      expect(errors).toEqual([]);
      await page.context().close();
    });
  }

  it('a large model computes on two threads where the page is cross-origin isolated, on one elsewhere, every traced number the same to the bit', async () => {
    const dir = writeTinyModel(mkdtempSync(join(tmpdir(), 'page-two-threads-')), 2, TWO_THREAD_CONFIG);
    // The same built files from a plain static server, which sends no isolation headers.
    const plainHost = await serveFolder(site.outDir, '/');
    try {
      const prompt = PROMPTS[1];
      const opened = [];
      for (const origin of [site.origin, plainHost.origin]) {
        const { page, errors } = await openPage(prompt, origin);
        // The built-in model is too small to gain from a second thread (model-worker.ts).
        const builtIn = await page.evaluate(() => (performance.getEntriesByName('model-loaded')[0] as PerformanceMark).detail.kernels as string);
        await page.locator('#model-files').setInputFiles(['config.json', 'model.safetensors', 'animated-transformer.json'].map((f) => join(dir, f)));
        await page.waitForFunction((p) => {
          const ex = document.querySelector<TransformerSceneElement>('transformer-scene[scene="prediction"]')!.explanation;
          return ex?.modelName === 'the model you picked' && ex.prompt === p && ex.generation.length > 0;
        }, prompt);
        const picked = await page.evaluate(() => (performance.getEntriesByName('model-loaded')[1] as PerformanceMark).detail.kernels as string);
        opened.push({ page, errors, builtIn, picked, ours: explanationFromPage(await pageExplanation(page), String) });
      }
      const [isolated, plain] = opened;
      expect([isolated.builtIn, isolated.picked, plain.builtIn, plain.picked]).toEqual(['wasm-relaxed-simd', 'wasm-relaxed-simd-2threads', 'wasm-relaxed-simd', 'wasm-relaxed-simd']);
      const [twoThreads, oneThread] = [isolated.ours, plain.ours];
      expect(twoThreads.trace.size).toBeGreaterThan(30);
      const differing = [...oneThread.trace].filter(([name, t]) => largestDifference(t.data, twoThreads.trace.get(name)!.data).diff !== 0).map(([name]) => name);
      expect(differing).toEqual([]);
      expect(largestDifference(oneThread.sampledProbs, twoThreads.sampledProbs).diff).toBe(0);
      expect(twoThreads.generation.map((s) => s.chosen.id)).toEqual(oneThread.generation.map((s) => s.chosen.id));
      // The helper thread (a Web Worker of the model's worker) ends with its model: a smaller model replacing it has none.
      const helpers = () => isolated.page.workers().filter((w) => w.url().startsWith('blob:')).length;
      expect(helpers()).toBe(1);
      const small = writeTinyModel(join(dir, 'small'));
      await isolated.page.locator('#model-files').setInputFiles(['config.json', 'model.safetensors', 'animated-transformer.json'].map((f) => join(small, f)));
      await isolated.page.waitForFunction(() => performance.getEntriesByName('model-loaded').length === 3);
      await expect.poll(helpers, { timeout: 10_000 }).toBe(0);
      expect([...isolated.errors, ...plain.errors]).toEqual([]);
      await Promise.all(opened.map(({ page }) => page.context().close()));
    } finally {
      await plainHost.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the page’s numbers for transformers’ own fixtures, read as the reader’s files', () => {
  const folders: string[] = [];
  afterAll(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  for (const fixture of ['tiny-tied', 'tiny-untied-f16']) {
    it(`${fixture}: every traced tensor within ${TOLERANCE} of transformers`, async () => {
      const reference = JSON.parse(readFileSync(join(REPO, 'tests/fixtures', fixture, 'reference.json'), 'utf8')) as {
        config: { vocab_size: number };
        ids: number[];
        tensors: Record<string, { shape: number[]; data: number[] }>;
      };
      // A character tokenizer whose character i is token i: the prompt made of the fixture's ids reads as those ids.
      const vocabulary = Array.from({ length: reference.config.vocab_size }, (_, i) => String.fromCodePoint(0x100 + i)).join('');
      const prompt = reference.ids.map((id) => [...vocabulary][id]).join('');
      const dir = mkdtempSync(join(tmpdir(), `page-${fixture}-`));
      folders.push(dir);
      for (const file of ['config.json', 'model.safetensors']) cpSync(join(REPO, 'tests/fixtures', fixture, file), join(dir, file));
      writeFileSync(join(dir, 'animated-transformer.json'), JSON.stringify({ tokenizer: 'char', vocabulary }));

      const watched = await watchedPage(browser);
      const { page } = watched;
      await page.goto(`${site.origin}/`);
      await pageReady(page);
      // The prompt first (the built-in model reads it too), so the fixture's model runs on it as soon as it loads.
      await page.locator('#prompt').fill(prompt);
      await page.locator('#model-files').setInputFiles(['config.json', 'model.safetensors', 'animated-transformer.json'].map((f) => join(dir, f)));
      await page.waitForFunction((p) => {
        const ex = document.querySelector<TransformerSceneElement>('transformer-scene[scene="prediction"]')!.explanation;
        return ex?.modelName === 'the model you picked' && ex.prompt === p;
      }, prompt);
      const ours = explanationFromPage(await pageExplanation(page), (id) => [...vocabulary][id]);
      expect(ours.tokens.map((t) => t.id)).toEqual(reference.ids);
      const theirs = new Map(Object.entries(reference.tensors));
      expect(compareTraces(ours, theirs)).toEqual([]);
      // The comparison can fail: one number off by 1e-3 is caught.
      const off = { ...theirs.get('h.1.out')!, data: theirs.get('h.1.out')!.data.map((v, i) => (i === 3 ? v + 1e-3 : v)) };
      expect(compareTraces(ours, new Map([...theirs, ['h.1.out', off]]))).toHaveLength(1);
      expect(watched.errors).toEqual([]);
      await page.context().close();
    });
  }
});
