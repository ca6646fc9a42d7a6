// The kernels' attention products (every head's scores and weighted sums, read in place from
// q, keys and values) and their element-wise steps (GELU, softmax): the plain versions against
// their definitions, the WebAssembly ones against the plain ones, on one thread and on two.

import { describe, expect, it } from 'vitest';
import type { HeadShape, Kernels } from '../src/kernels/kernels.ts';
import { plainKernels } from '../src/kernels/plain.ts';
import { WasmKernels, wasmSimdSupported } from '../src/kernels/wasm/wasm-kernels.ts';
import { SeededRandom } from '../src/model/sampling.ts';
import { geluForward, softmaxForward } from '../src/model/ops.ts';

const random = new SeededRandom(7);
const randomArray = (n: number, spread = 2): Float32Array => Float32Array.from({ length: n }, () => (random.next() - 0.5) * spread);
const SIMD = wasmSimdSupported();

/**
 * Head shapes: GPT-2's (every query head its own key head), grouped-query attention (two and
 * three query heads per key head), one new position over a cache (decoding), and sizes that
 * are multiples of neither the tile (6 rows) nor the panel (8 columns).
 */
const HEAD_SHAPES: HeadShape[] = [
  { T: 5, S: 5, D: 4, nHead: 2, nKv: 2 },
  { T: 13, S: 13, D: 16, nHead: 3, nKv: 3 },
  { T: 1, S: 21, D: 8, nHead: 4, nKv: 4 },
  { T: 7, S: 19, D: 6, nHead: 4, nKv: 2 },
  { T: 11, S: 11, D: 10, nHead: 6, nKv: 2 },
  { T: 16, S: 40, D: 64, nHead: 2, nKv: 1 },
];

/** Head h's columns of rows `width` apart, as a matrix of its own (rows × D). */
function headColumns(x: Float32Array, rows: number, width: number, h: number, D: number): Float32Array {
  const out = new Float32Array(rows * D);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * width + h * D, r * width + h * D + D), r * D);
  return out;
}

/** The definition: per head, cut out its columns and use the plain products. */
function definition(q: Float32Array, keys: Float32Array, values: Float32Array, w: Float32Array, { T, S, D, nHead, nKv }: HeadShape) {
  const scores = new Float32Array(nHead * T * S);
  const mixed = new Float32Array(nHead * T * D);
  for (let h = 0; h < nHead; h++) {
    const g = Math.floor((h * nKv) / nHead);
    const qh = headColumns(q, T, nHead * D, h, D);
    plainKernels.matmulTransposed(scores.subarray(h * T * S), qh, headColumns(keys, S, nKv * D, g, D), T, D, S);
    plainKernels.matmul(mixed.subarray(h * T * D), w.subarray(h * T * S), headColumns(values, S, nKv * D, g, D), null, T, S, D);
  }
  return { scores, mixed };
}

/** |got − want| ≤ 1e-6 · (the sum of |terms| behind each element), as for the products. */
function expectClose(got: Float32Array, want: Float32Array, scale: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= 1e-6 * scale[i] + 1e-30)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

function checkHeads(kernels: Kernels, shape: HeadShape): void {
  const { T, S, D, nHead, nKv } = shape;
  const q = randomArray(T * nHead * D);
  const keys = randomArray(S * nKv * D);
  const values = randomArray(S * nKv * D);
  const w = randomArray(nHead * T * S, 1).map(Math.abs);
  const want = definition(q, keys, values, w, shape);
  const scale = definition(q.map(Math.abs), keys.map(Math.abs), values.map(Math.abs), w, shape);
  const scores = new Float32Array(nHead * T * S).fill(99); // stale contents must be overwritten
  const mixed = new Float32Array(nHead * T * D).fill(99);
  kernels.headScores(scores, q, keys, shape);
  kernels.headMix(mixed, w, values, shape);
  expectClose(scores, want.scores, scale.scores);
  expectClose(mixed, want.mixed, scale.mixed);
}

