// Why RoPE makes attention see distances: for one query head, the dot product of every turned
// query with every turned key, computed twice from the trace. Once as the model does (turned
// query · turned key), once from the vectors as they were before RoPE, with only the key turned,
// by the difference of the two positions' angles. The two agree (to float rounding) because
// turning both by their own angles changes a pair's dot product only by that difference.
// The registry serves both as derived values (registry.ts: rope.dot, rope.relative).
//
// Shape legend: T tokens, D head size, nH query heads, nKV key/value heads.

import type { ModelConfig } from './architecture.ts';
import { traced, type Trace } from './trace.ts';

/** T × T products for query head `head` of block `layer`, row i the query's position, column j the key's. */
export function ropeProducts(trace: Trace, config: ModelConfig, layer: number, head: number): { dot: Float64Array; relative: Float64Array } {
  const { nHead, nKvHead, headDim: D } = config;
  const half = D / 2;
  const kvHead = Math.floor((head * nKvHead) / nHead); // the key/value head this query head reads
  // Names written out rather than built with registry.ts's block(), which imports this file.
  const q = traced(trace, `h.${layer}.attn.q`).data; // T × nH·D
  const k = traced(trace, `h.${layer}.attn.k`).data; // T × nKV·D
  const qRot = traced(trace, `h.${layer}.attn.q_rot`).data; // T × nH·D
  const kRot = traced(trace, `h.${layer}.attn.k_rot`).data; // T × nKV·D
  const angles = traced(trace, 'rope.angles'); // T × D/2
  const T = angles.shape[0];
  const dot = new Float64Array(T * T);
  const relative = new Float64Array(T * T);
  for (let i = 0; i < T; i++) {
    const qo = i * nHead * D + head * D;
    for (let j = 0; j < T; j++) {
      const ko = j * nKvHead * D + kvHead * D;
      let turnedBoth = 0;
      for (let d = 0; d < D; d++) turnedBoth += qRot[qo + d] * kRot[ko + d];
      let keyTurned = 0;
      for (let p = 0; p < half; p++) {
        // The key's pair turned by θ_j − θ_i, then its dot product with the query's pair.
        const delta = angles.data[j * half + p] - angles.data[i * half + p];
        const c = Math.cos(delta);
        const s = Math.sin(delta);
        const ka = k[ko + p];
        const kb = k[ko + half + p];
        keyTurned += q[qo + p] * (ka * c - kb * s) + q[qo + half + p] * (kb * c + ka * s);
      }
      dot[i * T + j] = turnedBoth;
      relative[i * T + j] = keyTurned;
    }
  }
  return { dot, relative };
}
