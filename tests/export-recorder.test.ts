// Frames that repeat are not drawn twice: the recorder compares a frame's drawing calls with
// the previous frame's. These tests check that a reused frame has exactly the pixels a fresh
// drawing would have, for the test scene and for every real scene, and that anything the
// recorder cannot compare is always drawn.

import { createCanvas } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { FrameCanvas } from '../src/export/canvas-frames.ts';
import { DrawRecorder } from '../src/export/draw-recorder.ts';
import type { Ctx2D } from '../src/render/canvas.ts';
import type { Scene } from '../src/scenes/contract.ts';
import { sceneByName, scenesFor } from '../src/scenes/index.ts';
import { differingPixels } from './export-probe.ts';
import { testScene } from './export-test-scene.ts';
import { sceneExplanation } from './helpers/scene-explanation.ts';
import { llamaExplanation } from './helpers/llama-explanation.ts';

const W = 320;
const H = 180;

/** Frame `index` drawn straight onto a fresh canvas, with no recording in between. */
function direct(scene: Scene, index: number, fps: number): Buffer {
  const canvas = createCanvas(W, H);
  scene.draw(canvas.getContext('2d') as unknown as Ctx2D, index / fps, W, H, 'light');
  return canvas.data();
}

describe('reusing identical frames', () => {
  it('a scene that holds still is drawn once per change, and a reused frame has the right pixels', () => {
    const scene = testScene(2, 1); // moves for 1 s, then holds for 1 s
    const frames = new FrameCanvas(scene, W, H, 'light');
    const changed: boolean[] = [];
    for (let i = 0; i < 20; i++) changed.push(frames.draw(i, 10));
    expect(changed.slice(0, 11).every(Boolean)).toBe(true); // frames 0..10 move (t = 1.0 is the last change)
    expect(changed.slice(11).some(Boolean)).toBe(false);
    expect(frames.counts).toEqual({ drawn: 11, reused: 9 });
    expect(differingPixels(frames.rgba(), direct(scene, 19, 10), 0)).toBe(0);
  });

  it('a frame drawn with something it cannot compare (a gradient) is always drawn', () => {
    const recorder = new DrawRecorder(createCanvas(1, 1).getContext('2d') as unknown as Ctx2D);
    const plain = recorder.record((ctx) => ctx.fillRect(0, 0, 4, 4));
    expect(plain.key).toBe('fillRect(0\u00010\u00014\u00014)');
    const shaded = recorder.record((ctx) => {
      ctx.fillStyle = ctx.createLinearGradient(0, 0, 4, 0);
      ctx.fillRect(0, 0, 4, 4);
    });
    expect(shaded.key).toBeNull();
  });

  it('measureText still answers inside a recording, with the font that was set', () => {
    const recorder = new DrawRecorder(createCanvas(1, 1).getContext('2d') as unknown as Ctx2D);
    let narrow = 0;
    let wide = 0;
    recorder.record((ctx) => {
      ctx.font = '10px "DejaVu Sans"';
      narrow = ctx.measureText('mmmm').width;
      ctx.font = '20px "DejaVu Sans"';
      wide = ctx.measureText('mmmm').width;
    });
    expect(narrow).toBeGreaterThan(10);
    expect(wide).toBeCloseTo(2 * narrow, 0);
  });

  it.each(scenesFor(sceneExplanation().config).map((s) => s.name))('scene %s: recorded-and-replayed frames equal direct drawing', (name) => {
    replaysExactly(sceneByName(name)!.build(sceneExplanation()));
  });

  it('the RoPE scene of a Llama-family model: recorded-and-replayed frames equal direct drawing', async () => {
    replaysExactly(sceneByName('rope')!.build(await llamaExplanation('llama-smol-gqa')));
  });
});

/** Every fifth frame (and the last) of a scene, drawn through the recorder, equals the same frame drawn from scratch. */
function replaysExactly(scene: Scene): void {
  const fps = 4;
  const frames = new FrameCanvas(scene, W, H, 'light');
  const count = Math.round(scene.durationSeconds * fps);
  for (let i = 0; i < count; i++) {
    frames.draw(i, fps);
    // Check a spread of frames (including reused ones) against a drawing made from scratch.
    if (i % 5 === 0 || i === count - 1) expect(differingPixels(frames.rgba(), direct(scene, i, fps), 0)).toBe(0);
  }
}
