// The hover readout's words: which tensor of the forward pass a value on screen comes from,
// at which position, with its full precision. Kept apart from the player so a test can check
// the sentence against the trace without a browser.

import type { Explanation } from '../model/explanation.ts';
import type { Spot } from '../render/frame.ts';
import { traceTable } from '../model/trace.ts';

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

/** What the sources that are not trace tensors are (see the Explanation in scenes/contract.ts). */
const OTHER_SOURCES: Record<string, string> = {
  tokens: 'the id of a prompt token',
  vocab: 'a token id',
  parameterCount: "the model's parameter count",
  sampledProbs: 'next-token probability after temperature, top-k and top-p',
  'generation.probability': 'probability of the token generated at this step',
  'generation.chosen': 'id of the token generated at this step',
  'generation.context': 'id of a token in the context at this step',
  'generation.top': 'probability of one of the likeliest tokens at this step',
};

/** E.g. `h.0.attn.weights[1, 3, 2] = 0.2417830 (after the causal mask and softmax)`. */
export function describeSpot(spot: Spot, ex: Explanation): string {
  const { tensor: name, index } = spot.source;
  const tensor = ex.trace.get(name);
  const where = tensor ? indicesOf(index, tensor.shape) : [index];
  const parts = [`${name}[${where.join(', ')}] = ${fullPrecision(spot.value)}`];
  const entry = tensor ? traceTable(ex.config, ex.tokens.length).find((e) => e.name === name) : undefined;
  const what = entry?.what ?? OTHER_SOURCES[name];
  if (what) parts.push(`(${what})`);
  // The last axis of a vocabulary-wide tensor is a token: name it.
  const V = ex.config.vocabSize;
  if ((tensor && tensor.shape.at(-1) === V) || name === 'sampledProbs') parts.push(`for the token “${ex.piece(where.at(-1)!).text}”`);
  if (spot.note) parts.push(`; ${spot.note}`);
  return parts.join(' ');
}
