// What each attention head mostly looks at, as one number per block × head: the mean weight it
// puts on the previous token, on the first token, and on the token itself. A view of the trace's
// attention weights, declared in the registry (heads.previous, heads.first, heads.self).
// Shape legend: T tokens, L blocks, n_head heads.

import type { TraceName } from './registry.ts';
import { traced, type Trace } from './trace.ts';

export type HeadHabit = 'previous' | 'first' | 'self';

/**
 * The first row where the token itself, the one before it and the first token are three
 * different tokens (row 2): before it, "previous" and "first" (row 1) or all three (row 0)
 * are the same column, and a mean over them would count one weight as two habits.
 */
export const FIRST_HABIT_ROW = 2;

/**
 * L × n_head: the mean, over rows 2 … T − 1, of each head's weight on `habit`'s column
 * (r − 1, 0 or r). NaN for every head when the prompt has fewer than three tokens.
 */
export function headHabit(trace: Trace, nLayer: number, habit: HeadHabit): Float32Array {
  // Named here rather than with registry.ts's block(), which imports this file.
  const weights = (l: number): TraceName => `h.${l}.attn.weights`;
  const first = traced(trace, weights(0)); // n_head × T × T
  const [nHead, T] = first.shape;
  const out = new Float32Array(nLayer * nHead).fill(NaN);
  const rows = T - FIRST_HABIT_ROW;
  if (rows <= 0) return out;
  for (let l = 0; l < nLayer; l++) {
    const w = traced(trace, weights(l)).data;
    for (let h = 0; h < nHead; h++) {
      let sum = 0;
      for (let r = FIRST_HABIT_ROW; r < T; r++) {
        const column = habit === 'previous' ? r - 1 : habit === 'first' ? 0 : r;
        sum += w[(h * T + r) * T + column];
      }
      out[l * nHead + h] = sum / rows;
    }
  }
  return out;
}
