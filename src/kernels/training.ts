// Extra matrix products the trainer's backward pass needs, on top of the inference Kernels.
// With y[M×N] = x[M×K] · W[K×N] (GPT-2's Conv1D layout), the gradients are
//   dx[M×K] = dy[M×N] · Wᵀ      → matmulTransposed(dx, dy, W, M, N, K)
//   dW[K×N] = xᵀ · dy            → matmulATransposed(dW, x, dy, K, M, N, accumulate)
// The plain version here is the readable reference the fast one is tested against.

import type { Kernels } from './kernels.ts';
import { plainKernels } from './plain.ts';

export interface TrainingKernels extends Kernels {
  /**
   * out[M×N] = a[K×M]ᵀ · b[K×N], or out += that product when `accumulate` is true
   * (for a weight used twice, such as GPT-2's tied token embedding).
   */
  matmulATransposed(out: Float32Array, a: Float32Array, b: Float32Array, M: number, K: number, N: number, accumulate?: boolean): void;
}

export const plainTrainingKernels: TrainingKernels = {
  ...plainKernels,
  name: 'plain',

  matmulATransposed(out, a, b, M, K, N, accumulate = false) {
    if (!accumulate) out.fill(0, 0, M * N);
    // k-i-j order: row k of a gives one coefficient per output row i; row k of b is walked contiguously.
    for (let k = 0; k < K; k++) {
      const aRow = k * M;
      const bRow = k * N;
      for (let i = 0; i < M; i++) {
        const aki = a[aRow + i];
        const o = i * N;
        for (let j = 0; j < N; j++) out[o + j] += aki * b[bRow + j];
      }
    }
  },
};
