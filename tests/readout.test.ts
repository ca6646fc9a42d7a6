// The hover readout's sentence: the flat index as one index per axis, the value at full float32
// precision, what the tensor is, and the token for vocabulary-wide tensors. Checked against the
// trace of a real (tiny) explanation.

import { describe, expect, it } from 'vitest';
import { describeSpot, fullPrecision, indicesOf, spotUnder } from '../src/web/readout.ts';
import { SCENES } from '../src/scenes/index.ts';
import { traceTable } from '../src/model/registry.ts';
import type { Spot } from '../src/render/frame.ts';
import { namedValue, type TraceName, type ValueName } from '../src/model/registry.ts';
import { sceneExplanation } from './helpers/scene-explanation.ts';

const spot = (x: number, tensor: ValueName, index: number, value: number): Spot => ({ x, y: 0, w: 10, h: 10, value, source: { tensor, index } });

describe('the hover readout', () => {
  const ex = sceneExplanation();
  const T = ex.tokens.length;
  const V = ex.config.vocabSize;

  it('turns a flat index into one index per axis', () => {
    expect(indicesOf(0, [2, 3, 4])).toEqual([0, 0, 0]);
    expect(indicesOf(23, [2, 3, 4])).toEqual([1, 2, 3]);
    expect(indicesOf(13, [2, 3, 4])).toEqual([1, 0, 1]);
  });

  it('writes values at full precision with a true minus sign', () => {
    expect(fullPrecision(-0.123456789)).toBe('\u22120.1234568');
    expect(fullPrecision(50257)).toBe('50257');
    expect(fullPrecision(-Infinity)).toBe('−∞');
  });

  it('picks the spot drawn last where spots overlap, and none outside them', () => {
    const under = spot(0, 'embed.sum', 0, 1);
    const over = spot(5, 'ln_f', 0, 2);
    expect(spotUnder([under, over], 7, 5)).toBe(over);
    expect(spotUnder([under, over], 2, 5)).toBe(under);
    expect(spotUnder([under, over], 30, 5)).toBeNull();
  });

  it('names an attention weight by head, row and column, with what the tensor is', () => {
    const weights = ex.trace.get('h.0.attn.weights')!;
    const index = 1 * T * T + (T - 1) * T + 1; // head 1, last row, column 1
    const text = describeSpot(spot(0, 'h.0.attn.weights', index, weights.data[index]), ex);
    expect(text).toBe(`h.0.attn.weights[1, ${T - 1}, 1] = ${fullPrecision(weights.data[index])} (after the causal mask and softmax)`);
  });

  it('names the token of a vocabulary-wide value', () => {
    const probs = ex.trace.get('probs')!;
    const id = 17;
    const index = (T - 1) * V + id;
    const text = describeSpot(spot(0, 'probs', index, probs.data[index]), ex);
    expect(text).toContain(`probs[${T - 1}, ${id}] = `);
    expect(text).toContain(`for the token “${ex.piece(id).text}”`);
  });

  it('describes every spot of every scene with its tensor\'s own words, never a bare index', () => {
    const table = traceTable(ex.config, T);
    // Written out here rather than imported, so a changed or missing description fails.
    const OTHER_SOURCES: Record<string, string> = {
      tokens: 'the id of a prompt token',
      topTokens: 'the id of one of the most likely next tokens, most likely first (the largest entries of the last row of probs)',
      parameterCount: "the model's parameter count, the numbers in its weight tensors",
      sampledProbs: 'next-token probability after temperature, top-k and top-p',
      'generation.probability': 'probability of the token generated at this step',
      'generation.chosen': 'id of the token generated at this step',
      'generation.context': 'id of a token in the context at this step',
    };
    for (const def of SCENES) {
      const scene = def.build(ex);
      const spots = [0.3, 0.6, 0.95].flatMap((f) => scene.spotsAt(scene.durationSeconds * f, 1280, 720));
      for (const s of spots) {
        const name = s.source.tensor;
        const tensor = ex.trace.get(name as TraceName);
        const what = tensor ? table.find((e) => e.name === name)?.what : OTHER_SOURCES[name];
        expect(what, `${def.name}: ${name} is neither a traced tensor nor a named source`).toBeTruthy();
        const where = indicesOf(s.source.index, namedValue(ex, name)!.shape);
        const text = describeSpot(s, ex);
        expect(text.startsWith(`${name}[${where.join(', ')}] = ${fullPrecision(s.value)} (${what})`), `${def.name}: ${text}`).toBe(true);
        if (tensor) expect(s.value, `${def.name}: ${name}[${s.source.index}] is not the traced value`).toBe(tensor.data[s.source.index]);
      }
    }
  });
});
