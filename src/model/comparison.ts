// Values of a comparison of two prompts run by one model (Explanation.compare): how many tokens
// they share from the start, and the second's numbers minus the first's, for the next-token
// probabilities and a block's attention weights. Declared in the registry (sharedStart,
// diff.nextProbs, diff.h.L.attn.weights); scenes draw them and never subtract themselves.
// Shape legend: T, T₂ the two prompts' tokens, T' = min(T, T₂), n_head heads, V vocabulary.

import type { Explanation } from './explanation.ts';
import type { TraceName } from './registry.ts';
import { traced } from './trace.ts';

/** How many tokens, from the first, the two prompts have in common (0 when they differ at once). */
export function sharedStart(first: Explanation, second: Explanation): number {
  const n = Math.min(first.tokens.length, second.tokens.length);
  let k = 0;
  while (k < n && first.tokens[k].id === second.tokens[k].id) k++;
  return k;
}

/** V: the second prompt's next-token probabilities minus the first's, each after its own last token. */
export function nextProbsDifference(first: Explanation, second: Explanation): Float32Array {
  const lastRow = (ex: Explanation) => {
    const V = ex.config.vocabSize;
    const T = ex.tokens.length;
    return traced(ex.trace, 'probs').data.subarray((T - 1) * V, T * V);
  };
  const a = lastRow(first);
  const b = lastRow(second);
  const difference = new Float32Array(b.length); // V
  for (let id = 0; id < b.length; id++) difference[id] = b[id] - a[id];
  return difference;
}

/**
 * n_head × T' × T': block `layer`'s attention weights of the second prompt minus the first's, at
 * the same head, row and column, positions counted from the start; only the first T' positions,
 * which both prompts have.
 */
export function weightsDifference(first: Explanation, second: Explanation, layer: number): { shape: number[]; data: Float32Array } {
  // Named here rather than with registry.ts's block(), which imports this file.
  const name: TraceName = `h.${layer}.attn.weights`;
  const a = traced(first.trace, name);
  const b = traced(second.trace, name);
  const [nHead, Ta] = a.shape;
  const Tb = b.shape[1];
  const T = Math.min(Ta, Tb);
  const data = new Float32Array(nHead * T * T);
  for (let h = 0; h < nHead; h++) {
    for (let r = 0; r < T; r++) {
      for (let c = 0; c < T; c++) data[(h * T + r) * T + c] = b.data[(h * Tb + r) * Tb + c] - a.data[(h * Ta + r) * Ta + c];
    }
  }
  return { shape: [nHead, T, T], data };
}
