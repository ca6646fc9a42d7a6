// The numeric kernels the model and trainer call. One interface, two implementations:
// plain TypeScript loops (the readable definition of correct) and WebAssembly SIMD (fast).
// All arrays are row-major Float32Array (the output head's table may be a HalfArray); M, K, N
// are the usual matrix-product sizes.

import type { HalfArray } from './half.ts';

export interface Kernels {
  /** A short name for benchmarks and logs, e.g. "plain" or "wasm-simd". */
  readonly name: string;
  /** out[M×N] = a[M×K] · b[K×N] + bias[N] (bias may be null). b is in GPT-2's Conv1D layout [in, out]. */
  matmul(out: Float32Array, a: Float32Array, b: Float32Array, bias: Float32Array | null, M: number, K: number, N: number): void;
  /**
   * out[M×N] = a[M×K] · b[N×K]ᵀ: used for the output head (b is the V×C embedding table, which
   * may be kept as half-precision numbers) and Q·Kᵀ.
   */
  matmulTransposed(out: Float32Array, a: Float32Array, b: Float32Array | HalfArray, M: number, K: number, N: number): void;
  /**
   * Optional: a model calls this once per weight matrix when it is built, so fast kernels can
   * lay the weight out for products now rather than during the first forward pass. b is K×N
   * as in matmul, or N×K when `transposed` (as in matmulTransposed).
   */
  prepareWeight?(b: Float32Array | HalfArray, K: number, N: number, transposed: boolean): void;
}
