// The built site (`npm run build`) under a sub-path, as a project page is hosted: a plain static
// server (no Vite) serves dist/ at /animated-transformer/ and nothing at the root, and the page
// loads the built-in model, draws its scenes and restores a deep link, with no failed request.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrainingLog, TRAINING_LOG_FILE } from '../../src/train/log.ts';
import { launchChromium, watchedPage } from './helpers.ts';
import { firstSceneName, pageReady, scenePixels } from './page-probe.ts';
import { serveFolder, type StaticServer } from './static-server.ts';

const REPO = new URL('../..', import.meta.url).pathname;
const PREFIX = '/animated-transformer/';

let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  execFileSync(process.execPath, [join(REPO, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: REPO, stdio: 'ignore' });
  server = await serveFolder(join(REPO, 'dist'), PREFIX);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the built site under a sub-path', () => {
  it('loads, draws, and a deep link restores the prompt and scene', async () => {
    const watched = await watchedPage(browser);
    await watched.page.goto(server.url);
    await pageReady(watched.page);
    const name = await firstSceneName(watched.page);
    expect((await scenePixels(watched.page, name, 0.5)).inked).toBeGreaterThan(0.005);

    // A reader who asks for less motion: the scene stays paused at the linked time.
    const linked = await watchedPage(browser, { reducedMotion: 'reduce' });
    await linked.page.goto(`${server.url}?${new URLSearchParams({ prompt: 'Hello there, robots', scene: name, t: '2' })}`);
    await pageReady(linked.page);
    expect(await linked.page.locator('#prompt').inputValue()).toBe('Hello there, robots');
    expect(await linked.page.locator(`transformer-scene[scene="${name}"]`).evaluate((el) => (el as unknown as { currentTime: number }).currentTime)).toBeCloseTo(2, 1);
    expect(server.missed.filter((p) => p !== '/favicon.ico')).toEqual([]);
    expect([...watched.errors, ...linked.errors]).toEqual([]);
  });

  it('serves the built-in model\'s training history, fetched only when the reader opens its chapter', async () => {
    const hasHistory = existsSync(join(REPO, 'models', 'default', TRAINING_LOG_FILE));
    const watched = await watchedPage(browser);
    await watched.page.goto(server.url);
    await pageReady(watched.page);
    const summary = watched.page.locator('#history summary');
    if (!hasHistory) {
      // A checkout without a history builds a page that says so, and hides the prose about the snapshots.
      expect(await summary.textContent()).toBe('The built-in model in this build has no training history.');
      expect(await watched.page.locator('#s-history p.needs-history').evaluateAll((ps) => ps.map((p) => (p as HTMLElement).hidden))).toEqual([true, true]);
      return;
    }
    const fetched = () => watched.requests.filter((u) => /training-log|step-\d+|\/snapshots\//.test(u) || u.endsWith('.safetensors'));
    // Before the chapter opens, only the built-in model's own weights. (The build names files by
    // content, so they may share a file with the snapshot of the same step.)
    const atStart = fetched();
    expect(atStart).toHaveLength(1);
    expect(atStart[0]).toMatch(/\.safetensors$/);
    await summary.click();
    await watched.page.locator('#history-body').waitFor({ state: 'visible', timeout: 170_000 });
    expect(await watched.page.locator('#history-status').textContent()).toMatch(/^Loaded the model at \d+ points of its training\.$/);
    // The log once, and each snapshot's weights (the build names files by content: only weights differ).
    const log = readTrainingLog(readFileSync(join(REPO, 'models', 'default', TRAINING_LOG_FILE), 'utf8'), 'models/default');
    expect(fetched().length - atStart.length).toBe(1 + log.snapshots.length);
    expect(server.missed.filter((p) => p !== '/favicon.ico')).toEqual([]);
    expect(watched.errors).toEqual([]);
  });
});
