// Training speed in the tab against the command line: the page's "Train your own" run in headless
// Chromium (the training worker, WebAssembly SIMD kernels on one thread) and `train --tokenizer
// char` in Node (its two threads) on the same text and settings, in the same run, one after the
// other. Both report tokens per second with the same smoothed step clock (src/train/progress.ts,
// evaluations left out), read at the last step.
// Run: npx tsx bench/train-tab.ts --data input.txt [--steps 60]   (the page's default settings otherwise)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, startVite } from '../tests/browser/helpers.ts';
import { pageReady } from '../tests/browser/page-probe.ts';
import { RECORD_TRAINING, showTrainPanel, trainingMessages, typeSettings, waitForTrainMessage } from '../tests/browser/train-probe.ts';
import { settingsFromForm, trainCommandLine } from '../src/web/train-settings.ts';

const { values: flags } = parseArgs({ options: { data: { type: 'string' }, steps: { type: 'string', default: '60' }, help: { type: 'boolean' } } });
if (flags.help || !flags.data) {
  console.log('Usage: npx tsx bench/train-tab.ts --data FILE [--steps N]\nTokens per second of the page\'s training (headless Chromium) and of `train` (Node), same text and settings.');
  process.exit(flags.help ? 0 : 2);
}
const steps = Number(flags.steps);
if (!Number.isInteger(steps) || steps < 2) {
  console.error(`--steps needs a whole number of at least 2, not "${flags.steps}".`);
  process.exit(2);
}
const settings = settingsFromForm({ maxIters: String(steps) });
const loadBefore = loadavg()[0];

// In the tab.
const { server, origin } = await startVite();
const browser = await launchChromium();
let tab: { tokensPerSecond: number; kernels: string };
try {
  const page = await browser.newPage();
  await page.addInitScript('globalThis.__name = (f) => f');
  await page.addInitScript(RECORD_TRAINING);
  await page.goto(`${origin}/`);
  await pageReady(page);
  await showTrainPanel(page);
  await page.locator('#train-file').setInputFiles(flags.data);
  await page.waitForFunction(() => /^Your text:/.test(document.getElementById('train-summary')!.textContent ?? ''), null, { timeout: 120_000 });
  await typeSettings(page, { 'max-iters': String(steps) });
  await page.locator('#train-start').click();
  await waitForTrainMessage(page, /Every scene now shows your model|could not|went wrong|failed/, 3_600_000);
  const messages = await trainingMessages(page);
  const last = messages.filter((m) => m.type === 'step').at(-1);
  const started = messages.find((m) => m.type === 'started');
  if (!last || last.type !== 'step' || !started || started.type !== 'started') throw new Error(`the tab's run did not finish: ${await page.locator('#train-message').textContent()}`);
  tab = { tokensPerSecond: last.tokensPerSecond, kernels: started.info.kernels };
} finally {
  await browser.close();
  await server.close();
}

// The command line, with the flags the panel prints for these settings.
const out = mkdtempSync(join(tmpdir(), 'train-tab-bench-'));
const args = trainCommandLine(settings, flags.data).split(' ').slice(2); // from "train" on
const run = spawnSync(process.execPath, ['bin/animated-transformer.js', ...args, '--out', out], { encoding: 'utf8' });
rmSync(out, { recursive: true, force: true });
const readings = [...run.stderr.matchAll(/step (\d+)\/\d+ \| .*\| (\d+) tok\/s/g)];
if (run.status !== 0 || readings.length === 0) throw new Error(`train failed (exit ${run.status}): ${run.stderr}`);
const cli = Number(readings.at(-1)![2]);

console.log(`training at character level, ${settings.nLayer} blocks, ${settings.nHead} heads, width ${settings.nEmbd}, context ${settings.blockSize}, batch ${settings.batchSize}, ${steps} steps on ${flags.data}`);
console.log(`in the tab (headless Chromium, ${tab.kernels}, 1 thread): ${Math.round(tab.tokensPerSecond)} tokens per second`);
console.log(`command line (train, Node, 2 threads):          ${cli} tokens per second`);
console.log(`tab / command line: ${(tab.tokensPerSecond / cli).toFixed(2)}`);
console.log(`load average (1 min) before and after: ${loadBefore.toFixed(2)}, ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores`);
