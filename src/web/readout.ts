// The hover readout's words: which tensor of the forward pass a value on screen comes from,
// at which position, with its full precision. Kept apart from the player so a test can check
// the sentence against the trace without a browser.

import type { Explanation } from '../model/explanation.ts';
import type { Spot } from '../render/frame.ts';
import { namedValue } from '../model/registry.ts';

/** The spot under (x, y), if any: the last one drawn there, which is on top. */
export function spotUnder(spots: readonly Spot[], x: number, y: number): Spot | null {
  for (let i = spots.length - 1; i >= 0; i--) {
    const s = spots[i];
    if (x >= s.x && x <= s.x + s.w && y >= s.y && y <= s.y + s.h) return s;
  }
  return null;
}

/** The flat row-major index as one index per dimension. */
export function indicesOf(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return out;
}

/** A value at full float32 precision, with a true minus sign. */
export function fullPrecision(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '∞' : value < 0 ? '−∞' : 'NaN';
  const text = Number.isInteger(value) ? String(value) : value.toPrecision(7);
  return text.replace('-', '\u2212');
}

/** E.g. `h.0.attn.weights[1, 3, 2] = 0.2417830 (after the causal mask and softmax)`. */
export function describeSpot(spot: Spot, ex: Explanation): string {
  const { tensor: name, index } = spot.source;
  const value = namedValue(ex, name);
  const where = value ? indicesOf(index, value.shape) : [index];
  const parts = [`${name}[${where.join(', ')}] = ${fullPrecision(spot.value)}`];
  if (value?.what) parts.push(`(${value.what})`);
  // The last axis of a vocabulary-wide value is a token: name it.
  if (value && value.shape.at(-1) === ex.config.vocabSize) parts.push(`for the token “${ex.piece(where.at(-1)!).text}”`);
  if (spot.note) parts.push(`; ${spot.note}`);
  return parts.join(' ');
}
