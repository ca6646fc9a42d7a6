// Browser side of bench/scene-frames-chromium.ts: builds the test explanation (random model,
// GPT-2 tokenizer), then times scene.draw at many times per scene on a 1280 × 720 canvas,
// with the same peer as bench/scene-frames.ts (the shown numbers drawn bare with one font).

import { scenesFor } from '../../src/scenes/index.ts';
import { sceneExplanation } from '../../tests/helpers/scene-explanation.ts';

declare global {
  interface Window {
    runBench(frames: number): { name: string; draw: number[]; first: number[]; list: number[]; peer: number[] }[];
  }
}

window.runBench = (frames: number) => {
  const canvas = document.getElementById('c') as HTMLCanvasElement;
  const ctx = canvas.getContext('2d')!;
  const ex = sceneExplanation();
  return scenesFor(ex.config).map((def) => {
    const scene = def.build(ex);
    const draw: number[] = [];
    const peer: number[] = [];
    const list: number[] = [];
    const first: number[] = [];
    for (let i = 0; i < frames; i++) {
      const t = (scene.durationSeconds * i) / (frames - 1);
      // Best of three draws of the same frame: on a busy machine a single draw also measures
      // the time other processes held the core.
      let t0 = 0;
      let best = Infinity;
      for (let k = 0; k < 3; k++) {
        t0 = performance.now();
        scene.draw(ctx, t, 1280, 720, 'light');
        ctx.getImageData(0, 0, 1, 1); // wait for the drawing to finish
        const dt = performance.now() - t0;
        if (k === 0) first.push(dt);
        best = Math.min(best, dt);
      }
      draw.push(best);
      t0 = performance.now();
      const shown = scene.numbersAt(t, 1280, 720);
      list.push(performance.now() - t0);
      let bestPeer = Infinity;
      for (let k = 0; k < 3; k++) {
        t0 = performance.now();
        ctx.fillStyle = '#fff';
        ctx.fillRect(0, 0, 1280, 720);
        ctx.font = '15px monospace';
        ctx.fillStyle = '#222';
        shown.forEach((n, j) => ctx.fillText(n.text, (j % 12) * 100 + 10, Math.floor(j / 12) * 24 + 20));
        ctx.getImageData(0, 0, 1, 1);
        bestPeer = Math.min(bestPeer, performance.now() - t0);
      }
      peer.push(bestPeer);
    }
    return { name: def.name, draw, first, list, peer };
  });
};
