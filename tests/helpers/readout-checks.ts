// What the hover readout must say of one spot a scene draws: a total or remainder as the sum of
// the values it lists, a score the mask hides as −∞, any other value as its tensor, one index per
// axis, its exact value and `what` the tensor is.

import { expect } from 'vitest';
import type { Explanation } from '../../src/model/explanation.ts';
import { indicesOf, namedValue, ownerOf, type TraceName } from '../../src/model/registry.ts';
import type { Spot } from '../../src/render/frame.ts';
import { describeSpot, fullPrecision } from '../../src/web/readout.ts';

export function expectSpotDescribed(ex: Explanation, sceneName: string, s: Spot, what: string): void {
  const name = s.source.tensor;
  // A second prompt's value (compare.NAME) is its own trace's NAME.
  const owner = ownerOf(ex, s.source);
  const tensor = owner?.explanation.trace.get(owner.source.tensor as TraceName);
  const where = indicesOf(s.source.index, namedValue(ex, name)!.shape);
  const text = describeSpot(s, ex);
  const many = s.sumOf ?? s.complementOf;
  if (many) {
    // A total or remainder: the sum of the values it lists, as the scene drew it.
    const sum = many.reduce((acc, i) => acc + namedValue(ex, name)!.data[i], 0);
    expect(s.value, `${sceneName}: ${text}`).toBe(s.complementOf ? 1 - sum : sum);
    expect(text, `${sceneName}`).toBe(`${s.complementOf ? '1 − ' : ''}the sum of ${many.length} values of ${name} (${what}) = ${fullPrecision(s.value)}`);
  } else if (s.masked) {
    expect([name.endsWith('attn.scores'), where[2] > where[1], s.value], `${sceneName}: ${text}`).toEqual([true, true, -Infinity]);
    expect(text).toBe(`${name}[${where.join(', ')}] after the causal mask = −∞`);
  } else {
    expect(text.startsWith(`${name}[${where.join(', ')}] = ${fullPrecision(s.value)} (${what})`), `${sceneName}: ${text}`).toBe(true);
    if (tensor) expect(s.value, `${sceneName}: ${name}[${s.source.index}] is not the traced value`).toBe(tensor.data[owner!.source.index]);
  }
}
