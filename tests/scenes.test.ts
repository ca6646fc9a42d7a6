// Every scene, drawn for real with @napi-rs/canvas at many times and two sizes: it must not
// throw, every number it reports must be the explanation's number at the shown precision, every
// digit in its text must be declared (the digit rule, tests/digits.test.ts),
// frames must change over time, and drawing the same time twice must give the same pixels.

import { fileURLToPath } from 'node:url';
import { createCanvas } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { SCENES, sceneByName, scenesFor } from '../src/scenes/index.ts';
import type { Ctx2D } from '../src/render/canvas.ts';
import { DEFAULT_COMPARE_PROMPT, explain } from '../src/model/explain.ts';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { GPT } from '../src/model/gpt.ts';
import { CharTokenizer, gpt2Tokenizer } from '../src/tokenizer/index.ts';
import { randomModel, TINY_CONFIG } from './helpers/random-model.ts';
import { fullContextExplanation, gpt2SmallExplanation, sceneExplanation } from './helpers/scene-explanation.ts';
import { expectSceneSound, numbersOutsideArea, pixels, SIZES, textOutsideArea } from './helpers/scene-checks.ts';
import { checkScene } from './helpers/check-scene.ts';

describe('every scene', () => {
  const ex = sceneExplanation();
  it('a GPT-2 model shows every scene but RoPE, which it does not have', () => {
    expect(SCENES.map((s) => s.name).filter((n) => !scenesFor(ex.config).some((s) => s.name === n))).toEqual(['rope']);
  });
  it('has unique kebab-case names', () => {
    const names = SCENES.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  for (const def of scenesFor(ex.config)) {
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
    for (const def of scenesFor(ex.config)) {
      const scene = def.build(ex);
      expectSceneSound(ex, scene, def.name);
    }
  }, 300_000); // every scene at many times and two sizes, drawn for real
});

describe('scenes with emoji and non-Latin text (byte-level pieces)', () => {
  const ex = sceneExplanation('Robots 🤖 bring 你好 naïve_text^2 {x}', { compare: 'Robots 🤖 bring 再见' });
  it('draw every scene with true numbers', () => {
    expect(ex.tokens.some((t) => t.text.includes('<0x'))).toBe(true);
    for (const def of scenesFor(ex.config)) {
      const scene = def.build(ex);
      expectSceneSound(ex, scene, def.name);
    }
  }, 300_000); // every scene at many times and two sizes, drawn for real
});

describe('scenes with a long prompt and another layer and head', () => {
  const long = sceneExplanation('The robots will bring the parcels to every house in the town before the sun sets', { layer: 2, head: 5 });
  it('keeps every number true when rows fold into ⋮', () => {
    expect(long.tokens.length).toBeGreaterThan(15);
    for (const def of scenesFor(long.config)) {
      const scene = def.build(long);
      expectSceneSound(long, scene, def.name);
    }
  }, 300_000); // every scene at many times and two sizes, drawn for real
});

describe('scenes for the embedded model (the page\'s default)', () => {
  it('draw every scene with true numbers, inside their areas, and say why many logits are equal', async () => {
    const { config, weights } = await loadModelDir(fileURLToPath(new URL('../models/default', import.meta.url)));
    const ex = explain(new GPT(config, weights), gpt2Tokenizer(), 'The robots will bring', { modelName: 'models/default', compare: DEFAULT_COMPARE_PROMPT });
    for (const def of scenesFor(ex.config)) {
      const scene = def.build(ex);
      expectSceneSound(ex, scene, def.name);
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
      expectSceneSound(ex, scene, name);
    }
  });
});
