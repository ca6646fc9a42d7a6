// The core of causal multi-head attention, shared by GPT-2 (gpt.ts) and the Llama family
// (llama.ts): every head's scores, the causal mask and softmax, the weighted sums of values,
// and the heads side by side. The projections before and after are each model's own.
//
// Shape legend: T new positions, P earlier ones (in a cache), S = P + T positions attended
// over, n_head query heads of D numbers, n_kv key/value heads (grouped-query attention when
// fewer than n_head).

import type { HeadShape, Kernels } from '../kernels/kernels.ts';
import { softmaxRowsWith } from './ops.ts';

export interface AttentionTensors {
  /** n_head × T × S: Q Kᵀ / √D, before the mask. */
  scores: Float32Array;
  /** n_head × T × S: after the causal mask and softmax. */
  weights: Float32Array;
  /** n_head × T × D: each head's weighted sum of values. */
  heads: Float32Array;
  /** T × n_head·D: the heads side by side. */
  concat: Float32Array;
}

/**
 * Attention of T new positions (after `past` earlier ones) over all S = past + T:
 * q (T × n_head·D), keys and values (S × n_kv·D). `alloc` gives the arrays it returns.
 */
export function causalAttention(
  kernels: Kernels, q: Float32Array, keys: Float32Array, values: Float32Array, past: number, shape: HeadShape,
  alloc: (n: number) => Float32Array = (n) => new Float32Array(n),
): AttentionTensors {
  const { T, S, D, nHead } = shape;
  const scale = 1 / Math.sqrt(D);
  const scores = alloc(nHead * T * S); // n_head × T × S
  kernels.headScores(scores, q, keys, shape);
  for (let i = 0; i < scores.length; i++) scores[i] *= scale;

  // Causal mask: position past+t may look at positions 0…past+t only. Later ones get −∞
  // before the softmax, so their weight comes out exactly 0.
  const weights = alloc(nHead * T * S); // n_head × T × S
  for (let r = 0; r < nHead * T; r++) {
    const t = r % T;
    for (let s = 0; s < S; s++) weights[r * S + s] = s <= past + t ? scores[r * S + s] : -Infinity;
  }
  softmaxRowsWith(kernels, weights, weights, nHead * T, S);

  // Each output row: the weighted sum of value rows.
  const heads = alloc(nHead * T * D); // n_head × T × D
  kernels.headMix(heads, weights, values, shape);
  const width = nHead * D;
  const concat = alloc(T * width); // T × n_head·D
  for (let h = 0; h < nHead; h++) {
    for (let t = 0; t < T; t++) concat.set(heads.subarray((h * T + t) * D, (h * T + t + 1) * D), t * width + h * D);
  }
  return { scores, weights, heads, concat };
}
