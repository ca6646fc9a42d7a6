// Every scene, drawn for real with @napi-rs/canvas at many times and two sizes: it must not
// throw, every number it reports must be the explanation's number at the shown precision, every
// digit in its text must be declared (the digit rule, tests/digits.test.ts),
// frames must change over time, and drawing the same time twice must give the same pixels.

import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createCanvas } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { SCENES, sceneByName } from '../src/scenes/index.ts';
import { sceneArea } from '../src/scenes/make-scene.ts';
import type { Ctx2D } from '../src/render/canvas.ts';
import type { Scene } from '../src/scenes/contract.ts';
import { DEFAULT_COMPARE_PROMPT, explain } from '../src/model/explain.ts';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { GPT } from '../src/model/gpt.ts';
import { CharTokenizer, gpt2Tokenizer } from '../src/tokenizer/index.ts';
import { randomModel, TINY_CONFIG } from './helpers/random-model.ts';
import { fullContextExplanation, gpt2SmallExplanation, sceneExplanation } from './helpers/scene-explanation.ts';
import { LAYOUT_SIZES } from './helpers/compare.ts';
import { checkScene, times } from './helpers/check-scene.ts';

const SIZES = [
  [1280, 720],
  [360, 640],
] as const;

function pixels(scene: Scene, t: number, w: number, h: number): string {
  const canvas = createCanvas(w, h);
  scene.draw(canvas.getContext('2d') as unknown as Ctx2D, t, w, h, 'light');
  return createHash('sha1').update(canvas.data()).digest('hex');
}

/**
 * Text a scene draws that reaches into its caption band or past the canvas's sides, found by
 * recording fillText on a real canvas. A caption's own words are told apart by being part of
 * the current beat's caption (so a label whose text happens to be in it could be missed).
 */
function textOutsideArea(scene: Scene): string[] {
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
      caption = beat?.caption ?? '';
      scene.draw(recording as unknown as Ctx2D, t, w, h, 'light');
    }
  }
  return [...new Set(problems)];
}

