// Drawing a scene for real (@napi-rs/canvas) at many times and checking what it shows: every
// number it reports is the explanation's at the shown precision, every digit of its text is
// declared and true, every spot the readout names holds the exact value at its source, and every
// anchor is on the canvas.

import { createCanvas } from '@napi-rs/canvas';
import type { Explanation } from '../../src/model/explanation.ts';
import type { Ctx2D } from '../../src/render/canvas.ts';
import type { Scene } from '../../src/scenes/contract.ts';
import { checkText } from './drawn-text.ts';
import { checkShown, spotValue } from './shown-numbers.ts';

/** 40 evenly spread times, and each beat's start and end. */
export function times(scene: Scene): number[] {
  const d = scene.durationSeconds;
  const out = Array.from({ length: 40 }, (_, i) => (d * i) / 39);
  for (const b of scene.beats ?? []) out.push(b.startSeconds, Math.max(0, b.endSeconds - 0.01));
  return out;
}

/** Problems found drawing `scene` at every one of times(scene) at w × h, and how many numbers it showed. */
export function checkScene(ex: Explanation, scene: Scene, w: number, h: number): { errors: string[]; shownCount: number } {
  const errors: string[] = [];
  let shownCount = 0;
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d') as unknown as Ctx2D;
  for (const t of times(scene)) {
    scene.draw(ctx, t, w, h, t > scene.durationSeconds / 2 ? 'dark' : 'light');
    const shown = scene.numbersAt(t, w, h);
    shownCount += shown.length;
    errors.push(...checkShown(ex, shown).map((e) => `${scene.name} t=${t.toFixed(2)} ${w}×${h}: ${e}`));
    errors.push(...checkText(ex, scene.textAt(t, w, h)).map((e) => `${scene.name} t=${t.toFixed(2)} ${w}×${h}: ${e}`));
    // Every spot the hover readout can name holds the exact value at its source, on the canvas.
    for (const spot of scene.spotsAt(t, w, h)) {
      const where = `${scene.name} t=${t.toFixed(2)} ${w}×${h}: spot ${spot.source.tensor}[${spot.source.index}]`;
      const truth = spotValue(ex, spot);
      if (truth !== spot.value) errors.push(`${where} says ${spot.value}, the explanation has ${truth}`);
      if (spot.x + spot.w < 0 || spot.x > w || spot.y + spot.h < 0 || spot.y > h) errors.push(`${where} is off the canvas`);
    }
    for (const n of shown) {
      // Anchors must be on the canvas (right-aligned numbers anchor at their right edge).
      if (!n.at || n.at.x < 0 || n.at.x > w || n.at.y < 0 || n.at.y > h) errors.push(`${scene.name} t=${t.toFixed(2)} ${w}×${h}: "${n.text}" is off screen at ${JSON.stringify(n.at)}`);
    }
  }
  return { errors, shownCount };
}
