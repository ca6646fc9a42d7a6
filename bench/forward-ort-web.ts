// Benchmark (not a test): our engine against onnxruntime-web, the runtime Transformer Explainer
// uses, in one headless Chromium run, each in a Web Worker (bench/forward-ort-web/), on the same
// GPT-2 small weights: an untraced pass (logits of every position) at T = 16 and T = 128, and
// decoding one token on a 16-token prompt's KV cache. The sides take turns pass by pass after
// warm-up passes; best and median of --reps, printed as ours / ORT.
//
//   npx tsx bench/forward-ort-web.ts [--reps 5] [--warmup 2] [--model DIR] [--python PATH]
//
// The weights: a random model of GPT-2 small's shape (bench/random-weights.ts, as bench/forward.ts
// makes it), written as an F32 safetensors folder to a temporary directory, or --model's folder.
// bench/onnx_export.py (PyTorch, onnx, onnxscript) exports that same file to ONNX beside it; Vite
// serves the folder and onnxruntime-web's .wasm from node_modules (nothing from a CDN). Before
// any timing, the last row of both sides' logits must agree within 1e-3 at both lengths and
// after the decoding step, or the script stops with exit code 1.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { GPT2_SMALL, parameterCount, type GPTConfig } from '../src/model/config.ts';
import { CONFIG_FILE, configFromText, WEIGHTS_FILE } from '../src/model/checkpoint.ts';
import { saveModelDir } from '../src/model/checkpoint-node.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';
import { launchChromium, startVite } from '../tests/browser/helpers.ts';
import { randomIds, randomWeights } from './random-weights.ts';
import type { Request, SideReady } from './forward-ort-web/protocol.ts';
import type { SideName } from './forward-ort-web/main.ts';

const SEED = 2; // bench/forward.ts's, so both benchmarks run the same weights
const LENGTHS = [16, 128];
const PROMPT = 16;
const TOLERANCE = 1e-3; // largest |ours − ORT| allowed in a last row of logits

const HELP = `Usage: npx tsx bench/forward-ort-web.ts [options]

Times our engine against onnxruntime-web (WebAssembly backend) in headless Chromium, each in a
Web Worker on the same GPT-2 small weights: an untraced pass at T = ${LENGTHS.join(' and ')}, and decoding
one token after a ${PROMPT}-token prompt (KV cache). Prints best and median, and ours / ORT.

Options:
  --reps N        timed passes per measurement and side, taking turns (default 5)
  --warmup N      untimed passes per measurement and side before them (default 2)
  --model DIR     a GPT-2 folder (config.json, model.safetensors) to run instead of random weights
                  of GPT-2 small's shape; it is only read (the ONNX export goes to a temporary folder)
  --python PATH   Python with torch, safetensors, onnx and onnxscript (default /opt/torchenv/bin/python)
  --help          this text`;

class UsageError extends Error {}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function wholeNumber(flag: string, text: string, least: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < least) throw new UsageError(`--${flag} needs a whole number of at least ${least}, not "${text}"`);
  return n;
}

/** The folder both sides load: --model's files linked into `dir`, or random weights written there. */
async function prepareModel(dir: string, model: string | undefined): Promise<{ config: GPTConfig; described: string }> {
  if (!model) {
    await saveModelDir(dir, GPT2_SMALL, randomWeights(GPT2_SMALL, SEED), { dtype: 'F32', tokenizer: gpt2Tokenizer() });
    return { config: GPT2_SMALL, described: `a random GPT-2 small (${parameterCount(GPT2_SMALL).toLocaleString('en')} parameters, seed ${SEED}, F32)` };
  }
  for (const file of [CONFIG_FILE, WEIGHTS_FILE]) {
    if (!existsSync(join(model, file))) throw new UsageError(`${model} has no ${file}: --model needs a GPT-2 folder with ${CONFIG_FILE} and ${WEIGHTS_FILE}`);
    symlinkSync(realpathSync(join(model, file)), join(dir, file));
  }
  const config = configFromText(readFileSync(join(model, CONFIG_FILE), 'utf8'), join(model, CONFIG_FILE));
  if (config.nPositions < Math.max(...LENGTHS, PROMPT + 1)) throw new UsageError(`${model}: its context of ${config.nPositions} positions is shorter than T = ${Math.max(...LENGTHS)}`);
  return { config, described: `${model} (${parameterCount(config).toLocaleString('en')} parameters)` };
}