/** Hoverable numbers drawn outside the scene's area (over its title or captions), at phone and desktop sizes. */
function numbersOutsideArea(scene: Scene): string[] {
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

describe('every scene', () => {
  const ex = sceneExplanation();
  it('has unique kebab-case names', () => {
    const names = SCENES.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  for (const def of SCENES) {
    describe(def.name, () => {
      const scene = def.build(ex);
      it('has a positive duration and contiguous beats', () => {
        expect(scene.durationSeconds).toBeGreaterThan(1);
        const beats = scene.beats ?? [];
        expect(beats.length).toBeGreaterThan(0);
        expect(beats[0].startSeconds).toBe(0);
        for (let i = 1; i < beats.length; i++) expect(beats[i].startSeconds).toBeCloseTo(beats[i - 1].endSeconds, 9);
        expect(beats[beats.length - 1].endSeconds).toBeCloseTo(scene.durationSeconds, 9);
      });
      for (const [w, h] of SIZES) {
        it(`draws at ${w}×${h} and shows only the model's numbers`, () => {
          const { errors, shownCount } = checkScene(ex, scene, w, h);
          expect(errors.slice(0, 10)).toEqual([]);
          expect(shownCount).toBeGreaterThan(0);
        });
      }
      it('draws nothing against the left or right edge (nothing cut off) on a phone or a desktop', () => {
        for (const [w, h] of [[340, 510], [1280, 720]]) {
          const canvas = createCanvas(w, h);
          const ctx = canvas.getContext('2d') as unknown as Ctx2D;
          for (let i = 0; i <= 12; i++) {
            const t = (scene.durationSeconds * i) / 12;
            scene.draw(ctx, t, w, h, 'light');
            const { data } = canvas.getContext('2d').getImageData(0, 0, w, h);
            // The bottom rows hold nothing but the player's progress bar, drawn by the page.
            for (const x of [0, 1, w - 2, w - 1]) {
              for (let y = 0; y < h - 8; y++) {
                const k = (y * w + x) * 4;
                const ink = Math.abs(data[k] - data[0]) + Math.abs(data[k + 1] - data[1]) + Math.abs(data[k + 2] - data[2]);
                expect(ink, `${w}×${h} at t=${t.toFixed(1)}: ink at x=${x}, y=${y}`).toBeLessThan(60);
              }
            }
          }
        }
      });

      it('keeps its numbers inside its area, clear of the title and the captions, on phones and desktops', () => {
        expect(numbersOutsideArea(scene).slice(0, 5)).toEqual([]);
      });

      it('draws no text over its captions or past the canvas sides, on phones and desktops', () => {
        expect(textOutsideArea(scene).slice(0, 5)).toEqual([]);
      });

      it('is a pure function of time and changes over time', () => {
        const d = scene.durationSeconds;
        const late = pixels(scene, d * 0.8, 640, 360);
        expect(pixels(scene, d * 0.3, 640, 360)).not.toBe(late);
        expect(pixels(scene, d * 0.8, 640, 360)).toBe(late);
        // Seeking backwards gives the same frame as coming from the start.
        pixels(scene, d, 640, 360);
        expect(pixels(scene, d * 0.8, 640, 360)).toBe(late);
        expect(scene.numbersAt(d * 0.8, 640, 360)).toEqual(scene.numbersAt(d * 0.8, 640, 360));
      });
    });
  }
});

describe('scenes for a tiny character-level model with greedy decoding', () => {
  const model = randomModel(TINY_CONFIG, 3, 0.8);
  const tokenizer = new CharTokenizer('abcdefghijklmnopqrstuv ');
  const ex = explain(model, tokenizer, 'bad cab', { modelName: 'tiny', layer: 1, head: 1, sampling: { temperature: 0, topK: 0, topP: 1, seed: 1 }, generateTokens: 6, compare: 'bad cabbage' });
  it('draws every scene with all columns visible and true numbers', () => {
    expect(ex.config.nEmbd).toBe(8);
    for (const def of SCENES) {
      const scene = def.build(ex);
      for (const [w, h] of SIZES) expect(checkScene(ex, scene, w, h).errors.slice(0, 5)).toEqual([]);
      expect(numbersOutsideArea(scene).slice(0, 5)).toEqual([]);
      expect(textOutsideArea(scene).slice(0, 5)).toEqual([]);
    }
  }, 300_000); // every scene at many times and two sizes, drawn for real
});

describe('scenes with emoji and non-Latin text (byte-level pieces)', () => {
  const ex = sceneExplanation('Robots 🤖 bring 你好 naïve_text^2 {x}', { compare: 'Robots 🤖 bring 再见' });
  it('draw every scene with true numbers', () => {
    expect(ex.tokens.some((t) => t.text.includes('<0x'))).toBe(true);
    for (const def of SCENES) {
      const scene = def.build(ex);
      for (const [w, h] of SIZES) expect(checkScene(ex, scene, w, h).errors.slice(0, 5)).toEqual([]);
      expect(numbersOutsideArea(scene).slice(0, 5)).toEqual([]);
      expect(textOutsideArea(scene).slice(0, 5)).toEqual([]);
    }
  }, 300_000); // every scene at many times and two sizes, drawn for real
});

describe('scenes with a long prompt and another layer and head', () => {
  const long = sceneExplanation('The robots will bring the parcels to every house in the town before the sun sets', { layer: 2, head: 5 });
  it('keeps every number true when rows fold into ⋮', () => {
    expect(long.tokens.length).toBeGreaterThan(15);
    for (const def of SCENES) {
      const scene = def.build(long);
      for (const [w, h] of SIZES) expect(checkScene(long, scene, w, h).errors.slice(0, 5)).toEqual([]);
      expect(numbersOutsideArea(scene).slice(0, 5)).toEqual([]);
      expect(textOutsideArea(scene).slice(0, 5)).toEqual([]);
    }
  }, 300_000); // every scene at many times and two sizes, drawn for real
});

describe('scenes for the embedded model (the page\'s default)', () => {
  it('draw every scene with true numbers, inside their areas, and say why many logits are equal', async () => {
    const { config, weights } = await loadModelDir(fileURLToPath(new URL('../models/default', import.meta.url)));
    const ex = explain(new GPT(config, weights), gpt2Tokenizer(), 'The robots will bring', { modelName: 'models/default', compare: DEFAULT_COMPARE_PROMPT });
    for (const def of SCENES) {
      const scene = def.build(ex);
      for (const [w, h] of SIZES) expect(checkScene(ex, scene, w, h).errors.slice(0, 5), `${def.name} at ${w}×${h}`).toEqual([]);
      expect(numbersOutsideArea(scene).slice(0, 5), def.name).toEqual([]);
      expect(textOutsideArea(scene).slice(0, 5), def.name).toEqual([]);
      if (def.name === 'prediction') expect(scene.beats!.map((b) => b.name)).toContain('shared');
    }
  }, 300_000); // every scene at many times and two sizes, drawn for real
});

describe.each([
  ['GPT-2 small’s shape (12 blocks of 12 heads, C = 768)', () => gpt2SmallExplanation('The robots will bring the parcels')],
  ['a prompt as long as the context (maps downsampled)', fullContextExplanation],
])('the all-heads, logit-lens and comparing scenes for %s', (_label, make) => {
  // Each frame of 144 maps, or of a long prompt's, holds thousands of cells: slow on a busy machine.
  it('draw true numbers inside their areas at every size, with nothing over the captions', { timeout: 600_000 }, () => {
    const ex = make();
    for (const name of ['all-heads', 'logit-lens', 'compare-attention', 'compare-prediction', 'compare-lens']) {
      const scene = sceneByName(name)!.build(ex);
      for (const [w, h] of SIZES) expect(checkScene(ex, scene, w, h).errors.slice(0, 5), `${name} at ${w}×${h}`).toEqual([]);
      expect(numbersOutsideArea(scene).slice(0, 5), name).toEqual([]);
      expect(textOutsideArea(scene).slice(0, 5), name).toEqual([]);
    }
  });
});
