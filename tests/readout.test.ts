// The hover readout's sentence: the flat index as one index per axis, the value at full float32
// precision, what the tensor is, and the token for vocabulary-wide tensors. Checked against the
// trace of a real (tiny) explanation.

import { describe, expect, it } from 'vitest';
import { describeSpot, fullPrecision, moveAmong, readBy, readingLines, spotUnder } from '../src/web/readout.ts';
import { scenesFor } from '../src/scenes/index.ts';
import { traceTable } from '../src/model/registry.ts';
import type { Spot } from '../src/render/frame.ts';
import { indicesOf, type TraceName, type ValueName } from '../src/model/registry.ts';
import { sceneExplanation } from './helpers/scene-explanation.ts';
import { expectSpotDescribed } from './helpers/readout-checks.ts';

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

  it('orders spots for reading: line by line, left to right, a cell and its number once', () => {
    const cell = (x: number, y: number, index: number, h = 10): Spot => ({ x, y, w: 10, h, value: index, source: { tensor: 'ln_f', index } });
    const numberInCell = { ...cell(21, 2, 2, 6) }; // drawn over cell 2
    const lines = readingLines([cell(40, 21, 5), cell(20, 0, 2), numberInCell, cell(0, 3, 1), cell(0, 20, 4), cell(20, 20, 3)]);
    expect(lines.map((l) => l.map((s) => s.source.index))).toEqual([[1, 2], [4, 3, 5]]);
    // Next and previous follow reading order; up and down keep to the nearest column; the ends stay put.
    expect(moveAmong(lines, null, 'next')!.source.index).toBe(1);
    expect(moveAmong(lines, null, 'previous')!.source.index).toBe(5);
    expect(moveAmong(lines, lines[0][1], 'next')!.source.index).toBe(4);
    expect(moveAmong(lines, lines[1][0], 'previous')!.source.index).toBe(2);
    expect(moveAmong(lines, lines[0][1], 'down')!.source.index).toBe(3);
    expect(moveAmong(lines, lines[1][2], 'up')!.source.index).toBe(2);
    expect(moveAmong(lines, lines[1][2], 'next')!.source.index).toBe(5);
    expect(moveAmong(lines, lines[0][0], 'up')!.source.index).toBe(1);
    expect(moveAmong([], null, 'next')).toBeNull();
  });

  it('finds the spots a formula reads: runs of indices of one value', () => {
    const at = (tensor: ValueName, index: number): Spot => ({ x: 0, y: 0, w: 1, h: 1, value: 0, source: { tensor, index } });
    const column = [{ tensor: 'h.0.attn.v' as const, start: 3, count: 4, stride: 96 }];
    expect([3, 99, 291, 387, 4, 0].map((i) => readBy(at('h.0.attn.v', i), column))).toEqual([true, true, true, false, false, false]);
    expect(readBy(at('h.0.attn.k', 3), column)).toBe(false);
    expect(readBy({ ...at('h.0.attn.v', 3), masked: true }, column)).toBe(false);
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
      block: 'a block, counted from 0',
      head: 'a head within its block, counted from 0',
      position: "a token's position in the prompt, counted from 0",
      'heads.previous': 'mean attention weight this head puts on the previous token, over the rows from 2 on (where itself, the previous and the first token are three tokens)',
      'heads.first': 'mean attention weight this head puts on the first token, over the rows from 2 on (where itself, the previous and the first token are three tokens)',
      'heads.self': 'mean attention weight this head puts on the token itself, over the rows from 2 on (where itself, the previous and the first token are three tokens)',
      'lens.probs': "next-token probability if the model stopped at this depth: that stage's residual stream through ln_f and the output head (the logit lens)",
      'diff.nextProbs': "the second prompt's next-token probability minus the first's, each after its own last token",
      [`diff.h.${ex.layer}.attn.weights`]: "the second prompt's attention weight minus the first's, at the same head, row and column (positions counted from the start, over those both prompts have)",
    };
    // A second prompt's value (compare.NAME) is described as its NAME is, for the second prompt.
    const second = ex.compare!;
    const ownWords = (name: string, trace = ex.trace) => (trace.get(name as TraceName) ? table.find((e) => e.name === name)?.what : OTHER_SOURCES[name]);
    for (const def of scenesFor(ex.config)) {
      const scene = def.build(ex);
      const spots = [0.3, 0.6, 0.95].flatMap((f) => scene.spotsAt(scene.durationSeconds * f, 1280, 720));
      for (const s of spots) {
        const name = s.source.tensor;
        const own = name.startsWith('compare.') ? name.slice('compare.'.length) : null;
        const words = own === null ? ownWords(name) : ownWords(own, second.trace);
        const what = words && own !== null ? `${words}, for the second prompt` : words;
        expect(what, `${def.name}: ${name} is neither a traced tensor nor a named source`).toBeTruthy();
        expectSpotDescribed(ex, def.name, s, what!);
      }
    }
  });
});
