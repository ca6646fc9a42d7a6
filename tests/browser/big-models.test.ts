// Large and sharded models in the page, with a stand-in hub: the page asks for the files' sizes
// (HEAD) and shows what the model needs in memory before any weight byte is fetched; a model too
// large for this browser is refused with its size and the limit, having fetched nothing but
// config.json; a sharded model downloads, loads and comes back from the cache; a sharded folder
// picked from disk loads.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { configToHuggingFace, parameterCount, type GPTConfig } from '../../src/model/config.ts';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';
import { TINY_CONFIG, writeTinyModel } from './tiny-model.ts';
import { startFakeHub, type FakeHub } from './fake-hub.ts';
import { pageReady } from './page-probe.ts';
import { writeShardedModel } from '../helpers/sharded.ts';
import { randomModel } from '../helpers/random-model.ts';

const SINGLE = 'someone/tiny';
const SHARDED = 'someone/tiny-sharded';
const HUGE = 'someone/gpt-huge';
const CACHE = 'animated-transformer-models-v1';
let server: ViteDevServer;
let origin: string;
let browser: Browser;
let hub: FakeHub;
let watched: WatchedPage;
let scratch: string;
let shardedDir: string;
/** A config far beyond a 32-bit memory even as halves: 8.3 billion parameters. */
const HUGE_CONFIG: GPTConfig = { nLayer: 40, nHead: 32, nEmbd: 4096, vocabSize: 50257, nPositions: 2048, layerNormEpsilon: 1e-5, tieWordEmbeddings: true };

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'big-models-page-'));
  const single = writeTinyModel(join(scratch, 'single'), 4);
  shardedDir = writeShardedModel(join(scratch, 'sharded'), TINY_CONFIG, randomModel(TINY_CONFIG, 6, 0.2).weights, 3, 'F16');
  const huge = join(scratch, 'huge');
  writeTinyModel(huge, 1);
  for (const f of readdirSync(huge)) rmSync(join(huge, f));
  writeFileSync(join(huge, 'config.json'), JSON.stringify(configToHuggingFace(HUGE_CONFIG)));
  ({ server, origin } = await startVite());
  hub = await startFakeHub(SINGLE, single);
  hub.serve(SHARDED, shardedDir);
  hub.serve(HUGE, huge);
  hub.announce(HUGE, 'model.safetensors', 2 * parameterCount(HUGE_CONFIG) + 100_000);
  browser = await launchChromium();
  watched = await watchedPage(browser);
  await watched.page.addInitScript(`globalThis.ANIMATED_TRANSFORMER_HUB = ${JSON.stringify(hub.origin)};`);
  await watched.page.goto(`${origin}/`);
  await pageReady(watched.page);
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const text = (id: string) => watched.page.locator(`#${id}`).textContent();
const modelName = () => watched.page.evaluate(() => document.querySelector('transformer-scene')!.explanation!.modelName);
const cachedUrls = () => watched.page.evaluate(async (name) => (await (await caches.open(name)).keys()).map((r) => r.url).sort(), CACHE);

async function download(repo: string): Promise<void> {
  const { page } = watched;
  await page.locator('#model-panel').evaluate((el) => ((el as HTMLDetailsElement).open = true));
  await page.locator('#hub-repo').fill(repo);
  await page.locator('#hub-download').click();
}

describe('large and sharded models in the page', () => {
  it('a model too large for this browser is refused with its size and the limit, before any weight byte is fetched', async () => {
    const gets = hub.requests.length;
    await download(HUGE);
    await watched.page.waitForFunction(() => /Could not load/.test(document.getElementById('messages')!.textContent ?? ''));
    const message = (await text('messages')) ?? '';
    expect(message).toMatch(/Could not load someone\/gpt-huge: someone\/gpt-huge needs about \d+\.\d GB of memory: its 8,269,443,072 parameters as 16-bit halves/);
    expect(message).toMatch(/WebAssembly memory, which holds at most 4\.3 GB \(4,294,967,296 bytes\), even with its weights kept as 16-bit halves\. It cannot run here: pick a smaller model\./);
    // Only config.json was fetched; the weights' size came from a HEAD request.
    expect(hub.requests.slice(gets)).toEqual([`/${HUGE}/resolve/main/config.json`]);
    expect(hub.heads).toContain(`/${HUGE}/resolve/main/model.safetensors`);
    expect(await modelName()).toBe('built-in model');
    expect(await text('status')).toMatch(/Still using built-in model/);
    expect(await cachedUrls()).toEqual([]);
  });

  it('a hub model shows what it needs in memory before its weights come, then loads', async () => {
    await download(SINGLE);
    await watched.page.waitForFunction((repo) => document.querySelector('transformer-scene')!.explanation?.modelName === repo, SINGLE);
    expect(await text('model-memory')).toMatch(/^someone\/tiny needs about \d+ MB of memory: its 811,728 parameters as 32-bit floats \(3 MB\), .* of it in WebAssembly memory, which holds at most 4\.3 GB/);
  });

  it('a sharded model downloads every shard, loads, is cached whole, and comes back from the cache', async () => {
    await download(SHARDED);
    await watched.page.waitForFunction((repo) => document.querySelector('transformer-scene')!.explanation?.modelName === repo, SHARDED);
    const base = `${hub.origin}/${SHARDED}/resolve/main/`;
    const shards = readdirSync(shardedDir).filter((f) => f.endsWith('.safetensors'));
    expect(shards.length).toBe(3);
    for (const f of shards) expect(hub.requests).toContain(`/${SHARDED}/resolve/main/${f}`);
    expect((await cachedUrls()).filter((u) => u.startsWith(base))).toEqual(['config.json', 'model.safetensors.index.json', ...shards].map((f) => base + f).sort());
    const before = hub.requests.length + hub.heads.length;
    await watched.page.goto(`${origin}/?model=hub:${SHARDED}`);
    await watched.page.waitForFunction((repo) => document.querySelector('transformer-scene')!.explanation?.modelName === repo, SHARDED);
    expect(hub.requests.length + hub.heads.length).toBe(before);
    expect(await text('model-progress-text')).toMatch(/from your browser's cache/);
  });

  it('a sharded folder picked from disk loads; a shard left out is named', async () => {
    const { page } = watched;
    const files = readdirSync(shardedDir).map((f) => join(shardedDir, f));
    await page.locator('#model-files').setInputFiles(files);
    await page.waitForFunction(() => document.querySelector('transformer-scene')!.explanation?.modelName === 'the model you picked');
    expect(await text('model-memory')).toMatch(/^the model you picked needs about/);
    await page.locator('#model-files').setInputFiles(files.filter((f) => !f.endsWith('00002-of-00003.safetensors')));
    await page.waitForFunction(() => /model-00002-of-00003\.safetensors is missing/.test(document.getElementById('messages')!.textContent ?? ''));
    expect(await text('messages')).toMatch(/model\.safetensors\.index\.json names 3 shards\. Pick all of them/);
    expect(watched.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
