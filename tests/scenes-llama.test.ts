// The scenes for Llama-family models, on the fixtures that carry a tokenizer: llama-smol-gqa
// (8 query heads sharing 2 key/value heads, tied head, BF16) and llama-qwen2-untied (q/k/v
// biases, a key/value head per query head, separate head). Every scene the model has passes the
// same truth and layout checks as GPT-2's (scene-checks.ts); the RoPE scene's numbers are the
// turn it claims.

import { describe, expect, it } from 'vitest';
import { SCENES, scenesFor, sceneByName } from '../src/scenes/index.ts';
import type { Explanation } from '../src/model/explanation.ts';
import { block, namedValue } from '../src/model/registry.ts';
import { expectSpotDescribed } from './helpers/readout-checks.ts';
import { llamaExplanation, LLAMA_SCENE_FOLDERS } from './helpers/llama-explanation.ts';
import { expectSceneSound, numbersOutsideArea, pixels, SIZES, textOutsideArea } from './helpers/scene-checks.ts';
import { checkScene } from './helpers/check-scene.ts';

const explanations: Record<string, Explanation> = {};
for (const folder of LLAMA_SCENE_FOLDERS) explanations[folder] = await llamaExplanation(folder);
const long = await llamaExplanation('llama-smol-gqa', 'The keeper climbed the stairs every evening before the sun went down, and counted them: café!', { layer: 2, head: 7 });

describe.each(LLAMA_SCENE_FOLDERS)('scenes for %s', (folder) => {
  const ex = explanations[folder];
  it('has RoPE in place of the position table and the sum', () => {
    const names = scenesFor(ex.config).map((s) => s.name);
    expect(names).toContain('rope');
    expect(names).not.toContain('position-embeddings');
    expect(names).not.toContain('embedding-sum');
    expect(SCENES.length - names.length).toBe(2);
  });

  for (const def of scenesFor(ex.config)) {
    describe(def.name, () => {
      const scene = def.build(ex);
      for (const [w, h] of SIZES) {
        it(`draws at ${w}×${h} and shows only the model's numbers`, () => {
          const { errors, shownCount } = checkScene(ex, scene, w, h);
          expect(errors.slice(0, 10)).toEqual([]);
          expect(shownCount).toBeGreaterThan(0);
        });
      }
      it('keeps its numbers and text inside its area on phones and desktops', () => {
        expect(numbersOutsideArea(scene).slice(0, 5)).toEqual([]);
        expect(textOutsideArea(scene).slice(0, 5)).toEqual([]);
      });
      it('is a pure function of time and changes over time', () => {
        const d = scene.durationSeconds;
        const late = pixels(scene, d * 0.8, 640, 360);
        expect(pixels(scene, d * 0.3, 640, 360)).not.toBe(late);
        expect(pixels(scene, d * 0.8, 640, 360)).toBe(late);
      });
    });
  }
});

describe('scenes for a long prompt in another block and head', () => {
  it('keep every number true and inside their areas', () => {
    for (const def of scenesFor(long.config)) {
      const scene = def.build(long);
      expectSceneSound(long, scene, def.name);
    }
  });
});

describe('the hover readout on Llama-family scenes', () => {
  it('names every spot with its tensor, indices, exact value and the registry’s words for it', () => {
    for (const folder of LLAMA_SCENE_FOLDERS) {
      const ex = explanations[folder];
      for (const def of scenesFor(ex.config)) {
        const scene = def.build(ex);
        for (const s of [0.3, 0.6, 0.95].flatMap((f) => scene.spotsAt(scene.durationSeconds * f, 1280, 720))) {
          const { what } = namedValue(ex, s.source.tensor)!;
          expect(what.length, `${def.name}: ${s.source.tensor}`).toBeGreaterThan(5);
          expectSpotDescribed(ex, def.name, s, what);
        }
      }
    }
  });
});

describe('the RoPE scene', () => {
  const ex = explanations['llama-smol-gqa'];
  const scene = sceneByName('rope')!.build(ex);
  const beat = (name: string) => scene.beats!.find((b) => b.name === name)!;
  const shownAt = (t: number) => scene.numbersAt(t, 1280, 720);
  const T = ex.tokens.length;
  const D = ex.config.headDim;
  const { layer, head } = ex;

  it('shows the query pair turned by exactly its position’s angle', () => {
    const shown = shownAt(beat('query').endSeconds - 0.01);
    const value = (tensor: string) => shown.filter((n) => n.source.tensor === tensor).map((n) => n.source.index);
    const [a, b] = value(block(layer, 'attn.q'));
    const [ra, rb] = value(block(layer, 'attn.q_rot'));
    const angle = (T - 1) * (D / 2);
    expect(value('rope.angles')).toContain(angle);
    const data = (name: string) => ex.trace.get(name as never)!.data;
    // The pair is dimensions 0 and D/2 of the head, for the last token, at its angle.
    expect(b - a).toBe(D / 2);
    expect(a).toBe((T - 1) * ex.config.nHead * D + head * D);
    const theta = data('rope.angles')[angle];
    const [qa, qb] = [data(block(layer, 'attn.q'))[a], data(block(layer, 'attn.q'))[b]];
    expect(data(block(layer, 'attn.q_rot'))[ra]).toBeCloseTo(qa * Math.cos(theta) - qb * Math.sin(theta), 5);
    expect(data(block(layer, 'attn.q_rot'))[rb]).toBeCloseTo(qb * Math.cos(theta) + qa * Math.sin(theta), 5);
    expect(Math.abs(theta)).toBeGreaterThan(1); // a turn one can see
  });

  it('shows the key of another head when heads share keys: query head h reads key/value head h ÷ group', () => {
    const shown = shownAt(beat('key').endSeconds - 0.01);
    const k = shown.filter((n) => n.source.tensor === block(layer, 'attn.k')).map((n) => n.source.index);
    const kvHead = Math.floor(head / (ex.config.nHead / ex.config.nKvHead));
    expect(kvHead).not.toBe(head);
    const key = Math.floor((T - 1) / 2); // the token halfway back
    expect(k[0]).toBe(key * ex.config.nKvHead * D + kvHead * D);
  });

  it('shows both products with the same digits for every key the query sees, and the score beside them', () => {
    const shown = shownAt(scene.durationSeconds);
    const dot = shown.filter((n) => n.source.tensor === 'rope.dot');
    const relative = shown.filter((n) => n.source.tensor === 'rope.relative');
    expect(dot.length).toBeGreaterThan(1);
    expect(relative.map((n) => n.source.index)).toEqual(dot.map((n) => n.source.index));
    expect(relative.map((n) => n.text)).toEqual(dot.map((n) => n.text));
    const scores = shown.filter((n) => n.source.tensor === block(layer, 'attn.scores'));
    expect(scores.map((n) => n.source.index % (T * T))).toEqual(dot.map((n) => n.source.index));
  });
});
