// What the scene tests check of a scene's layout and drawing, for any explanation, besides its
// numbers and text (check-scene.ts): nothing is drawn past the canvas or over the captions, and
// its pixels at a time, to compare.

import { createHash } from 'node:crypto';
import { createCanvas } from '@napi-rs/canvas';
import { sceneArea } from '../../src/scenes/make-scene.ts';
import type { Ctx2D } from '../../src/render/canvas.ts';
import type { Scene } from '../../src/scenes/contract.ts';
import { expect } from 'vitest';
import type { Explanation } from '../../src/model/explanation.ts';
import { checkScene, times } from './check-scene.ts';
import { LAYOUT_SIZES } from './compare.ts';

export const SIZES = [
  [1280, 720],
  [360, 640],
] as const;

export function pixels(scene: Scene, t: number, w: number, h: number): string {
  const canvas = createCanvas(w, h);
  scene.draw(canvas.getContext('2d') as unknown as Ctx2D, t, w, h, 'light');
  return createHash('sha1').update(canvas.data()).digest('hex');
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

/** Expects `scene` to show only true numbers at every size of SIZES, with its numbers and text inside its area. */
export function expectSceneSound(ex: Explanation, scene: Scene, label: string): void {
  for (const [w, h] of SIZES) expect(checkScene(ex, scene, w, h).errors.slice(0, 5), `${label} at ${w}×${h}`).toEqual([]);
  expect(numbersOutsideArea(scene).slice(0, 5), label).toEqual([]);
  expect(textOutsideArea(scene).slice(0, 5), label).toEqual([]);
}
