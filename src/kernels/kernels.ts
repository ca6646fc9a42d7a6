// The numeric kernels the model and trainer call. One interface, two implementations:
// plain TypeScript loops (the readable definition of correct) and WebAssembly SIMD (fast).
// All arrays are row-major Float32Array (the output head's table may be a HalfArray, and a
// weight may be a HeldMatrix the kernels keep in their own memory); M, K, N are the usual
// matrix-product sizes.

import type { HalfArray } from './half.ts';
import type { HeldMatrix, MatrixWriter, WeightMatrix } from './held.ts';

/**
 * The shape of multi-head attention's products: T new positions attending over S, heads of D
 * numbers. Rows of q hold nHead heads side by side (width nHead·D); rows of the keys and values
 * hold nKv heads (width nKv·D), and query head h reads key/value head ⌊h / (nHead / nKv)⌋
 * (grouped-query attention; with nKv = nHead, head h reads head h).
 */
export interface HeadShape {
  T: number;
  S: number;
  D: number;
  nHead: number;
  nKv: number;
}

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
  /** Every head's scores: out[h] (T×S) = q_h · k_gᵀ, for q (T × nHead·D) and keys (S × nKv·D). */
  headScores(out: Float32Array, q: Float32Array, keys: Float32Array, shape: HeadShape): void;
  /** Every head's weighted sum of values: out[h] (T×D) = w[h] · v_g, for w (nHead × T × S) and values (S × nKv·D). */
  headMix(out: Float32Array, w: Float32Array, values: Float32Array, shape: HeadShape): void;
  /**
   * Optional, faster versions of src/model/ops.ts's GELU and softmax (which a model uses where
   * these are absent), equal to them within a few units in the last place of a float.
   * out[i] = gelu(inp[i]) for n values.
   */
  gelu?(out: Float32Array, inp: Float32Array, n: number): void;
  /** out = the softmax of each of `rows` rows of n values of inp. */
  softmaxRows?(out: Float32Array, inp: Float32Array, rows: number, n: number): void;
  /**
   * Optional: a model calls this once per weight matrix when it is built, so fast kernels can
   * lay the weight out for products now rather than during the first forward pass. b is K×N
   * as in matmul, or N×K when `transposed` (as in matmulTransposed); it may be a matrix held by
   * other kernels (the WebGPU kernels read it back, a row at a time, to send it to the GPU).
   */
  prepareWeight?(b: WeightMatrix | HalfArray, K: number, N: number, transposed: boolean): void;
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