describe('attention products of every head', () => {
  for (const shape of HEAD_SHAPES) {
    const label = `T=${shape.T}, S=${shape.S}, D=${shape.D}, ${shape.nHead} heads reading ${shape.nKv}`;
    it(`plain: equal cutting each head out and multiplying (${label})`, () => checkHeads(plainKernels, shape));
    it.runIf(SIMD)(`WebAssembly: equal the plain ones (${label})`, () => checkHeads(new WasmKernels(), shape));
  }

  it.runIf(SIMD)('on two threads, split products equal the plain ones', async () => {
    const { nodeThreadedKernels } = await import('../src/kernels/parallel/node.ts');
    const kernels = nodeThreadedKernels({ minParallelFlops: 0 });
    expect(await kernels.started(10_000)).toBe(true);
    for (const shape of HEAD_SHAPES) checkHeads(kernels, shape);
    kernels.stop();
  });

  it.runIf(SIMD)('on two threads, GELU and softmax split between the threads give one thread\'s values to the bit', async () => {
    const { nodeThreadedKernels } = await import('../src/kernels/parallel/node.ts');
    const one = new WasmKernels();
    const two = nodeThreadedKernels({ minParallelValues: 0 });
    expect(await two.started(10_000)).toBe(true);
    for (const [rows, n] of [[1, 7], [2, 5], [3, 1001], [128, 128], [7, 50_257]]) {
      const x = Float32Array.from({ length: rows * n }, (_, i) => Math.sin(i * 0.37) * 12);
      for (const step of ['gelu', 'softmax'] as const) {
        const [a, b] = [new Float32Array(rows * n), new Float32Array(rows * n)];
        if (step === 'gelu') [one, two].forEach((k, i) => k.gelu([a, b][i], x, rows * n));
        else [one, two].forEach((k, i) => k.softmaxRows([a, b][i], x, rows, n));
        expect(Array.from(b), `${step} of ${rows} × ${n}`).toEqual(Array.from(a));
      }
    }
    two.stop();
  });

  it.runIf(SIMD)('refuse arrays too short for the shape', () => {
    const kernels = new WasmKernels();
    const shape = { T: 2, S: 3, D: 4, nHead: 2, nKv: 1 };
    expect(() => kernels.headScores(new Float32Array(12), new Float32Array(16), new Float32Array(11), shape)).toThrow(/too short/);
    expect(() => kernels.headMix(new Float32Array(15), new Float32Array(12), new Float32Array(12), shape)).toThrow(/too short/);
  });
});

describe.runIf(SIMD)('WebAssembly GELU and softmax', () => {
  const kernels = SIMD ? new WasmKernels() : null;

  it('GELU equals ops.ts within 2e-6 of the value (or 1e-12 near zero), for lengths not a multiple of 4', () => {
    const n = 40_003;
    const x = Float32Array.from({ length: n }, (_, i) => -20 + (40 * i) / n);
    x.set([0, -0, 1e-30, -1e-7, 1e30, -1e30, Infinity], 0);
    const want = new Float32Array(n);
    const got = new Float32Array(n);
    geluForward(want, x, n);
    kernels!.gelu(got, x, n);
    for (let i = 0; i < n; i++) {
      if (got[i] !== want[i] && !(Math.abs(got[i] - want[i]) <= 2e-6 * Math.abs(want[i]) + 1e-12)) throw new Error(`gelu(${x[i]}): got ${got[i]}, want ${want[i]}`);
    }
    // Signs of zeros, a tiny x (gelu(x) ≈ x/2), x whose cube overflows, and ∞ as ops.ts gives them.
    expect([got[0], got[1], got[2], got[4], got[5], got[6]]).toEqual([0, -0, x[2] / 2, x[4], -0, Infinity]);
    kernels!.gelu(got, new Float32Array([NaN, -Infinity]), 2);
    expect(Array.from(got.subarray(0, 2))).toEqual([NaN, NaN]);
  });

  it('softmax equals ops.ts within 2e-6 of each probability, masked (−∞) entries exactly 0, rows summing to 1', () => {
    for (const [rows, n] of [[1, 1], [3, 7], [4, 50_257]]) {
      const x = randomArray(rows * n, 30);
      for (let i = 1; i < n; i += 3) x[i] = -Infinity; // every third entry but the first is masked
      const want = x.slice();
      for (let r = 0; r < rows; r++) softmaxForward(want.subarray(r * n, (r + 1) * n));
      const got = new Float32Array(rows * n);
      kernels!.softmaxRows(got, x, rows, n);
      for (let i = 0; i < got.length; i++) {
        if (x[i] === -Infinity) expect(got[i]).toBe(0);
        else if (!(Math.abs(got[i] - want[i]) <= 2e-6 * want[i] + 1e-30)) throw new Error(`entry ${i}: got ${got[i]}, want ${want[i]}`);
      }
      for (let r = 0; r < rows; r++) expect(got.subarray(r * n, (r + 1) * n).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
});
