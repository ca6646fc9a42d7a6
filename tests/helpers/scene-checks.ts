// What the scene tests check of every scene, for any explanation: drawn at many times and sizes,
// every number it reports is the explanation's number at the shown precision, every digit in its
// text is declared (the digit rule, tests/digits.test.ts), every hover spot holds its source's
// exact value, nothing is drawn past the canvas or over the captions.

import { createHash } from 'node:crypto';
import { createCanvas } from '@napi-rs/canvas';
import { sceneArea } from '../../src/scenes/make-scene.ts';
import type { Ctx2D } from '../../src/render/canvas.ts';
import type { Explanation } from '../../src/model/explanation.ts';
import type { Scene } from '../../src/scenes/contract.ts';
import { checkShown, spotValue } from './shown-numbers.ts';
import { checkText } from './drawn-text.ts';
import { LAYOUT_SIZES } from './compare.ts';

export const SIZES = [
  [1280, 720],
  [360, 640],
] as const;

function times(scene: Scene): number[] {
  const d = scene.durationSeconds;
  const out = Array.from({ length: 40 }, (_, i) => (d * i) / 39);
  for (const b of scene.beats ?? []) out.push(b.startSeconds, Math.max(0, b.endSeconds - 0.01));
  return out;
}

export function pixels(scene: Scene, t: number, w: number, h: number): string {
  const canvas = createCanvas(w, h);
  scene.draw(canvas.getContext('2d') as unknown as Ctx2D, t, w, h, 'light');
  return createHash('sha1').update(canvas.data()).digest('hex');
}

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

/**
 * Text a scene draws that reaches into its caption band or past the canvas's sides, found by
 * recording fillText on a real canvas. A caption's own words are told apart by being part of
 * the current beat's caption (so a label whose text happens to be in it could be missed).
 */
export function textOutsideArea(scene: Scene): string[] {
  const problems: string[] = [];
  for (const [w, h] of LAYOUT_SIZES) {
    const { area } = sceneArea((scene.beats ?? []).map((b) => b.caption), w, h);
    const captionTop = area.y + area.h;
    const canvas = createCanvas(w, h);
    const real = canvas.getContext('2d');
    let caption = '';
    const recording = new Proxy(real, {
      get(target, key) {
        if (key === 'fillText') {
          return (text: string, x: number, y: number) => {
            target.fillText(text, x, y);
            if (target.globalAlpha < 0.05 || text.trim() === '') return;
            const size = Number(/([\d.]+)px/.exec(target.font)?.[1] ?? 0);
            const width = target.measureText(text).width;
            const left = target.textAlign === 'center' ? x - width / 2 : target.textAlign === 'right' || target.textAlign === 'end' ? x - width : x;
            const isCaption = caption.includes(text.trim()) && y + size * 0.6 > captionTop;
            if (!isCaption && y + size * 0.45 > captionTop + 1 && y - size * 0.45 < h) problems.push(`${w}×${h}: "${text}" at y ${y.toFixed(0)} reaches the captions (from y ${captionTop.toFixed(0)})`);
            if (left < -1 || left + width > w + 1) problems.push(`${w}×${h}: "${text}" spans x ${left.toFixed(0)}–${(left + width).toFixed(0)}, past the canvas`);
          };
        }
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
      set(target, key, value) {
        return Reflect.set(target, key, value, target);
      },
    });
    for (const t of times(scene)) {
      const beat = (scene.beats ?? []).find((b) => t >= b.startSeconds && t < b.endSeconds) ?? scene.beats?.[scene.beats.length - 1];
      caption = (beat?.caption ?? '').replace(/\\(.)/g, '$1'); // as drawn: markup's escapes removed
      scene.draw(recording as unknown as Ctx2D, t, w, h, 'light');
    }
  }
  return [...new Set(problems)];
}

/** Hoverable numbers drawn outside the scene's area (over its title or captions), at phone and desktop sizes. */
export function numbersOutsideArea(scene: Scene): string[] {
  const outside: string[] = [];
  for (const [w, h] of LAYOUT_SIZES) {
    const { area } = sceneArea((scene.beats ?? []).map((b) => b.caption), w, h);
    const inside = (x: number, y: number) => x >= area.x - 1 && x <= area.x + area.w + 1 && y >= area.y - 1 && y <= area.y + area.h + 1;
    for (const t of times(scene)) {
      for (const spot of scene.spotsAt(t, w, h)) {
        if (!inside(spot.x, spot.y) || !inside(spot.x + spot.w, spot.y + spot.h)) {
          outside.push(`${scene.name} ${w}×${h} t=${t.toFixed(2)}: ${spot.source.tensor}[${spot.source.index}] at x ${spot.x.toFixed(0)}–${(spot.x + spot.w).toFixed(0)}, y ${spot.y.toFixed(0)}–${(spot.y + spot.h).toFixed(0)}; area x ${area.x.toFixed(0)}–${(area.x + area.w).toFixed(0)}, y ${area.y.toFixed(0)}–${(area.y + area.h).toFixed(0)}`);
        }
      }
    }
  }
  return outside;
}