/** Runs bench/onnx_export.py on `dir` (writes dir/onnx/); resolves with the versions it reports. */
function exportToOnnx(python: string, dir: string, ids: number[]): Promise<{ torch: string; onnx: string }> {
  const script = join(import.meta.dirname, 'onnx_export.py');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, [script, dir, '--ids', ids.join(','), '--prompt', `${PROMPT}`]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (e) => reject(new Error(`cannot start ${python}: ${e.message}`)));
    child.on('close', (code, signal) => {
      const ready = stdout.split('\n').find((line) => line.startsWith('{'));
      if (code === 0 && ready) return resolvePromise(JSON.parse(ready) as { torch: string; onnx: string });
      const why = stderr.trim().split('\n').slice(-3).join(' / ') || (signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(
        new Error(
          `the ONNX export failed (${why}). It needs torch, safetensors, onnx and onnxscript in ${python}; ` +
            `install the last two with: ${python.replace(/python3?$/, 'pip')} install --no-index --find-links /opt/pypi/files --find-links /opt/pypi-more/files onnx onnxscript`,
        ),
      );
    });
  });
}

function largestDifference(a: number[], b: number[]): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  return diff;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ')).join('\n');
}

function options() {
  try {
    return parseArgs({
      options: {
        reps: { type: 'string', default: '5' },
        warmup: { type: 'string', default: '2' },
        model: { type: 'string' },
        python: { type: 'string', default: '/opt/torchenv/bin/python' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function main(): Promise<void> {
  const values = options();
  if (values.help) {
    console.log(HELP);
    return;
  }
  const reps = wholeNumber('reps', values.reps, 1);
  const warmup = wholeNumber('warmup', values.warmup, 0);
  const loadBefore = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'animated-transformer-ort-web-'));
  const modelDir = values.model ? resolve(values.model) : undefined;
  try {
    const { config, described } = await prepareModel(dir, modelDir);
    const ids = randomIds(config, SEED + 1, Math.max(...LENGTHS, PROMPT + 1));
    console.log(`Model: ${described}, in ${dir}`);
    console.log('Exporting it to ONNX with bench/onnx_export.py (a minute or more) …');
    const versions = await exportToOnnx(values.python, dir, ids);

    // Vite serves the folder under /@fs/ (and --model's real files, which the links point to),
    // the page, and onnxruntime-web's .wasm from node_modules.
    const ortWasm = createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm');
    const { server, origin } = await startVite([dir, ...(modelDir ? [realpathSync(modelDir)] : [])]);
    const browser = await launchChromium();
    try {
      // Everything must come from the local server (no CDN for onnxruntime-web's files).
      const elsewhere = new Set<string>();
      // Each side in a tab of its own browser context, so in a renderer process of its own:
      // neither holds the other's memory (at their peaks about 1.1 GB ours, 2.7 GB onnxruntime-web's).
      const openSide = async (side: SideName): Promise<Page> => {
        const page = await (await browser.newContext()).newPage();
        page.on('pageerror', (e) => console.error(`page error (${side}):`, e.message));
        page.on('request', (r) => void (r.url().startsWith(origin) || elsewhere.add(r.url())));
        await page.addInitScript('globalThis.__name = (f) => f');
        await page.goto(`${origin}/bench/forward-ort-web/index.html?side=${side}`);
        await page.waitForFunction(() => typeof window.ortWebBench === 'object', null, { timeout: 120_000 });
        return page;
      };
      const pages: Record<SideName, Page> = { ours: await openSide('ours'), ort: await openSide('ort') };
      /** Asks one side's worker (through its page) and waits for its answer. */
      const ask = <T>(side: SideName, request: Request) => pages[side].evaluate((r) => window.ortWebBench.ask(r), request) as Promise<T>;
      const setup: Request = { op: 'setup', folderUrl: `${origin}/@fs${dir}/`, ids, prompt: PROMPT, ortWasmUrl: `${origin}/@fs${ortWasm}` };
      // One side after the other, so that their loading peaks do not add up.
      const ready: Record<SideName, SideReady> = { ours: await ask('ours', setup), ort: await ask('ort', setup) };

      // Both sides must compute the same thing before their times mean anything.
      const checks: [string, 'decode' | number][] = [...LENGTHS.map((T): [string, number] => [`T = ${T}`, T]), [`decoding step`, 'decode']];
      const differences: string[] = [];
      let worst = 0;
      for (const [label, of] of checks) {
        const [ours, theirs] = [await ask<number[]>('ours', { op: 'logits', of }), await ask<number[]>('ort', { op: 'logits', of })];
        const diff = largestDifference(ours, theirs);
        worst = Math.max(worst, diff);
        differences.push(`${label} ${diff.toExponential(2)} (largest |logit| ${Math.max(...ours.map(Math.abs)).toFixed(2)})`);
      }
      const agreement = `Largest |ours − ORT| in the last row of logits: ${differences.join('; ')}`;
      if (!(worst < TOLERANCE)) throw new Error(`the two sides do not compute the same logits, so their times cannot be compared. ${agreement}; allowed: < ${TOLERANCE}`);

      // Taking turns pass by pass (who goes first alternates), so both share whatever else the
      // machine is doing; warm-up passes first, untimed.
      const measures: [string, Request][] = [
        ...LENGTHS.map((T): [string, Request] => [`untraced pass, T = ${T}`, { op: 'forward', T }]),
        [`decoding 1 token after ${PROMPT}`, { op: 'decode' }],
      ];
      const times = new Map<string, Record<SideName, number[]>>();
      for (const [label, request] of measures) {
        const ms: Record<SideName, number[]> = { ours: [], ort: [] };
        for (let round = 0; round < warmup + reps; round++) {
          process.stdout.write(`\r${label}: ${round < warmup ? `warm-up ${round + 1}` : `round ${round - warmup + 1} of ${reps}`}      `);
          for (const side of (round % 2 === 0 ? ['ours', 'ort'] : ['ort', 'ours']) as SideName[]) {
            const t = await ask<number>(side, request);
            if (round >= warmup) ms[side].push(t);
          }
        }
        times.set(label, ms);
      }
      process.stdout.write('\n\n');

      const show = (x: number) => `${x.toFixed(x < 100 ? 1 : 0)} ms`;
      const rows = [['', 'ours best', 'ORT best', 'ours/ORT', 'ours median', 'ORT median', 'ours/ORT']];
      for (const [label] of measures) {
        const { ours, ort } = times.get(label)!;
        const [ob, tb, om, tm] = [Math.min(...ours), Math.min(...ort), median(ours), median(ort)];
        rows.push([label, show(ob), show(tb), `${(ob / tb).toFixed(2)}×`, show(om), show(tm), `${(om / tm).toFixed(2)}×`]);
      }
      console.log(`Chromium ${browser.version()}, headless; each side in a Web Worker, in a tab of its own; ${warmup} warm-up passes, then best and median of ${reps}, taking turns`);
      console.log(`ours: ${ready.ours.engine}, ${ready.ours.threads} thread; weights loaded in ${(ready.ours.setupMs / 1000).toFixed(1)} s`);
      console.log(`ORT:  ${ready.ort.engine}, numThreads ${ready.ort.threads}, default graph optimizations; graphs exported by torch ${versions.torch}, onnx ${versions.onnx}; sessions made in ${(ready.ort.setupMs / 1000).toFixed(1)} s`);
      console.log(`Page cross-origin isolated: ${ready.ort.crossOriginIsolated ? 'yes' : 'no'} (threads beyond one need it; both sides run on one thread here)`);
      console.log(`Untraced pass: logits of every position, nothing else kept. Decoding: one token on the prompt's KV cache (ORT: step.onnx, the cache passed in and handed back)\n`);
      console.log(table(rows));
      console.log(`\n${agreement}`);
      console.log(`Requests to anywhere but the local server: ${elsewhere.size === 0 ? 'none' : [...elsewhere].join(', ')}`);
      console.log(`${availableParallelism()} cores; load average over the last minute: ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`);
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main().catch((e: unknown) => {
  console.error(`bench/forward-ort-web.ts: ${(e as Error).message}`);
  if (e instanceof UsageError) console.error(`\n${HELP}`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
});
