// A Llama-family model in the page: picked as files (one weights file, or shards with their
// index) or downloaded from a local server standing in for the hub, read with its own
// tokenizer, cached, and explained with the same numbers as in Node.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';
import { startFakeHub, type FakeHub } from './fake-hub.ts';
import { articleText, drawnRecords, explanationFromPage, pageExplanation, pageReady, sceneNames, viewScene } from './page-probe.ts';
import type { TransformerSceneElement } from '../../src/web/player.ts';
import { namedValue } from '../../src/model/registry.ts';
import { llamaExplanation, llamaFixture, llamaFixtureDir } from '../helpers/llama-explanation.ts';
import { pieceOf } from '../../src/model/explain.ts';
import { checkShown } from '../helpers/shown-numbers.ts';
import { checkText } from '../helpers/drawn-text.ts';

const SMOL_REPO = 'HuggingFaceTB/SmolLM2-135M'; // the name only: the stand-in hub serves llama-smol-gqa
const SHARDED_REPO = 'someone/qwen2-sharded';
const PROMPT = 'The keeper climbed the stairs';
let server: ViteDevServer;
let origin: string;
let browser: Browser;
let smolHub: FakeHub;
let shardedHub: FakeHub;
let watched: WatchedPage;
/** llama-qwen2-untied without tokenizer_config.json, which a repository need not have. */
let shardedDir: string;

const files = (dir: string, names: string[]) => names.map((n) => join(dir, n));
const modelFiles = (dir: string) => readdirSync(dir).filter((f) => !f.startsWith('reference') && f !== 'lens.json');

