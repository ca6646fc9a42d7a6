// The registry's sharedLogit.count and sharedLogit.value (the prediction scene's line on tokens
// whose logits are one and the same number), checked against a plain count in a Map on rows made
// to test its rules: the most frequent value, ties going to the first to reach the count, 0 and
// −0 as one value, and a row of distinct values.

import { describe, expect, it } from 'vitest';
import type { Explanation } from '../src/model/explanation.ts';
import { namedValue } from '../src/model/registry.ts';
import { SeededRandom } from '../src/model/sampling.ts';
import { sceneExplanation } from './helpers/scene-explanation.ts';

/** The explanation with its last row of logits replaced by `row` (a fresh object, so nothing cached is reused). */
function withLastLogits(row: Float32Array): Explanation {
  const ex = sceneExplanation();
  const V = ex.config.vocabSize;
  const T = ex.tokens.length;
  const logits = Float32Array.from(ex.trace.get('logits')!.data);
  logits.set(row, (T - 1) * V);
  const trace = new Map(ex.trace);
  trace.set('logits', { shape: [T, V], data: logits });
  return { ...ex, trace };
}

/** The reference: count every value in a Map, keeping the first to exceed the best count. */
function byMap(row: Float32Array): { value: number; count: number } {
  const counts = new Map<number, number>();
  let best = { value: row[0], count: 0 };
  for (const v of row) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > best.count) best = { value: v, count: n };
  }
  return best;
}

function shared(row: Float32Array): { value: number; count: number } {
  const ex = withLastLogits(row);
  return { value: namedValue(ex, 'sharedLogit.value')!.data[0], count: namedValue(ex, 'sharedLogit.count')!.data[0] };
}

describe('sharedLogit', () => {
  const V = sceneExplanation().config.vocabSize;
  const random = new SeededRandom(3);
  const rowOf = (valueAt: (i: number) => number) => Float32Array.from({ length: V }, (_, i) => valueAt(i));

  it('finds the value most logits share, as a count in a Map does', () => {
    // Most tokens share one of a few values, as tokens with one shared head row do; the rest distinct.
    const row = rowOf((i) => (i % 7 === 0 ? random.next() : [-3.25, 1.5, 0.125][i % 3] + (i % 11 === 0 ? 1 : 0)));
    const expected = byMap(row);
    expect(expected.count).toBeGreaterThan(1000);
    expect(shared(row)).toEqual(expected);
  });

  it('gives a tie to the value that reaches the count first', () => {
    const row = rowOf((i) => 100 + i / 1024); // distinct, exactly
    row.set([5, 7, 7, 5, 7, 5]); // 7 reaches three at index 4, 5 only at index 5
    expect(shared(row)).toEqual({ value: 7, count: 3 });
    expect(byMap(row)).toEqual({ value: 7, count: 3 });
  });

  it('counts 0 and −0 as one value', () => {
    const row = rowOf((i) => 100 + i / 1024); // distinct, exactly
    row.set([-0, 0, 0, 2, 2]);
    expect(shared(row)).toEqual({ value: 0, count: 3 });
  });

  it('says 1 for a row of distinct values, with its first value', () => {
    const row = rowOf((i) => i * 0.5 - 7);
    expect(shared(row)).toEqual({ value: -7, count: 1 });
  });
});
