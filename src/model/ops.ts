// The numeric steps of a GPT-2 layer that are not matrix products, written once and named as
// llm.c names them. The forward pass (gpt.ts) and the trainer (src/train/layers.ts) both call
// these, so inference and training compute the same numbers. Arrays are row-major.
//
// Shape legend: N rows of width C (N = T tokens in inference, B·T in training).

import type { Kernels } from '../kernels/kernels.ts';

/**
 * Layer norm over each row: out = (x − mean) · rstd · weight + bias, rstd = 1/√(var + eps).
 * inp, out: N×C; weight, bias: C. mean and rstd (N each) receive each row's statistics when
 * given: the trainer's backward pass needs them.
 */
export function layernormForward(
  out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array, N: number, C: number, eps: number,
  mean?: Float32Array, rstd?: Float32Array,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let m = 0;
    for (let i = 0; i < C; i++) m += inp[o + i];
    m /= C;
    let v = 0;
    for (let i = 0; i < C; i++) {
      const d = inp[o + i] - m;
      v += d * d;
    }
    v /= C;
    const s = 1 / Math.sqrt(v + eps);
    for (let i = 0; i < C; i++) out[o + i] = (inp[o + i] - m) * s * weight[i] + bias[i];
    if (mean) mean[n] = m;
    if (rstd) rstd[n] = s;
  }
}

/** √(2/π), GELU's tanh-form constant. */
export const GELU_SCALE = Math.sqrt(2 / Math.PI);

/** GELU in the tanh form GPT-2 was trained with ("gelu_new"), not ReLU. */
export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_SCALE * (x + 0.044715 * x * x * x)));
}

/** out[i] = gelu(inp[i]) for n values. */
export function geluForward(out: Float32Array, inp: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = gelu(inp[i]);
}

/** Softmax of one row in place; −∞ entries become exactly 0. */
export function softmaxForward(row: Float32Array): void {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const e = Math.exp(row[i] - max);
    row[i] = e;
    sum += e;
  }
  for (let i = 0; i < row.length; i++) row[i] /= sum;
}

/**
 * geluForward, or the kernels' own GELU where they have one: a faster version, equal to it
 * within a few units in the last place of a float (tests/kernels-attention.test.ts).
 */
export function geluWith(kernels: Kernels, out: Float32Array, inp: Float32Array, n: number): void {
  if (kernels.gelu) kernels.gelu(out, inp, n);
  else geluForward(out, inp, n);
}

/** out = the softmax of each of `rows` rows of n values of inp (out may be inp), as geluWith chooses. */
export function softmaxRowsWith(kernels: Kernels, out: Float32Array, inp: Float32Array, rows: number, n: number): void {
  if (kernels.softmaxRows) {
    kernels.softmaxRows(out, inp, rows, n);
    return;
  }
  if (out !== inp) out.set(inp.subarray(0, rows * n));
  for (let r = 0; r < rows; r++) softmaxForward(out.subarray(r * n, (r + 1) * n));
}

/** The residual connection: out = a + b, n values. */
export function residualForward(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
}
