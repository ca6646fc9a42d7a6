// The numeric kernels the model and trainer call. One interface, two implementations:
// plain TypeScript loops (the readable definition of correct) and WebAssembly SIMD (fast).
// All arrays are row-major Float32Array (the output head's table may be a HalfArray, and a
// weight may be a HeldMatrix the kernels keep in their own memory); M, K, N are the usual
// matrix-product sizes.

import type { HalfArray } from './half.ts';
import type { HeldMatrix, MatrixWriter, WeightMatrix } from './held.ts';

export interface Kernels {
  /** A short name for benchmarks and logs, e.g. "plain" or "wasm-simd". */
  readonly name: string;
  /** out[M×N] = a[M×K] · b[K×N] + bias[N] (bias may be null). b is in GPT-2's Conv1D layout [in, out]. */
  matmul(out: Float32Array, a: Float32Array, b: WeightMatrix, bias: Float32Array | null, M: number, K: number, N: number): void;
  /**
   * out[M×N] = a[M×K] · b[N×K]ᵀ: used for the output head (b is the V×C embedding table, which
   * may be kept as half-precision numbers) and Q·Kᵀ.
   */
  matmulTransposed(out: Float32Array, a: Float32Array, b: WeightMatrix | HalfArray, M: number, K: number, N: number): void;
  /**
   * Optional: a model calls this once per weight matrix when it is built, so fast kernels can
   * lay the weight out for products now rather than during the first forward pass. b is K×N
   * as in matmul, or N×K when `transposed` (as in matmulTransposed).
   */
  prepareWeight?(b: Float32Array | HalfArray, K: number, N: number, transposed: boolean): void;
  /**
   * Optional: kernels that keep weights in memory of their own take a K×N matrix (N×K when
   * `transposed`) as it is read, as floats or as 16-bit halves (`half`), so no copy of it stays
   * in JavaScript. The loader uses it when present.
   */
  holdMatrix?(K: number, N: number, transposed: boolean, half: boolean): MatrixWriter;
  /** Optional: frees what the kernels keep for this weight (a model being unloaded). */
  forget?(b: HeldMatrix | Float32Array | HalfArray): void;
  /**
   * Optional: makes room for `bytes` of held weights and scratch now, so a model too large for
   * this engine is refused before its file is read (throws a RangeError saying so).
   */
  reserve?(bytes: number): void;
  /** The most memory these kernels can hold weights in, in bytes (Infinity when unbounded). */
  readonly memoryLimit?: number;
}
