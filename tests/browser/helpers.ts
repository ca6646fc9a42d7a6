// Shared set-up for the browser tests, the screenshot script and the page benchmark:
// a Vite server on a free port and Debian's chromium driven by playwright-core.

import { createServer, type ViteDevServer } from 'vite';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts Vite's dev server for the repo on a free port; returns its origin ("http://127.0.0.1:PORT"). */
export async function startVite(): Promise<{ server: ViteDevServer; origin: string }> {
  const repo = new URL('../..', import.meta.url).pathname;
  const extra = process.env.PAGE_MODEL_DIR ? [process.env.PAGE_MODEL_DIR] : [];
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

/** Launches headless chromium with a fresh profile (playwright makes a temporary one per launch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
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

/**
 * Script that makes the page load its "built-in" model from PAGE_MODEL_DIR (a folder outside the
 * repo, served by Vite under /@fs/) instead of models/default/; empty when the variable is unset.
 */
export function modelOverrideScript(): string {
  const dir = process.env.PAGE_MODEL_DIR;
  return dir ? `globalThis.ANIMATED_TRANSFORMER_DEFAULT_MODEL = ${JSON.stringify(`/@fs${dir.replace(/\/?$/, '/')}`)};` : '';
}

/** The folder of the model the page runs as its built-in one in these tests (GPT-2 vocabulary). */
export function pageModelDir(): string {
  const dir = process.env.PAGE_MODEL_DIR ?? new URL('../../models/default', import.meta.url).pathname;
  if (!existsSync(`${dir}/model.safetensors`)) throw new Error(`no model at ${dir}: build models/default first or set PAGE_MODEL_DIR`);
  return dir;
}
