// Frame cost of every scene in Node (@napi-rs/canvas, a CPU rasteriser like headless
// Chromium's): the 95th-percentile time to draw one 1280 × 720 frame, and to list the numbers
// on screen, beside a peer measured in the same run — a bare loop drawing the same count of
// numbers straight onto the canvas with one font, the least any frame showing them can cost.
// Chromium's own figure (the 8 ms budget) comes from bench/page.ts.
// Usage: npx tsx bench/scene-frames.ts [frames per scene, default 120]

import { createCanvas } from '@napi-rs/canvas';
import { scenesFor } from '../src/scenes/index.ts';
import type { Ctx2D } from '../src/render/canvas.ts';
import { sceneExplanation } from '../tests/helpers/scene-explanation.ts';

const FRAMES = Number(process.argv[2] ?? 120);
const [W, H] = [1280, 720];

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)];
}

const ex = sceneExplanation();
const canvas = createCanvas(W, H);
const ctx = canvas.getContext('2d') as unknown as Ctx2D;
console.log(`scene                   draw p95   list p95   peer p95   draw ÷ peer`);
for (const def of scenesFor(ex.config)) {
  const scene = def.build(ex);
  const draw: number[] = [];
  const list: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const t = (scene.durationSeconds * i) / (FRAMES - 1);
    let t0 = performance.now();
    scene.draw(ctx, t, W, H, 'light');
    draw.push(performance.now() - t0);
    t0 = performance.now();
    const shown = scene.numbersAt(t, W, H);
    list.push(performance.now() - t0);
    t0 = performance.now();
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, H);
    ctx.font = '15px monospace';
    ctx.fillStyle = '#222';
    shown.forEach((n, k) => ctx.fillText(n.text, (k % 12) * 100 + 10, Math.floor(k / 12) * 24 + 20));
    peer.push(performance.now() - t0);
  }
  const [d, l, p] = [p95(draw), p95(list), p95(peer)];
  console.log(`${def.name.padEnd(22)} ${d.toFixed(2).padStart(7)} ms ${l.toFixed(2).padStart(7)} ms ${p.toFixed(2).padStart(7)} ms   ${(d / Math.max(p, 0.01)).toFixed(1)}×`);
}
