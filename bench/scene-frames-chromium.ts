// Frame cost of every scene in headless Chromium (the page's renderer): the 95th-percentile
// time of scene.draw on a 1280 × 720 canvas (budget 8 ms; best of three draws per frame, so a
// busy machine's preemptions do not count, and single draws beside it), of building the frame's list alone
// (numbersAt), and of the peer of
// bench/scene-frames.ts measured in the same page. Needs no model files: the scenes show a
// seeded random-weight model run through explain() with GPT-2's tokenizer.
// Usage: npx tsx bench/scene-frames-chromium.ts [frames per scene, default 120]

import { createServer } from 'vite';
import { launchChromium } from '../tests/browser/helpers.ts';

const FRAMES = Number(process.argv[2] ?? 120);
const BUDGET_MS = 8;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}
const p95 = (v: number[]) => percentile(v, 0.95);
const median = (v: number[]) => percentile(v, 0.5);

const root = new URL('..', import.meta.url).pathname;
const server = await createServer({ configFile: false, root, logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
await server.listen();
const address = server.httpServer!.address();
const port = typeof address === 'object' && address ? address.port : 0;
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 760 }, deviceScaleFactor: 1 });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.addInitScript('globalThis.__name = (f) => f');
  await page.goto(`http://127.0.0.1:${port}/bench/scene-frames/index.html`);
  await page.waitForFunction(() => typeof window.runBench === 'function', null, { timeout: 120_000 });
  const results = await page.evaluate((n) => window.runBench(n), FRAMES);
  console.log(`Chromium, 1280 × 720, ${FRAMES} frames per scene; budget ${BUDGET_MS} ms at the 95th percentile`);
  console.log('scene                   draw p95 (best of 3)  single draw p95 / p50   list p95   peer p95   draw ÷ peer   draw ÷ budget');
  let worst = 0;
  for (const r of results) {
    const [d, l, p] = [p95(r.draw), p95(r.list), p95(r.peer)];
    worst = Math.max(worst, d);
    console.log(`${r.name.padEnd(22)} ${d.toFixed(2).padStart(7)} ms ${p95(r.first).toFixed(2).padStart(15)} ms / ${median(r.first).toFixed(2).padStart(5)} ms ${l.toFixed(2).padStart(7)} ms ${p.toFixed(2).padStart(7)} ms ${(d / Math.max(p, 0.01)).toFixed(1).padStart(10)}× ${(d / BUDGET_MS).toFixed(2).padStart(12)}`);
  }
  console.log(`worst scene: ${worst.toFixed(2)} ms (${(worst / BUDGET_MS).toFixed(2)} × budget)`);
} finally {
  await browser.close();
  await server.close();
}
