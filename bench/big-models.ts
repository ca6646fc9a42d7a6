// GPT-2's four sizes in a tab: random-weight checkpoints saved as F32 safetensors as the released
// ones are (scripts/big_models.py, made once and reused), each picked through the page's file
// picker in a fresh headless chromium, printing for each: the load time (pick → model loaded),
// the first explanation (model loaded → every scene drawn), a prompt change (→ every scene
// updated), whether every scene drew the model's numbers, how the weights were kept, and the
// peak memory of the tab's renderer process and of chromium's whole process tree (RSS from /proc).
// With large and XL both asked for, a last row loads XL in the tab that holds large: the page
// unloads large first (both would not fit in one 32-bit memory), so the peak stays one model's.
// Usage: npx tsx bench/big-models.ts [--dir /work/bigmodels] [--sizes small,medium,large,xl] [--python PATH]
// The checkpoints take 0.5, 1.4, 3.1 and 6.2 GB: give --dir a disk with room, outside the repository.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, preview } from 'vite';
import type { Page } from 'playwright-core';
import { launchChromium, watchedPage } from '../tests/browser/helpers.ts';
import { measurePromptChange, pageReady, sceneNumbers } from '../tests/browser/page-probe.ts';

const SIZES = ['small', 'medium', 'large', 'xl'];
const configFile = new URL('../vite.config.ts', import.meta.url).pathname;
const repo = new URL('..', import.meta.url).pathname;

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '/work/bigmodels' },
    sizes: { type: 'string', default: SIZES.join(',') },
    python: { type: 'string', default: '/opt/torchenv/bin/python' },
  },
});
const sizes = values.sizes!.split(',');
const unknown = sizes.filter((s) => !SIZES.includes(s));
if (unknown.length > 0) throw new Error(`unknown size ${unknown.join(', ')}; choose from ${SIZES.join(', ')}`);

/** RSS of every process below this one (chromium and its helpers), in bytes, and of its renderers. */
function processTreeMemory(): { total: number; renderer: number } {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  let total = 0;
  let renderer = 0;
  for (const pid of parent.keys()) {
    if (!below(pid)) continue;
    try {
      const rss = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
      total += rss;
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) renderer = Math.max(renderer, rss);
    } catch {
      // the process ended meanwhile
    }
  }
  return { total, renderer };
}

/** Samples the process tree every 200 ms until stopped; returns the peaks. */
function sampleMemory(): () => { total: number; renderer: number } {
  const peak = { total: 0, renderer: 0 };
  const sample = () => {
    const now = processTreeMemory();
    peak.total = Math.max(peak.total, now.total);
    peak.renderer = Math.max(peak.renderer, now.renderer);
  };
  sample();
  const timer = setInterval(sample, 200);
  return () => {
    clearInterval(timer);
    sample();
    return peak;
  };
}

const marks = (page: Page, name: string) =>
  page.evaluate((n) => (performance.getEntriesByName(n) as PerformanceMark[]).map((m) => ({ at: m.startTime, detail: m.detail })), name);

interface Figures {
  size: string;
  fileBytes: number;
  loadMs: number;
  firstMs: number;
  firstWorkerMs: number;
  promptMs: number;
  promptWorkerMs: number;
  scenesDrawn: string;
  plan: string;
  /** The kernels the model computed with (two threads where the page is cross-origin isolated, as here). */
  kernels: string;
  /** The tab before the model was picked (the page with its built-in model). */
  startRenderer: number;
  peakRenderer: number;
  peakTotal: number;
  error?: string;
}

/** Picks a folder's files in the page and waits until the model has loaded (or failed); returns the 'model-loaded' mark. */
async function pick(page: Page, folder: string): Promise<{ at: number; picked: number; kernels: string }> {
  const before = (await marks(page, 'model-loaded')).length;
  const picked = await page.evaluate(() => performance.now());
  const files = readdirSync(folder).filter((f) => f.endsWith('.json') || f.endsWith('.safetensors')).map((f) => join(folder, f));
  await page.locator('#model-files').setInputFiles(files);
  const outcome = await page.waitForFunction(
    (n) => performance.getEntriesByName('model-loaded').length > n || /Could not load/.test(document.getElementById('messages')!.textContent ?? ''),
    before,
    { timeout: 30 * 60_000, polling: 250 },
  );
  await outcome.dispose();
  const loaded = (await marks(page, 'model-loaded'))[before];
  if (!loaded) throw new Error((await page.locator('#messages').textContent()) ?? 'the model did not load');
  return { at: loaded.at, picked, kernels: loaded.detail.kernels as string };
}