beforeAll(async () => {
  shardedDir = mkdtempSync(join(tmpdir(), 'qwen2-sharded-'));
  cpSync(llamaFixtureDir('llama-qwen2-untied'), shardedDir, { recursive: true });
  rmSync(join(shardedDir, 'tokenizer_config.json'));
  ({ server, origin } = await startVite());
  smolHub = await startFakeHub(SMOL_REPO, llamaFixtureDir('llama-smol-gqa'));
  shardedHub = await startFakeHub(SHARDED_REPO, shardedDir);
  browser = await launchChromium();
  watched = await watchedPage(browser);
  await watched.page.addInitScript(`globalThis.ANIMATED_TRANSFORMER_HUB = ${JSON.stringify(smolHub.origin)};`);
  await watched.page.goto(`${origin}/?prompt=${encodeURIComponent(PROMPT)}`);
  await pageReady(watched.page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await smolHub?.close();
  await shardedHub?.close();
  await server?.close();
  if (shardedDir) rmSync(shardedDir, { recursive: true, force: true });
});

/** Waits until the scenes show model `name` of family `family`, and returns what the page's explanation says. */
async function explained(name: string, family: string) {
  await watched.page.waitForFunction(
    ({ name, family }) => {
      const ex = document.querySelector('transformer-scene')!.explanation;
      return ex?.modelName === name && ex.config.family === family;
    },
    { name, family },
    { timeout: 120_000 },
  );
  return watched.page.evaluate(() => {
    const ex = document.querySelector('transformer-scene')!.explanation!;
    const probs = ex.trace.get('probs')!;
    return { tokens: ex.tokens, config: ex.config, lastProbs: Array.from(probs.data.subarray(probs.data.length - ex.config.vocabSize)) };
  });
}

/** The article's text as a reader sees it: hidden paragraphs and spans left out (read from the DOM, as sections out of view are not rendered). */
const visibleProse = () => articleText(watched.page);

describe('a Llama-family model in the page', () => {
  it('the reader picks its files: the page runs it with its own tokenizer, and the numbers are those of Node', async () => {
    const dir = llamaFixtureDir('llama-smol-gqa');
    await watched.page.locator('#model-files').setInputFiles(files(dir, modelFiles(dir)));
    const page = await explained('the model you picked', 'llama');
    const node = await llamaExplanation('llama-smol-gqa', PROMPT);
    expect(page.tokens).toEqual(node.tokens);
    expect(page.tokens[0].text).toBe('<|begin_of_text|>');
    expect(page.config).toEqual(node.config);
    const want = node.trace.get('probs')!.data.subarray(node.trace.get('probs')!.data.length - node.config.vocabSize);
    expect(Math.max(...page.lastProbs.map((p, i) => Math.abs(p - want[i])))).toBeLessThan(1e-6);
    expect(await watched.page.locator('#model-name').textContent()).toMatch(/8 heads sharing 2 key\/value heads/);
  });

  it('shows RoPE instead of the position table, and its numbers are the Node trace’s', async () => {
    const { page } = watched;
    const hidden = (id: string) => page.locator(id).evaluate((el: HTMLElement) => el.hidden);
    expect(await hidden('#s-rope')).toBe(false);
    expect(await hidden('#s-positions')).toBe(true);
    expect(await hidden('#s-sum')).toBe(true);
    expect(await sceneNames(page)).toContain('rope');
    expect(await sceneNames(page)).not.toContain('position-embeddings');
    // The prose says what this model has: RMSNorm, grouped-query attention, the gated MLP, a tied head, no biases.
    const prose = await visibleProse();
    expect(prose).toMatch(/This model uses RMSNorm/);
    expect(prose).toMatch(/grouped-query attention: it has 8 heads of queries but only 2 heads of keys and values/);
    expect(prose).toMatch(/gated feed-forward network/);
    expect(prose).toMatch(/As in GPT-2, that matrix is the token embedding table/);
    expect(prose).toMatch(/and its matrices add no biases/);
    for (const gpt2 of [/subtracts the row.s mean, divides by its standard deviation/, /GPT-2's non-linearity is GELU/, /keeps a second table with one row per position/, /separate output head/]) {
      expect(prose).not.toMatch(gpt2);
    }
    await viewScene(page, 'rope');
    // Every number the page's RoPE scene shows at three moments, with its source, against the same source in Node.
    const shown = await page.locator('transformer-scene[scene="rope"]').evaluate((el: TransformerSceneElement) => {
      const scene = el.sceneObject!;
      const beats = scene.beats!.filter((b) => ['query', 'key', 'scores'].includes(b.name));
      return beats.flatMap((b) => scene.numbersAt(b.endSeconds - 0.01, el.clientWidth, el.clientHeight)).map((n) => ({ text: n.text, value: n.value, tensor: n.source.tensor, index: n.source.index }));
    });
    const node = await llamaExplanation('llama-smol-gqa', PROMPT, { layer: 0, head: 0 });
    const tensors = new Set(shown.map((n) => n.tensor));
    for (const name of ['rope.angles', 'h.0.attn.q', 'h.0.attn.q_rot', 'h.0.attn.k', 'h.0.attn.k_rot', 'rope.dot', 'rope.relative', 'h.0.attn.scores']) expect(tensors).toContain(name);
    for (const n of shown) {
      const truth = namedValue(node, n.tensor)!.data[n.index];
      expect(Math.abs(n.value - truth), `${n.tensor}[${n.index}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(truth)));
    }
  });

  it('inspecting a turned query gives its formula: the pair turned by its position’s angle, with the real numbers', async () => {
    const { page } = watched;
    await viewScene(page, 'rope');
    const el = page.locator('transformer-scene[scene="rope"]');
    // Paused where a turned query is on screen.
    const target = await el.evaluate((scene: TransformerSceneElement) => {
      scene.pause();
      const { width, height } = scene.getBoundingClientRect();
      for (let f = 0.1; f <= 1; f += 0.05) {
        const spot = scene.sceneObject!.spotsAt(scene.duration * f, width, height).find((s) => /^h\.\d+\.attn\.q_rot$/.test(s.source.tensor));
        if (spot) {
          scene.currentTime = scene.duration * f;
          return { x: spot.x + spot.w / 2, y: spot.y + spot.h / 2 };
        }
      }
      return null;
    });
    expect(target).not.toBeNull();
    const box = (await el.boundingBox())!;
    await page.mouse.move(box.x + target!.x, box.y + target!.y);
    const readout = () => el.evaluate((scene) => scene.shadowRoot!.querySelector('.readout')!.textContent ?? '');
    await expect.poll(readout).toMatch(/a · cos θ [−+] b · sin θ|b · cos θ \+ a · sin θ/);
    expect(await readout()).toMatch(/turned together by θ = −?\d/);
    expect(watched.errors).toEqual([]);
  });

  it('states only its own numbers: every dimension in the prose, every digit its scenes draw declared and true', async () => {
    const { page } = watched;
    const dims = await page.evaluate(() => [...document.querySelectorAll<HTMLElement>('[data-dim]')].map((el) => [el.dataset.dim!, el.textContent ?? '']));
    const { config } = await llamaExplanation('llama-smol-gqa', PROMPT);
    const T = (await llamaExplanation('llama-smol-gqa', PROMPT)).tokens.length;
    const want: Record<string, number> = {
      T, C: config.nEmbd, H: config.headDim, pairs: config.headDim / 2, nHead: config.nHead, nKvHead: config.nKvHead, group: config.nHead / config.nKvHead,
      nLayer: config.nLayer, V: config.vocabSize, nPositions: config.nPositions, C4: config.mlpWidth,
    };
    expect(dims.length).toBeGreaterThan(10);
    for (const [name, text] of dims) expect(text, name).toBe(want[name].toLocaleString('en-US'));
    // What the page's scenes draw at each beat, at their size on the page, for the page's own explanation.
    const { tokenizer } = await llamaFixture('llama-smol-gqa');
    const ours = explanationFromPage(await pageExplanation(page), (id) => pieceOf(tokenizer, id));
    const records = await drawnRecords(page);
    expect(new Set(records.map((r) => r.scene))).toContain('rope');
    const problems = records.flatMap((r) => [...checkShown(ours, r.numbers), ...checkText(ours, r.texts)].map((e) => `${r.scene} t=${r.time.toFixed(2)}: ${e}`));
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it('a sharded folder picked as files loads from its index and shards', async () => {
    await watched.page.locator('#model-files').setInputFiles(files(shardedDir, modelFiles(shardedDir)));
    const page = await explained('the model you picked', 'qwen2');
    expect(page.config).toMatchObject({ biases: 'qkv', tieWordEmbeddings: false });
    // Qwen2 here: biases on q/k/v only, every query head its own key/value head, a separate output head.
    const prose = await visibleProse();
    expect(prose).toMatch(/only its query, key and value matrices add biases/);
    expect(prose).toMatch(/keeps a separate output head/);
    expect(prose).not.toMatch(/grouped-query attention/);
  });

  it('picking a Llama-family config.json without its tokenizer says what is missing', async () => {
    const dir = llamaFixtureDir('llama-smol-gqa');
    await watched.page.locator('#model-files').setInputFiles(files(dir, ['config.json', 'model.safetensors']));
    await watched.page.waitForFunction(() => /its own tokenizer\.json/.test(document.getElementById('messages')!.textContent ?? ''));
  });

  it('downloads from the hub only when asked: config, tokenizer, weights, and from the cache next time', async () => {
    const { page } = watched;
    expect(smolHub.requests).toEqual([]);
    await page.locator('#model-panel summary').click();
    await page.locator('#hub-repo').fill(SMOL_REPO);
    await page.locator('#hub-download').click();
    await explained(SMOL_REPO, 'llama');
    const base = `/${SMOL_REPO}/resolve/main/`;
    expect(smolHub.requests).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map((f) => base + f));
    // The weights' size is asked for first, without their bytes.
    expect(smolHub.heads).toEqual([`${base}model.safetensors`]);
    await page.waitForFunction((want) => new URL(location.href).searchParams.get('model') === want, `hub:${SMOL_REPO}`);
    await page.reload();
    await explained(SMOL_REPO, 'llama');
    expect(smolHub.requests).toHaveLength(4);
    expect(smolHub.heads).toHaveLength(1);
    expect(await page.locator('#model-progress-text').textContent()).toMatch(/cache/);
  });

  it('a config.json with absurd sizes is refused after fetching only config.json', async () => {
    const fresh = await watchedPage(browser);
    await fresh.page.addInitScript(`globalThis.ANIMATED_TRANSFORMER_HUB = ${JSON.stringify(smolHub.origin)};`);
    await fresh.page.goto(`${origin}/`);
    await pageReady(fresh.page);
    smolHub.configPatch = { vocab_size: 5_000_000_000 };
    const before = smolHub.requests.length;
    try {
      await fresh.page.locator('#model-panel summary').click();
      await fresh.page.locator('#hub-repo').fill(SMOL_REPO);
      await fresh.page.locator('#hub-download').click();
      await fresh.page.waitForFunction(() => /vocab_size.*more than this program accepts/.test(document.getElementById('messages')!.textContent ?? ''));
    } finally {
      smolHub.configPatch = null;
    }
    expect(smolHub.requests.slice(before)).toEqual([`/${SMOL_REPO}/resolve/main/config.json`]);
    expect(await fresh.page.evaluate(async () => (await (await caches.open('animated-transformer-models-v1')).keys()).length)).toBe(0);
    await fresh.page.context().close();
  });

  it('a sharded repository without tokenizer_config.json: the index, every shard, and a cached reload that asks nothing', async () => {
    const fresh = await watchedPage(browser);
    await fresh.page.addInitScript(`globalThis.ANIMATED_TRANSFORMER_HUB = ${JSON.stringify(shardedHub.origin)};`);
    await fresh.page.goto(`${origin}/`);
    await pageReady(fresh.page);
    await fresh.page.locator('#model-panel summary').click();
    await fresh.page.locator('#hub-repo').fill(SHARDED_REPO);
    await fresh.page.locator('#hub-download').click();
    await fresh.page.waitForFunction((repo) => document.querySelector('transformer-scene')!.explanation?.modelName === repo, SHARDED_REPO, { timeout: 120_000 });
    const base = `/${SHARDED_REPO}/resolve/main/`;
    const shards = readdirSync(shardedDir).filter((f) => /^model-.*\.safetensors$/.test(f)).sort();
    // The small files, then the shards' bytes; sizes first: model.safetensors (not there), then each shard's.
    expect([...shardedHub.requests.slice(0, 4), ...shardedHub.requests.slice(4).sort()]).toEqual(
      ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors.index.json', ...shards].map((f) => base + f),
    );
    expect([shardedHub.heads[0], ...shardedHub.heads.slice(1).sort()]).toEqual(['model.safetensors', ...shards].map((f) => base + f));
    await fresh.page.waitForFunction((want) => new URL(location.href).searchParams.get('model') === want, `hub:${SHARDED_REPO}`);
    const before = [shardedHub.requests.length, shardedHub.heads.length];
    await fresh.page.reload();
    await fresh.page.waitForFunction((repo) => document.querySelector('transformer-scene')!.explanation?.modelName === repo, SHARDED_REPO, { timeout: 120_000 });
    expect([shardedHub.requests.length, shardedHub.heads.length]).toEqual(before);
    expect(fresh.errors.filter((e) => !/404/.test(e))).toEqual([]); // the browser logs the 404s themselves
    await fresh.page.context().close();
  });
});
