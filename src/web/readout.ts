// The readout's words and the inspection's geometry: which tensor of the forward pass a value on
// screen comes from, at which position, with its full precision; which spot comes next in
// reading order; which spots a formula reads. Kept apart from the player so a test can check
// them against the trace without a browser.

import type { Explanation } from '../model/explanation.ts';
import type { InputRun } from '../model/formula.ts';
import type { Spot } from '../render/frame.ts';
import { indicesOf, namedValue } from '../model/registry.ts';

/** The spot under (x, y), if any: the last one drawn there, which is on top. */
export function spotUnder(spots: readonly Spot[], x: number, y: number): Spot | null {
  for (let i = spots.length - 1; i >= 0; i--) {
    const s = spots[i];
    if (x >= s.x && x <= s.x + s.w && y >= s.y && y <= s.y + s.h) return s;
  }
  return null;
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
  const what = value?.what ? ` (${value.what})` : '';
  const many = spot.sumOf ?? spot.complementOf;
  if (many) {
    const sum = `the sum of ${many.length} values of ${name}${what}`;
    return `${spot.complementOf ? `1 − ${sum}` : sum} = ${fullPrecision(spot.value)}`;
  }
  const where = value ? indicesOf(index, value.shape) : [index];
  if (spot.masked) return `${name}[${where.join(', ')}] after the causal mask = −∞`;
  const parts = [`${name}[${where.join(', ')}] = ${fullPrecision(spot.value)}${what}`];
  // The last axis of a vocabulary-wide value is a token: name it.
  if (value && value.shape.at(-1) === ex.config.vocabSize) parts.push(`for the token “${ex.piece(where.at(-1)!).text}”`);
  if (spot.note) parts.push(`; ${spot.note}`);
  return parts.join(' ');
}

/** Whether two spots stand for the same value (a cell and the number drawn in it). */
export function sameValue(a: Spot, b: Spot): boolean {
  return a.source.tensor === b.source.tensor && a.source.index === b.source.index && !!a.masked === !!b.masked && !a.sumOf === !b.sumOf && !a.complementOf === !b.complementOf;
}

const overlap = (a: Spot, b: Spot) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * The spots as lines of reading: top to bottom, each left to right. A spot whose middle lies
 * within the height of a line's first spot belongs to that line; a value drawn twice in one place
 * (a coloured cell and its number) counts once.
 */
export function readingLines(spots: readonly Spot[]): Spot[][] {
  const kept: Spot[] = [];
  for (const s of spots) if (!kept.some((k) => sameValue(k, s) && overlap(k, s))) kept.push(s);
  kept.sort((a, b) => a.y + a.h / 2 - (b.y + b.h / 2) || a.x - b.x);
  const lines: Spot[][] = [];
  for (const s of kept) {
    const line = lines.at(-1);
    const middle = s.y + s.h / 2;
    if (line && middle <= line[0].y + line[0].h) line.push(s);
    else lines.push([s]);
  }
  for (const line of lines) line.sort((a, b) => a.x - b.x);
  return lines;
}

export type Move = 'next' | 'previous' | 'up' | 'down';

/**
 * The spot a key moves to from `from` (null: none inspected yet, so the first or the last):
 * next and previous in reading order, up and down to the nearest spot of the line above or
 * below. Stays put at either end.
 */
export function moveAmong(lines: readonly Spot[][], from: Spot | null, move: Move): Spot | null {
  const order = lines.flat();
  if (order.length === 0) return null;
  const forward = move === 'next' || move === 'down';
  const at = from ? order.findIndex((s) => sameValue(s, from) && overlap(s, from)) : -1;
  if (at < 0) return forward ? order[0] : order[order.length - 1];
  if (move === 'next' || move === 'previous') return order[Math.min(order.length - 1, Math.max(0, at + (forward ? 1 : -1)))];
  const line = lines.findIndex((l) => l.includes(order[at]));
  const target = lines[line + (forward ? 1 : -1)];
  if (!target) return order[at];
  const middle = order[at].x + order[at].w / 2;
  return target.reduce((best, s) => (Math.abs(s.x + s.w / 2 - middle) < Math.abs(best.x + best.w / 2 - middle) ? s : best));
}

/** Whether a spot shows one of the values a formula reads (so the scene highlights it). */
export function readBy(spot: Spot, inputs: readonly InputRun[]): boolean {
  if (spot.masked || spot.sumOf || spot.complementOf) return false;
  return inputs.some((run) => {
    if (run.tensor !== spot.source.tensor) return false;
    const step = (spot.source.index - run.start) / run.stride;
    return Number.isInteger(step) && step >= 0 && step < run.count;
  });
}
