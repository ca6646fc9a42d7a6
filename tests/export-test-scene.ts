// A small scene for the export tests, independent of the real scenes: a background, a
// counter and a row of numbers that change with time, and a box that slides across.
// Every frame differs from the next until `holdFromSeconds`, after which the picture holds
// still (as scenes do between beats), so a dropped or repeated frame shows in the pixels.

import type { Ctx2D } from '../src/render/canvas.ts';
import type { Scene } from '../src/scenes/contract.ts';
import type { Theme } from '../src/render/theme.ts';

export function testScene(durationSeconds = 1, holdFromSeconds = durationSeconds): Scene {
  return {
    name: 'test-scene',
    title: 'Export test scene',
    durationSeconds,
    draw(ctx: Ctx2D, time: number, w: number, h: number, theme: Theme) {
      const t = Math.max(0, Math.min(holdFromSeconds, time));
      const p = t / durationSeconds;
      ctx.fillStyle = theme === 'dark' ? '#121519' : '#ffffff';
      ctx.fillRect(0, 0, w, h);
      const ink = theme === 'dark' ? '#e8eaed' : '#1f2328';
      const size = Math.max(10, h / 12);
      ctx.textBaseline = 'middle';
      ctx.fillStyle = ink;
      ctx.font = `bold ${size.toFixed(1)}px "DejaVu Sans", sans-serif`;
      ctx.fillText(`t = ${t.toFixed(3)} s`, w * 0.05, h * 0.15);
      ctx.font = `${size.toFixed(1)}px "DejaVu Sans Mono", "DejaVu Sans", monospace`;
      for (let k = 0; k < 4; k++) {
        const v = Math.sin(7 * t + k) * (k + 1);
        ctx.fillText(v.toFixed(2).replace('-', '\u2212'), w * (0.05 + 0.22 * k), h * 0.4);
      }
      ctx.fillStyle = '#1a7f37';
      ctx.fillRect(w * 0.05 + p * w * 0.7, h * 0.6, w * 0.2, h * 0.25);
      ctx.strokeStyle = '#1f5fbf';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(w * 0.85, h * 0.72, h * 0.1, 0, Math.PI * 2 * Math.max(0.01, p));
      ctx.stroke();
    },
    numbersAt() {
      return [];
    },
    spotsAt() {
      return [];
    },
    textAt() {
      return [];
    },
  };
}
