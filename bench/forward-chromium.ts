// Traced forward pass of a GPT-2-small-shaped model (T = 16) in headless Chromium against the
// same pass in Node, measured in the same run (issue 6: at most 1.5× Node's time, and under 1 s).
// Each side makes the same seeded random weights itself (bench/forward-chromium/timing.ts);
// the page runs the model in a Web Worker, as the real page does.
// Usage: npx tsx bench/forward-chromium.ts [--reps N]   (default 5; two warm-up passes before them)

import { availableParallelism, loadavg } from 'node:os';
import { launchChromium, startVite } from '../tests/browser/helpers.ts';
import { PROMPT_IDS, timeTracedForward, type ForwardTiming } from './forward-chromium/timing.ts';

const GOAL_RATIO = 1.5;
const GOAL_MS = 1000;

function parseReps(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('Usage: npx tsx bench/forward-chromium.ts [--reps N]\nTimes a traced GPT-2-small-shaped forward pass (T = 16) in Node and in headless Chromium.');
    process.exit(0);
  }
  const at = argv.indexOf('--reps');
  if (at < 0) return 5;
  const reps = Number(argv[at + 1]);
  if (!Number.isInteger(reps) || reps < 1) {
    console.error(`--reps needs a whole number of at least 1, not "${argv[at + 1] ?? ''}".`);
    process.exit(2);
  }
  return reps;
}

async function chromiumTiming(reps: number): Promise<ForwardTiming> {
  const { server, origin } = await startVite();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.addInitScript('globalThis.__name = (f) => f');
    await page.goto(`${origin}/bench/forward-chromium/index.html`);
    await page.waitForFunction(() => typeof window.runForwardBench === 'function', null, { timeout: 120_000 });
    return await page.evaluate((n) => window.runForwardBench(n), reps);
  } finally {
    await browser.close();
    await server.close();
  }
}

const reps = parseReps(process.argv.slice(2));
console.log(`Traced forward pass, GPT-2 small's shape, T = ${PROMPT_IDS.length}: two warm-up passes, then best of ${reps}`);
const loadBefore = loadavg()[0];
const node = timeTracedForward(reps);
console.log(`Node:     ${node.timesMs.map((t) => t.toFixed(0)).join(', ')} ms (weights made in ${(node.setupMs / 1000).toFixed(1)} s)`);
const chromium = await chromiumTiming(reps);
console.log(`Chromium: ${chromium.timesMs.map((t) => t.toFixed(0)).join(', ')} ms (weights made in ${(chromium.setupMs / 1000).toFixed(1)} s, in a Web Worker)`);
const loadAfter = loadavg()[0];

const ratio = chromium.bestMs / node.bestMs;
const maxDiff = Math.max(...node.lastLogits.map((v, i) => Math.abs(v - chromium.lastLogits[i])));
const maxAbs = Math.max(...node.lastLogits.map(Math.abs));
const met = ratio <= GOAL_RATIO && chromium.bestMs < GOAL_MS;

console.log();
console.log('side       kernels                 best ms');
console.log(`Node       ${node.kernels.padEnd(22)} ${node.bestMs.toFixed(1).padStart(8)}`);
console.log(`Chromium   ${chromium.kernels.padEnd(22)} ${chromium.bestMs.toFixed(1).padStart(8)}`);
console.log();
console.log(`Chromium / Node: ${ratio.toFixed(2)}×   goal: ≤ ${GOAL_RATIO}× and < ${GOAL_MS} ms → ${met ? 'met' : 'NOT met'}`);
console.log(`Largest difference of the last row's first ${node.lastLogits.length} logits: ${maxDiff.toExponential(2)} (largest |logit| ${maxAbs.toFixed(3)})`);
console.log(`${availableParallelism()} cores; load average over the last minute: ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`);
