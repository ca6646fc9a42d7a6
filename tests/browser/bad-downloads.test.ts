// Broken hub downloads never reach the cache: in one browser profile, a truncated file, a garbled
// safetensors header, a wrong content-length and a dropped connection each give a clear message
// and leave the cache empty; a copy in the cache that fails to load is removed with an offer to
// download again; a config.json with absurd sizes is refused before the weights are fetched;
// the good file then loads and, after a reload, comes from the cache. Every test
// starts from an empty cache and a fresh page, so none depends on another having run.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';
import { writeTinyModel } from './tiny-model.ts';
import { startFakeHub, type FakeHub, type HubFault } from './fake-hub.ts';
import { pageReady } from './page-probe.ts';

const REPO = 'openai-community/gpt2';
const CACHE = 'animated-transformer-models-v1';
let server: ViteDevServer;
let origin: string;
let browser: Browser;
let hub: FakeHub;
let watched: WatchedPage; // one page, one context: one browser profile for every test
let modelDir: string;

beforeAll(async () => {
  modelDir = writeTinyModel(mkdtempSync(join(tmpdir(), 'bad-hub-model-')), 3);
  ({ server, origin } = await startVite());
  hub = await startFakeHub(REPO, modelDir);
  browser = await launchChromium();
  watched = await watchedPage(browser);
  await watched.page.addInitScript(`globalThis.ANIMATED_TRANSFORMER_HUB = ${JSON.stringify(hub.origin)};`);
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
  await server?.close();
  if (modelDir) rmSync(modelDir, { recursive: true, force: true });
});

beforeEach(async () => {
  hub.fault = null;
  hub.configPatch = null;
  await watched.page.goto(`${origin}/`);
  await watched.page.evaluate((name) => caches.delete(name), CACHE);
  await pageReady(watched.page);
});

const cachedUrls = () => watched.page.evaluate(async (name) => (await (await caches.open(name)).keys()).map((r) => r.url), CACHE);
const modelName = () => watched.page.evaluate(() => document.querySelector('transformer-scene')!.explanation!.modelName);
const text = (id: string) => watched.page.locator(`#${id}`).textContent();

async function download(): Promise<void> {
  const { page } = watched;
  await page.locator('#model-panel').evaluate((el) => ((el as HTMLDetailsElement).open = true));
  await page.locator('#hub-repo').fill(REPO);
  await page.locator('#hub-download').click();
}

const FAULTS: [HubFault, RegExp][] = [
  ['truncated', /model\.safetensors: (header length|tensor ".*": data_offsets|.*truncated)/],
  ['corrupt-header', /model\.safetensors: header is not valid JSON/],
  ['wrong-length', /model\.safetensors (sent \d+ bytes but announced \d+|broke off after \d+ bytes)/],
  ['drop', /model\.safetensors (sent \d+ bytes but announced \d+|broke off after \d+ bytes)/],
];

describe('downloads that cannot poison the cache', () => {
  for (const [fault, message] of FAULTS) {
    it(`a ${fault} download gives a clear message and leaves nothing in the cache`, async () => {
      hub.fault = fault;
      await download();
      await watched.page.waitForFunction(() => /Could not load/.test(document.getElementById('messages')!.textContent ?? ''), undefined, { timeout: 30_000 });
      const shown = (await text('messages')) ?? '';
      expect(shown).toContain(`Could not load ${REPO}`);
      expect(shown).toMatch(message);
      expect(await cachedUrls()).toEqual([]);
      expect(await modelName()).toBe('built-in model');
      expect(watched.errors.filter((e) => !/Failed to load resource|ERR_/.test(e))).toEqual([]);
    });
  }

  it('after every broken download in this profile, the good file loads, is cached, and comes from the cache after a reload', async () => {
    for (const [fault] of FAULTS) {
      hub.fault = fault;
      await download();
      await watched.page.waitForFunction(() => /Could not load/.test(document.getElementById('messages')!.textContent ?? ''), undefined, { timeout: 30_000 });
      expect(await cachedUrls()).toEqual([]);
    }
    hub.fault = null;
    await download();
    await watched.page.waitForFunction((repo) => document.querySelector('transformer-scene')!.explanation?.modelName === repo, REPO);
    expect((await cachedUrls()).sort()).toEqual([`${hub.origin}/${REPO}/resolve/main/config.json`, `${hub.origin}/${REPO}/resolve/main/model.safetensors`]);
    await watched.page.waitForFunction((want) => new URL(location.href).searchParams.get('model') === want, `hub:${REPO}`);
    const before = hub.requests.length;
    await watched.page.reload();
    await watched.page.waitForFunction((repo) => document.querySelector('transformer-scene')!.explanation?.modelName === repo, REPO);
    expect(hub.requests.length).toBe(before);
    expect(await text('model-progress-text')).toMatch(/from your browser's cache/);
  });

  it('a config.json with absurd sizes is refused before its weights are downloaded', async () => {
    hub.configPatch = { vocab_size: 1e9 };
    const before = hub.requests.length;
    await download();
    await watched.page.waitForFunction(() => /Could not load/.test(document.getElementById('messages')!.textContent ?? ''));
    expect(await text('messages')).toMatch(/config\.json: vocab_size is 1,000,000,000, more than this program accepts \(at most 1,000,000\);.*fix vocab_size/);
    expect(hub.requests.slice(before)).toEqual([`/${REPO}/resolve/main/config.json`]);
    expect(await cachedUrls()).toEqual([]);
    expect(await modelName()).toBe('built-in model');
  });

  it('a cached copy that fails to load is removed, the page says so and offers to download again', async () => {
    const { page } = watched;
    // A broken copy as an older version of the page could have stored it.
    const good = readFileSync(join(modelDir, 'model.safetensors'));
    const config = readFileSync(join(modelDir, 'config.json'), 'utf8');
    const base = `${hub.origin}/${REPO}/resolve/main/`;
    await page.evaluate(async ({ name, base, config, cut }) => {
      const cache = await caches.open(name);
      await cache.put(`${base}config.json`, new Response(config));
      await cache.put(`${base}model.safetensors`, new Response(new Uint8Array(cut)));
    }, { name: CACHE, base, config, cut: [...good.subarray(0, 4000)] });
    const before = hub.requests.length;
    await page.goto(`${origin}/?model=hub:${REPO}`);
    await pageReady(page);
    await page.waitForFunction(() => /was removed/.test(document.getElementById('messages')!.textContent ?? ''));
    expect(await text('messages')).toMatch(/Could not load openai-community\/gpt2: the copy in your browser's cache could not be loaded \(.*model\.safetensors.*\), so it was removed\. Press “Download again”/);
    expect(await cachedUrls()).toEqual([]);
    expect(hub.requests.length).toBe(before); // a cached copy is checked without the network
    expect(await modelName()).toBe('built-in model'); // the page runs on, with the built-in model
    expect(await text('hub-download')).toBe('Download again');
    await page.locator('#hub-download').click();
    await page.waitForFunction((repo) => document.querySelector('transformer-scene')!.explanation?.modelName === repo, REPO);
    expect(await text('hub-download')).toBe('Download');
    expect((await cachedUrls()).length).toBe(2);
  });
});
