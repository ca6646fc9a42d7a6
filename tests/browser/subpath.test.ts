// The built site (`npm run build`) under a sub-path, as a project page is hosted: a plain static
// server (no Vite) serves dist/ at /animated-transformer/ and nothing at the root, and the page
// loads the built-in model, draws its scenes and restores a deep link, with no failed request.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrainingLog, TRAINING_LOG_FILE } from '../../src/train/log.ts';
import { launchChromium, watchedPage } from './helpers.ts';
import { firstSceneName, pageReady, scenePixels } from './page-probe.ts';

const REPO = new URL('../..', import.meta.url).pathname;
const DIST = join(REPO, 'dist');
const PREFIX = '/animated-transformer/';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };

let server: Server;
let origin: string;
let browser: Browser;
const missed: string[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, [join(REPO, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: REPO, stdio: 'ignore' });
  server = createServer(async (req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (!path.startsWith(PREFIX)) {
      missed.push(path);
      res.writeHead(404).end();
      return;
    }
    const file = normalize(join(DIST, path.slice(PREFIX.length) || 'index.html'));
    try {
      const body = await readFile(file.startsWith(DIST) ? file : '/nonexistent');
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      missed.push(path);
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe('the built site under a sub-path', () => {
  it('loads, draws, and a deep link restores the prompt and scene', async () => {
    const watched = await watchedPage(browser);
    await watched.page.goto(`${origin}${PREFIX}`);
    await pageReady(watched.page);
    const name = await firstSceneName(watched.page);
    expect((await scenePixels(watched.page, name, 0.5)).inked).toBeGreaterThan(0.005);

    // A reader who asks for less motion: the scene stays paused at the linked time.
    const linked = await watchedPage(browser, { reducedMotion: 'reduce' });
    await linked.page.goto(`${origin}${PREFIX}?${new URLSearchParams({ prompt: 'Hello there, robots', scene: name, t: '2' })}`);
    await pageReady(linked.page);
    expect(await linked.page.locator('#prompt').inputValue()).toBe('Hello there, robots');
    expect(await linked.page.locator(`transformer-scene[scene="${name}"]`).evaluate((el) => (el as unknown as { currentTime: number }).currentTime)).toBeCloseTo(2, 1);
    expect(missed.filter((p) => p !== '/favicon.ico')).toEqual([]);
    expect([...watched.errors, ...linked.errors]).toEqual([]);
  });

  it('serves the built-in model\'s training history, fetched only when the reader opens its chapter', async () => {
    const hasHistory = existsSync(join(REPO, 'models', 'default', TRAINING_LOG_FILE));
    const watched = await watchedPage(browser);
    await watched.page.goto(`${origin}${PREFIX}`);
    await pageReady(watched.page);
    const summary = watched.page.locator('#history summary');
    if (!hasHistory) {
      // A checkout without a history builds a page that says so.
      expect(await summary.textContent()).toBe('The built-in model in this build has no training history.');
      return;
    }
    const fetched = () => watched.requests.filter((u) => /training-log|step-\d+|\/snapshots\//.test(u) || (u.endsWith('.safetensors') && !u.includes('model.shared-rows')));
    expect(fetched()).toEqual([]);
    await summary.click();
    await watched.page.locator('#history-body').waitFor({ state: 'visible', timeout: 170_000 });
    expect(await watched.page.locator('#history-status').textContent()).toMatch(/^Loaded the model at \d+ points of its training\.$/);
    // The log once, and each snapshot's weights (the build names files by content: only weights differ).
    const log = readTrainingLog(readFileSync(join(REPO, 'models', 'default', TRAINING_LOG_FILE), 'utf8'), 'models/default');
    expect(fetched()).toHaveLength(1 + log.snapshots.length);
    expect(missed.filter((p) => p !== '/favicon.ico')).toEqual([]);
    expect(watched.errors).toEqual([]);
  });
});
