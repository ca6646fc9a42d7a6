// Shared set-up for the browser tests, the screenshot script and the page benchmark:
// a Vite server on a free port (the development server, or the production build served as
// `npm start` serves it) and Debian's chromium driven by playwright-core.

import { execFileSync } from 'node:child_process';
import { createServer, preview, type ViteDevServer } from 'vite';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { writeTinyModel } from './tiny-model.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Starts Vite's dev server for the repo on a free port; returns its origin ("http://127.0.0.1:PORT").
 * `serve`: more folders it may serve under /@fs/ (a test's own model files).
 */
export async function startVite(serve: string[] = []): Promise<{ server: ViteDevServer; origin: string }> {
  const repo = new URL('../..', import.meta.url).pathname;
  const extra = [...(usesBuiltInModel() ? [] : [pageModelDir()]), ...serve];
  const server = await createServer({
    configFile: new URL('../../vite.config.ts', import.meta.url).pathname,
    logLevel: 'error',
    server: { port: 0, strictPort: false, host: '127.0.0.1', hmr: false, fs: { allow: [repo, ...extra] } },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('Vite did not report a port');
  return { server, origin: `http://127.0.0.1:${address.port}` };
}

/**
 * Added to CHROMIUM_ARGS, these give WebGPU an adapter on a machine without a GPU: SwiftShader,
 * which runs the GPU's work on the CPU (right numbers, no GPU speed).
 */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

/**
 * Builds the site (`vite build`, into a folder of its own so parallel suites do not share one)
 * and serves it with `vite preview` on a free port, as `npm start` does; returns its origin and
 * the built folder.
 */
export async function startPreview(): Promise<{ close(): Promise<void>; origin: string; outDir: string }> {
  const repo = new URL('../..', import.meta.url).pathname;
  const outDir = mkdtempSync(join(tmpdir(), 'animated-transformer-site-'));
  execFileSync(process.execPath, [join(repo, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], { cwd: repo, stdio: 'ignore' });
  const server = await preview({
    configFile: join(repo, 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir },
    preview: { port: 0, strictPort: false, host: '127.0.0.1' },
  });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview did not report a port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    outDir,
    close: async () => {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Launches headless chromium with a fresh profile (playwright makes a temporary one per launch). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
  /** Messages of any alert/confirm/prompt dialogs (which are dismissed). */
  dialogs: string[];
}

/** A new page in its own context that records errors, requests and dialogs. */
export async function watchedPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, ...options });
  const page = await context.newPage();
  // Code compiled by tsx/esbuild may wrap functions in __name(); give the page a no-op one.
  await page.addInitScript('globalThis.__name = (f) => f');
  const override = modelOverrideScript();
  if (override) await page.addInitScript(override);
  const watched: WatchedPage = { page, errors: [], requests: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') watched.errors.push(m.text());
  });
  page.on('pageerror', (e) => watched.errors.push(String(e)));
  page.on('request', (r) => watched.requests.push(r.url()));
  page.on('dialog', (d) => {
    watched.dialogs.push(d.message());
    void d.dismiss();
  });
  return watched;
}

const BUILT_IN_DIR = new URL('../../models/default', import.meta.url).pathname;

/**
 * The folder of the model the page runs as its built-in one here: PAGE_MODEL_DIR when set,
 * else models/default/, else (before the embedded model exists) a tiny random GPT-2-vocabulary
 * model written to a temporary folder.
 */
export function pageModelDir(): string {
  if (process.env.PAGE_MODEL_DIR) return process.env.PAGE_MODEL_DIR.replace(/\/$/, '');
  if (existsSync(join(BUILT_IN_DIR, 'model.safetensors'))) return BUILT_IN_DIR;
  const dir = join(tmpdir(), 'animated-transformer-page-model');
  if (!existsSync(join(dir, 'model.safetensors'))) {
    // Two test files may get here at once: each writes its own folder, the first rename wins.
    const temporary = writeTinyModel(`${dir}.${process.pid}.tmp`, 1);
    try {
      renameSync(temporary, dir);
    } catch {
      rmSync(temporary, { recursive: true, force: true });
    }
  }
  return dir;
}

/** True when the page runs models/default/ as it would for a reader. */
export function usesBuiltInModel(): boolean {
  return pageModelDir() === BUILT_IN_DIR;
}

/** Script that points the page's built-in model at pageModelDir() (served by Vite under /@fs/); empty for models/default/. */
export function modelOverrideScript(): string {
  return usesBuiltInModel() ? '' : `globalThis.ANIMATED_TRANSFORMER_DEFAULT_MODEL = ${JSON.stringify(`/@fs${pageModelDir()}/`)};`;
}
