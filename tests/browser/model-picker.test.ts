// The model panel in a real browser: a download from a local server standing in for the
// Hugging Face hub (only on request, with progress, cancel and the Cache API), the reader's
// own files, and clear messages for wrong files or a repository that does not exist. Each test
// opens the page in a fresh browser context (an empty cache), so none depends on another.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';
import { writeTinyModel } from './tiny-model.ts';
import { startFakeHub, type FakeHub } from './fake-hub.ts';
import { pageReady } from './page-probe.ts';

const REPO = 'openai-community/gpt2';
let server: ViteDevServer;
let origin: string;
let browser: Browser;
let hub: FakeHub;
let watched: WatchedPage;
/** A tiny GPT-2-vocabulary model that the stand-in hub serves and the reader "picks" from disk. */
let modelDir: string;

beforeAll(async () => {
  modelDir = writeTinyModel(mkdtempSync(join(tmpdir(), 'hub-model-')), 2);
  ({ server, origin } = await startVite());
  hub = await startFakeHub(REPO, modelDir);
  browser = await launchChromium();
});

beforeEach(async () => {
  hub.slow = false;
  watched = await watchedPage(browser);
  await watched.page.addInitScript(`globalThis.ANIMATED_TRANSFORMER_HUB = ${JSON.stringify(hub.origin)};`);
  await watched.page.goto(`${origin}/`);
  await pageReady(watched.page);
});

afterEach(() => watched?.page.context().close());

afterAll(async () => {
  await browser?.close();
  await hub?.close();
  await server?.close();
  if (modelDir) rmSync(modelDir, { recursive: true, force: true });
});

const progressText = () => watched.page.locator('#model-progress-text').textContent();

/** Opens the model panel and asks for `repo` from the stand-in hub. */
async function download(repo: string): Promise<void> {
  await watched.page.locator('#model-panel').evaluate((el) => ((el as HTMLDetailsElement).open = true));
  await watched.page.locator('#hub-repo').fill(repo);
  await watched.page.locator('#hub-download').click();
}

/** Downloads REPO and waits until its model is in use. */
async function downloadModel(): Promise<void> {
  await download(REPO);
  await watched.page.waitForFunction((repo) => document.querySelector('transformer-scene')!.explanation?.modelName === repo, REPO);
}

describe('the model panel', () => {
  it('downloads nothing from the hub until the reader asks', async () => {
    const before = hub.requests.length;
    await watched.page.waitForTimeout(500);
    expect(hub.requests.length).toBe(before);
    expect(watched.requests.filter((u) => u.startsWith(hub.origin))).toEqual([]);
  });

  it('a repository that does not exist gets a message naming the problem', async () => {
    const { page } = watched;
    await download('nobody/missing-model');
    await page.waitForFunction(() => /404/.test(document.getElementById('model-progress-text')!.textContent ?? ''));
    expect(await progressText()).toContain('nobody/missing-model');
  });

  it('a name that is not a repository is refused before any request', async () => {
    const before = hub.requests.length;
    await download('../../etc/passwd');
    expect(await progressText()).toMatch(/not a Hugging Face repository/);
    expect(hub.requests.length).toBe(before);
  });

  it('cancel stops a download and keeps nothing in the cache', async () => {
    const { page } = watched;
    hub.slow = true;
    await download(REPO);
    await page.waitForFunction(() => /model\.safetensors: [\d.]+ of/.test(document.getElementById('model-progress-text')!.textContent ?? ''));
    await page.locator('#hub-cancel').click();
    await page.waitForFunction(() => /cancelled/.test(document.getElementById('model-progress-text')!.textContent ?? ''));
    hub.slow = false;
    const cached = await page.evaluate(async () => (await (await caches.open('animated-transformer-models-v1')).keys()).length);
    expect(cached).toBe(0);
    // The built-in model is still the one in use.
    expect(await page.evaluate(() => document.querySelector('transformer-scene')!.explanation!.modelName)).toBe('built-in model');
  });

  it('a requested download shows progress, loads the model, and the URL names it', async () => {
    const { page } = watched;
    await downloadModel();
    expect(hub.requests).toContain(`/${REPO}/resolve/main/model.safetensors`);
    expect(await progressText()).toContain(`Loaded ${REPO}`);
    // The page writes its URL a moment after a change (one history entry per burst of changes).
    await page.waitForFunction((want) => new URL(location.href).searchParams.get('model') === want, `hub:${REPO}`);
  });

  it('a second visit with the link loads from the cache without touching the network', async () => {
    const { page } = watched;
    await downloadModel();
    await page.waitForFunction((want) => new URL(location.href).searchParams.get('model') === want, `hub:${REPO}`);
    const before = hub.requests.length;
    await page.reload();
    await page.waitForFunction((repo) => document.querySelector('transformer-scene')!.explanation?.modelName === repo, REPO);
    expect(hub.requests.length).toBe(before);
    expect(await progressText()).toMatch(/cache/);
  });

  it('a link naming a hub model this browser has not cached downloads nothing and says what to do', async () => {
    const fresh = await watchedPage(browser);
    await fresh.page.addInitScript(`globalThis.ANIMATED_TRANSFORMER_HUB = ${JSON.stringify(hub.origin)};`);
    const before = hub.requests.length;
    await fresh.page.goto(`${origin}/?model=hub:${REPO}`);
    await pageReady(fresh.page);
    expect(await fresh.page.locator('#messages').textContent()).toMatch(/not in this browser.s cache.*press Download/);
    expect(await fresh.page.evaluate(() => document.querySelector('transformer-scene')!.explanation!.modelName)).toBe('built-in model');
    expect(await fresh.page.locator('#hub-repo').inputValue()).toBe(REPO);
    expect(hub.requests.length).toBe(before);
    await fresh.page.context().close();
  });

  it('when the built-in model cannot be fetched, the page says which file failed', async () => {
    const fresh = await watchedPage(browser);
    await fresh.page.addInitScript(`globalThis.ANIMATED_TRANSFORMER_DEFAULT_MODEL = '/no-such-folder/';`);
    await fresh.page.goto(`${origin}/`);
    await fresh.page.waitForFunction(() => /Could not load the built-in model/.test(document.getElementById('messages')!.textContent ?? ''));
    const message = await fresh.page.locator('#messages').textContent();
    expect(message).toMatch(/no-such-folder\/(config\.json|model\.safetensors|animated-transformer\.json) answered 404/);
    expect(await fresh.page.locator('#status').textContent()).toBe('No model loaded.');
    expect(fresh.errors.filter((e) => !/404/.test(e))).toEqual([]); // the browser logs the failed requests themselves
    await fresh.page.context().close();
  });

  it('the reader can pick a model’s files from their computer', async () => {
    const { page } = watched;
    await page.locator('#model-files').setInputFiles([join(modelDir, 'config.json'), join(modelDir, 'model.safetensors')]);
    await page.waitForFunction(() => document.querySelector('transformer-scene')!.explanation?.modelName === 'the model you picked');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('model') === 'files');
  });

  it('picking only part of a model says which files are needed', async () => {
    const { page } = watched;
    await page.locator('#model-files').setInputFiles([join(modelDir, 'config.json')]);
    await page.waitForFunction(() => /needs both config\.json and model\.safetensors/.test(document.getElementById('messages')!.textContent ?? ''));
    expect(watched.errors).toEqual([]);
  });
});