async function measure(origin: string, size: string, folder: string, first: string | null = null): Promise<Figures> {
  const fileBytes = readdirSync(folder).reduce((sum, f) => sum + statSync(join(folder, f)).size, 0);
  const browser = await launchChromium();
  const stop = sampleMemory();
  const figures: Figures = { size, fileBytes, loadMs: NaN, firstMs: NaN, firstWorkerMs: NaN, promptMs: NaN, promptWorkerMs: NaN, scenesDrawn: '', plan: '', kernels: '', startRenderer: 0, peakRenderer: 0, peakTotal: 0 };
  try {
    const { page, errors } = await watchedPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${origin}/`);
    await pageReady(page);
    figures.startRenderer = processTreeMemory().renderer;
    if (first) await pick(page, first);
    const loaded = await pick(page, folder);
    figures.plan = (await page.locator('#model-memory').textContent()) ?? '';
    figures.kernels = loaded.kernels;
    figures.loadMs = loaded.at - loaded.picked;
    // Every scene, generated tokens included, drawn with the new model's numbers.
    await page.waitForFunction(
      (at) => (performance.getEntriesByName('scenes-updated') as PerformanceMark[]).some((m) => m.startTime > at),
      loaded.at,
      { timeout: 30 * 60_000, polling: 250 },
    );
    const updated = (await marks(page, 'scenes-updated')).find((m) => m.at > loaded.at)!;
    figures.firstMs = updated.at - loaded.at;
    figures.firstWorkerMs = updated.detail.explainMilliseconds as number;
    const names = await page.evaluate(() => [...document.querySelectorAll('transformer-scene')].map((el) => el.explanation?.modelName ?? ''));
    const numbers = await sceneNumbers(page);
    const drawn = numbers.filter((n, i) => n.length > 0 && names[i] === 'the model you picked').length;
    figures.scenesDrawn = `${drawn}/${numbers.length}`;
    // A prompt change: typed, then every scene updated.
    const change = await measurePromptChange(page, 'Once upon a time there was');
    figures.promptMs = change.total;
    figures.promptWorkerMs = change.explain;
    const unexpected = errors.filter((e) => !/Failed to load resource/.test(e));
    if (unexpected.length > 0) figures.error = unexpected.join('; ');
  } catch (error) {
    figures.error = (error as Error).message.split('\n')[0];
  } finally {
    const peak = stop();
    figures.peakRenderer = peak.renderer;
    figures.peakTotal = peak.total;
    await browser.close();
  }
  return figures;
}

async function main(): Promise<void> {
  for (const size of sizes) {
    const folder = join(values.dir!, `gpt2-${size}`);
    if (existsSync(join(folder, 'config.json'))) continue;
    console.log(`Making ${folder} with transformers …`);
    const made = spawnSync(values.python!, [join(repo, 'scripts/big_models.py'), values.dir!, size], { stdio: 'inherit' });
    if (made.status !== 0) throw new Error(`scripts/big_models.py failed for ${size}`);
  }
  const outDir = mkdtempSync(join(tmpdir(), 'big-models-bench-'));
  console.log(`Building the page into ${outDir} … (machine load average: ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
  await build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview did not report a port');
  const origin = `http://127.0.0.1:${address.port}`;
  const rows: Figures[] = [];
  try {
    for (const size of sizes) {
      console.log(`\nGPT-2 ${size}: picking ${join(values.dir!, `gpt2-${size}`)} …`);
      const row = await measure(origin, size, join(values.dir!, `gpt2-${size}`));
      rows.push(row);
      report(row);
    }
    if (sizes.includes('large') && sizes.includes('xl')) {
      console.log('\nGPT-2 xl in the tab that holds large …');
      const row = await measure(origin, 'xl after large', join(values.dir!, 'gpt2-xl'), join(values.dir!, 'gpt2-large'));
      rows.push(row);
      report(row);
    }
  } finally {
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
  console.log('\n| size | file | load | first explanation | prompt change | scenes | peak RSS, tab (before the pick) | peak RSS, chromium |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.size} | ${gb(r.fileBytes)} | ${s(r.loadMs)} | ${s(r.firstMs)} | ${s(r.promptMs)} | ${r.error ? `failed: ${r.error}` : r.scenesDrawn} | ${gb(r.peakRenderer)} (${gb(r.startRenderer)}) | ${gb(r.peakTotal)} |`);
  }
}

function report(row: Figures): void {
  console.log(row.error ? `  failed: ${row.error}` : `  ${row.plan} (kernels: ${row.kernels})`);
  console.log(`  load ${s(row.loadMs)}, first explanation ${s(row.firstMs)} (worker ${s(row.firstWorkerMs)}), prompt change ${s(row.promptMs)} (worker ${s(row.promptWorkerMs)}), scenes drawn ${row.scenesDrawn}, peak RSS: tab ${gb(row.peakRenderer)} (${gb(row.startRenderer)} before the pick), chromium ${gb(row.peakTotal)}`);
}

const s = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s` : '—');
const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(2)} GB`;

await main();
