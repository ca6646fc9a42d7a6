// Two threads against one in the tab: the same production build served twice, by `vite preview`
// (cross-origin isolated, as `npm start` serves it: the model's worker may start a helper thread)
// and by a plain static server (no isolation headers: one thread). Each model is picked through the
// page's file picker in a fresh headless chromium on each server, taking turns, and the script
// prints the kernels the page chose, the first explanation (model loaded → every scene drawn) and
// the median of five prompt changes (→ every scene updated), with one thread as the peer; each
// server goes first in every other round.
//
//   npx tsx bench/tab-threads.ts                      # the built-in model and models of 23, 38 and 81 M parameters
//   npx tsx bench/tab-threads.ts --model /work/bigmodels/gpt2-small --rounds 3
//
// The made models (random halves, GPT-2's vocabulary) are written to a temporary folder and
// deleted at the end; "built-in" measures the page's own model, with nothing picked.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { build, preview } from 'vite';
import { parameterCount } from '../src/model/config.ts';
import { launchChromium, watchedPage } from '../tests/browser/helpers.ts';
import { measurePromptChange, pageReady } from '../tests/browser/page-probe.ts';
import { serveFolder } from '../tests/browser/static-server.ts';
import { TINY_CONFIG, writeTinyModel } from '../tests/browser/tiny-model.ts';

/** Made models by name: layers, width and heads, with GPT-2's vocabulary. */
const MADE: Record<string, { nLayer: number; nEmbd: number; nHead: number }> = {
  '23M': { nLayer: 2, nEmbd: 384, nHead: 6 },
  '38M': { nLayer: 4, nEmbd: 512, nHead: 8 },
  '81M': { nLayer: 6, nEmbd: 768, nHead: 12 },
};
const PROMPTS = ['Once upon a time there was', 'The robots will bring us', 'To be or not to be, that is the', 'Hello there, my old friend', 'A quick brown fox jumps over'];

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: ['built-in', ...Object.keys(MADE)].join(',') },
    model: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '3' },
  },
});
const rounds = Number(values.rounds);
const configFile = new URL('../vite.config.ts', import.meta.url).pathname;

interface Run {
  kernels: string;
  firstMs: number;
  promptMs: number;
}

/** Opens the page, picks `folder` (null: the built-in model), and times the first explanation and five prompt changes. */
async function run(origin: string, folder: string | null): Promise<Run> {
  const browser = await launchChromium();
  try {
    const { page, errors } = await watchedPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${origin}/`);
    await pageReady(page);
    let loaded = await loadedMark(page, 0);
    let firstMs = NaN;
    if (folder) {
      await page.locator('#model-files').setInputFiles(readdirSync(folder).map((f) => join(folder, f)));
      await page.waitForFunction(() => performance.getEntriesByName('model-loaded').length > 1, null, { timeout: 30 * 60_000, polling: 100 });
      loaded = await loadedMark(page, 1);
      await page.waitForFunction((at) => (performance.getEntriesByName('scenes-updated') as PerformanceMark[]).some((m) => m.startTime > at), loaded.at, { timeout: 30 * 60_000 });
      firstMs = await page.evaluate((at) => (performance.getEntriesByName('scenes-updated') as PerformanceMark[]).find((m) => m.startTime > at)!.startTime - at, loaded.at);
    }
    const changes: number[] = [];
    for (const text of PROMPTS) changes.push((await measurePromptChange(page, text)).total);
    if (errors.length > 0) throw new Error(`the page logged errors: ${errors.join('; ')}`);
    changes.sort((a, b) => a - b);
    return { kernels: loaded.kernels, firstMs, promptMs: changes[Math.floor(changes.length / 2)] };
  } finally {
    await browser.close();
  }
}

async function loadedMark(page: Page, index: number): Promise<{ at: number; kernels: string }> {
  return page.evaluate((i) => {
    const mark = performance.getEntriesByName('model-loaded')[i] as PerformanceMark;
    return { at: mark.startTime, kernels: mark.detail.kernels as string };
  }, index);
}

async function main(): Promise<void> {
  const made = mkdtempSync(join(tmpdir(), 'tab-threads-models-'));
  const outDir = mkdtempSync(join(tmpdir(), 'tab-threads-site-'));
  const models: { name: string; folder: string | null }[] = [];
  for (const name of values.models!.split(',').filter(Boolean)) {
    if (name === 'built-in') models.push({ name, folder: null });
    else if (MADE[name]) {
      const config = { ...TINY_CONFIG, ...MADE[name], nPositions: 128 };
      models.push({ name: `${name} (${(parameterCount(config) / 1e6).toFixed(1)} million parameters)`, folder: writeTinyModel(join(made, name), 1, config) });
    } else throw new Error(`unknown model ${name}: use built-in, ${Object.keys(MADE).join(', ')}, or --model DIR`);
  }
  for (const dir of values.model!) models.push({ name: basename(dir), folder: dir });

  console.log(`Building the page into ${outDir} … (machine load average: ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
  await build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview did not report a port');
  const isolated = `http://127.0.0.1:${address.port}`;
  const plain = await serveFolder(outDir, '/');
  const rows: string[] = [];
  try {
    for (const { name, folder } of models) {
      const pairs: { two: Run; one: Run }[] = [];
      for (let round = 1; round <= rounds; round++) {
        // Each goes first in every other round, so neither gains from its place in the order.
        const [two, one] = round % 2 === 1
          ? [await run(isolated, folder), await run(plain.origin, folder)]
          : await run(plain.origin, folder).then(async (first) => [await run(isolated, folder), first]);
        pairs.push({ two, one });
        console.log(`${name}, round ${round}: ${describe(two)} | peer, one thread: ${describe(one)}`);
      }
      const range = (values: number[], digits = 0) => (values.every(Number.isFinite) ? `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}` : '—');
      const kernels = [...new Set(pairs.map((p) => p.two.kernels))].join(', ');
      rows.push(
        `| ${name} | ${kernels} | ${range(pairs.map((p) => p.two.firstMs))} ms | ${range(pairs.map((p) => p.one.firstMs))} ms | ` +
          `${range(pairs.map((p) => p.two.promptMs))} ms | ${range(pairs.map((p) => p.one.promptMs))} ms | ${range(pairs.map((p) => p.two.promptMs / p.one.promptMs), 2)} |`,
      );
    }
  } finally {
    await server.close();
    await plain.close();
    rmSync(outDir, { recursive: true, force: true });
    rmSync(made, { recursive: true, force: true });
  }
  console.log(`\n${rounds} rounds, ranges over them; "isolated" may use two threads, "plain" is the same build on one.\n`);
  console.log('| model | kernels, isolated | first explanation, isolated | plain | prompt change (median of 5), isolated | plain | isolated / plain, prompt change |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

const describe = (r: Run): string => `${r.kernels}, first explanation ${Number.isFinite(r.firstMs) ? `${r.firstMs.toFixed(0)} ms` : '—'}, prompt change ${r.promptMs.toFixed(1)} ms`;

await main();
