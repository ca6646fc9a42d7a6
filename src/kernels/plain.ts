// Plain TypeScript kernels: the reference every faster kernel is tested against.
// Loops are ordered i-k-j so the innermost loop walks both `b` and `out` contiguously.

import type { Kernels } from './kernels.ts';
import { HalfArray } from './half.ts';
import { HeldMatrix } from './held.ts';

export const plainKernels: Kernels = {
  name: 'plain',

  matmul(out, a, weight, bias, M, K, N) {
    // A matrix other kernels hold is read back whole (these kernels never hold one themselves).
    const b = weight instanceof HeldMatrix ? weight.toFloat32() : weight;
    for (let i = 0; i < M; i++) {
      const o = i * N;
      if (bias) out.set(bias.subarray(0, N), o);
      else out.fill(0, o, o + N);
      for (let k = 0; k < K; k++) {
        const aik = a[i * K + k];
        const bRow = k * N;
        for (let j = 0; j < N; j++) out[o + j] += aik * b[bRow + j];
      }
    }
  },

  matmulTransposed(out, a, weight, M, K, N) {
    const b = weight instanceof HeldMatrix ? weight.toFloat32() : weight;
    // Half-precision rows are widened one at a time, into a row of floats reused for each.
    const row = b instanceof HalfArray ? new Float32Array(K) : null;
    for (let j = 0; j < N; j++) {
      let rowOf: Float32Array = b as Float32Array;
      let bRow = j * K;
      if (row) {
        (b as HalfArray).widen(j * K, (j + 1) * K, row);
        rowOf = row;
        bRow = 0;
      }
      for (let i = 0; i < M; i++) {
        const aRow = i * K;
        let sum = 0;
        for (let k = 0; k < K; k++) sum += a[aRow + k] * rowOf[bRow + k];
        out[i * N + j] = sum;
      }
    }
  },

  headScores(out, q, keys, { T, S, D, nHead, nKv }) {
    for (let h = 0; h < nHead; h++) {
      const g = Math.floor(h / (nHead / nKv)); // the key head query head h reads
      for (let t = 0; t < T; t++) {
        const qRow = t * nHead * D + h * D;
        for (let s = 0; s < S; s++) {
          const kRow = s * nKv * D + g * D;
          let sum = 0;
          for (let i = 0; i < D; i++) sum += q[qRow + i] * keys[kRow + i];
          out[(h * T + t) * S + s] = sum;
        }
      }
    }
  },

  headMix(out, w, values, { T, S, D, nHead, nKv }) {
    for (let h = 0; h < nHead; h++) {
      const g = Math.floor(h / (nHead / nKv)); // the value head query head h reads
      for (let t = 0; t < T; t++) {
        const o = (h * T + t) * D;
        out.fill(0, o, o + D);
        // As in matmul: weight s scales value row s, added along the output row.
        for (let s = 0; s < S; s++) {
          const wts = w[(h * T + t) * S + s];
          const vRow = s * nKv * D + g * D;
          for (let i = 0; i < D; i++) out[o + i] += wts * values[vRow + i];
        }
      }
    }
  },
};
