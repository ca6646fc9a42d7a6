// Weight matrices held by the WebAssembly kernels (holdMatrix): written in as a file streams by,
// in pieces of any size, as floats or 16-bit halves, they multiply exactly as the same matrix
// kept resident from an array does, give back their rows, work at addresses past 2 GiB, and are
// freed by forget(). The memory a 32-bit memory can hold is a limit the kernels enforce.
// Halves are stored scaled by HALF_SCALE, so that small weights stay normal halves (a subnormal
// one made every product that met it take a slow path); a matrix too large for that is not.

import { describe, expect, it } from 'vitest';
import { plainKernels, WasmKernels, wasmSimdSupported } from '../src/kernels/index.ts';
import { HeldMatrix, ValueBeyondLimit } from '../src/kernels/held.ts';
import { floatToHalfBits, halfBitsToFloat } from '../src/kernels/half.ts';
import { SeededRandom } from '../src/model/sampling.ts';
import { HALF_SCALE } from '../src/kernels/wasm/packing.ts';

const random = new SeededRandom(7);
const randomArray = (n: number): Float32Array => Float32Array.from({ length: n }, () => random.next() * 2 - 1);
/** A number as the kernels keep it in a half: rounded to 11 significant bits at HALF_SCALE times its size. */
const toHalf = (v: number): number => halfBitsToFloat(floatToHalfBits(v * HALF_SCALE)) / HALF_SCALE;
/** The same without the scale: what a plain IEEE half keeps. */
const toIeeeHalf = (v: number): number => halfBitsToFloat(floatToHalfBits(v));

/** Holds `b` (K×N, or N×K when transposed), written in pieces of random sizes. */
function hold(kernels: WasmKernels, b: Float32Array, K: number, N: number, transposed: boolean, half: boolean): HeldMatrix {
  const writer = kernels.holdMatrix(K, N, transposed, half);
  for (let at = 0; at < b.length; ) {
    const n = Math.min(b.length - at, 1 + Math.floor(random.next() * 700));
    writer.write(b.subarray(at, at + n), at);
    at += n;
  }
  return writer.finish();
}

/** Held matrices multiply as floats of the numbers they keep do, bit for bit (the scale divides out exactly). */
function expectProductsOfKeptNumbers(kernels: WasmKernels, a: Float32Array, heldKN: HeldMatrix, heldNK: HeldMatrix, M: number, K: number, N: number): void {
  const floats = new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1 });
  const got = new Float32Array(M * N);
  const want = new Float32Array(M * N);
  kernels.matmulTransposed(got, a, heldNK, M, K, N);
  floats.matmulTransposed(want, a, heldNK.toFloat32(), M, K, N);
  expect(Array.from(got)).toEqual(Array.from(want));
  kernels.matmul(got, a, heldKN, null, M, K, N);
  floats.matmul(want, a, heldKN.toFloat32(), null, M, K, N);
  expect(Array.from(got)).toEqual(Array.from(want));
}

describe.runIf(wasmSimdSupported())('held weight matrices', () => {
  // N = 1100 rows of a transposed matrix are packed in chunks of 512: two full, the last short of a
  // panel; K = 200 rows of 1,100 (not a whole number of panels) in chunks of 59, the last of 23.
  const SHAPES: [number, number, number][] = [[1, 7, 3], [5, 33, 65], [3, 24, 1100], [16, 64, 48], [2, 200, 1100]];

  for (const half of [false, true]) {
    it(`multiply exactly as the same matrix kept resident from an array (${half ? 'halves' : 'floats'})`, () => {
      const kernels = new WasmKernels();
      const resident = new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1, halfWeights: half });
      for (const [M, K, N] of SHAPES) {
        const a = randomArray(M * K);
        const b = randomArray(K * N); // K × N
        const bt = randomArray(N * K); // N × K
        const heldKN = hold(kernels, b, K, N, false, half);
        const heldNK = hold(kernels, bt, K, N, true, half);
        const got = new Float32Array(M * N);
        const want = new Float32Array(M * N);
        kernels.matmul(got, a, heldKN, null, M, K, N);
        resident.matmul(want, a, b, null, M, K, N);
        expect(Array.from(got)).toEqual(Array.from(want));
        kernels.matmulTransposed(got, a, heldNK, M, K, N);
        resident.matmulTransposed(want, a, bt, M, K, N);
        expect(Array.from(got)).toEqual(Array.from(want));
        // The rows as stored: the numbers written, rounded to halves when kept as halves.
        const row = new Float32Array(K);
        heldNK.row(N - 1, row);
        expect(Array.from(row)).toEqual(Array.from(bt.subarray((N - 1) * K), half ? toHalf : (v) => v));
        expect(Array.from(heldKN.toFloat32())).toEqual(Array.from(b, half ? toHalf : (v) => v));
        expect(heldKN).toMatchObject({ rows: K, cols: N, half });
        expect(heldNK).toMatchObject({ rows: N, cols: K, half });
      }
    });
  }

  it('keep small numbers to 11 significant bits as halves, and multiply as floats of those numbers do, bit for bit', () => {
    // Sizes from 10⁻⁷ to 10⁻⁴, most below the smallest normal half (6.1 × 10⁻⁵): an IEEE half
    // keeps them to a multiple of 6 × 10⁻⁸ only.
    const small = (n: number) => Float32Array.from({ length: n }, () => (random.next() < 0.5 ? -1 : 1) * 10 ** (-7 + 3 * random.next()));
    const [M, K, N] = [5, 40, 1100];
    const a = randomArray(M * K);
    const bt = small(N * K);
    const b = small(K * N);
    const kernels = new WasmKernels();
    const heldNK = hold(kernels, bt, K, N, true, true);
    const heldKN = hold(kernels, b, K, N, false, true);
    const keptNK = heldNK.toFloat32();
    const keptKN = heldKN.toFloat32();
    for (let i = 0; i < bt.length; i++) expect(Math.abs(keptNK[i] - bt[i])).toBeLessThanOrEqual(Math.abs(bt[i]) * 2 ** -11);
    for (let i = 0; i < b.length; i++) expect(Math.abs(keptKN[i] - b[i])).toBeLessThanOrEqual(Math.abs(b[i]) * 2 ** -11);
    expect(keptNK.some((v, i) => v !== toIeeeHalf(bt[i]))).toBe(true);
    expectProductsOfKeptNumbers(kernels, a, heldKN, heldNK, M, K, N);
  });

  it('round every float below 64 as floatToHalfBits does, ties, subnormal halves and zeros of both signs included', () => {
    // Float bit patterns drawn evenly up to 63.9's, so every exponent is as likely: from
    // subnormal floats through numbers whose scaled halves are subnormal, to the largest.
    const most = new Int32Array(new Float32Array([63.9]).buffer)[0];
    const bits = Int32Array.from({ length: 64 * 200 }, () => Math.floor(random.next() * most) | (random.next() < 0.5 ? 0x80000000 : 0));
    bits.set([0, 0x80000000, 1, 0x33800000, 0x33000000, 0x33c00000, 0x387fe000, 0x38801000], 0); // 0, −0, 2⁻¹⁴⁹, 2⁻²⁴, ties
    const values = new Float32Array(bits.buffer);
    for (const transposed of [false, true]) {
      const held = hold(new WasmKernels(), values, 64, 200, transposed, true);
      expect(Array.from(held.toFloat32())).toEqual(Array.from(values, toHalf));
    }
  });

  it('are kept as plain halves when a number is too large for the scale, even one that arrives after the rest were packed', () => {
    const [M, K, N] = [3, 24, 1100]; // stored N × K: chunks of 512 rows, the large number in the last
    const a = randomArray(M * K);
    const bt = randomArray(N * K).map((v) => v * 1e-3);
    bt[1050 * K + 3] = 100; // beyond 65504 / HALF_SCALE
    const b = randomArray(K * N);
    b[17] = -300;
    const kernels = new WasmKernels();
    const heldNK = hold(kernels, bt, K, N, true, true);
    const heldKN = hold(kernels, b, K, N, false, true);
    const keptNK = heldNK.toFloat32();
    expect(keptNK[1050 * K + 3]).toBe(100);
    expect(heldKN.toFloat32()[17]).toBe(-300);
    // Rows packed scaled, then scaled back in place: within half a step of an IEEE half's grid.
    for (let i = 0; i < bt.length; i++) expect(Math.abs(keptNK[i] - toIeeeHalf(bt[i]))).toBeLessThanOrEqual(2 ** -24);
    expect(Array.from(heldKN.toFloat32())).toEqual(Array.from(b, toIeeeHalf));
    expectProductsOfKeptNumbers(kernels, a, heldKN, heldNK, M, K, N);
  });

  it('refuse a number that is not finite, or too large for a half where they keep halves, naming its index', () => {
    const kernels = new WasmKernels();
    // K × N = 200 × 1,100: rows packed 59 at a time, so one write of 70,000 numbers spans a chunk's end.
    const refused = (K: number, N: number, transposed: boolean, half: boolean, bad: number, at: number): number | null => {
      const writer = kernels.holdMatrix(K, N, transposed, half);
      const values = randomArray(70_000);
      values[at] = bad;
      writer.write(randomArray(1000), 0);
      try {
        writer.write(values, 1000);
        return null;
      } catch (error) {
        expect(error).toBeInstanceOf(ValueBeyondLimit);
        return (error as ValueBeyondLimit).index;
      }
    };
    for (const transposed of [false, true]) {
      for (const half of [false, true]) {
        expect(refused(200, 1100, transposed, half, Infinity, 66_000)).toBe(66_000);
        expect(refused(200, 1100, transposed, half, NaN, 3)).toBe(3);
        expect(refused(200, 1100, transposed, half, -70_000, 64_899)).toBe(half ? 64_899 : null);
        expect(refused(200, 1100, transposed, half, -65_504, 12)).toBe(null); // the largest half
      }
    }
  });

  it('are read back by the plain kernels, which hold nothing themselves', () => {
    const kernels = new WasmKernels();
    const [M, K, N] = [4, 9, 10];
    const a = randomArray(M * K);
    const b = randomArray(K * N);
    const got = new Float32Array(M * N);
    const want = new Float32Array(M * N);
    plainKernels.matmul(got, a, hold(kernels, b, K, N, false, false), null, M, K, N);
    plainKernels.matmul(want, a, b, null, M, K, N);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('take their numbers in order only, and are gone once forgotten', () => {
    const kernels = new WasmKernels();
    const writer = kernels.holdMatrix(4, 4, false, false);
    writer.write(new Float32Array(6), 0);
    expect(() => writer.write(new Float32Array(2), 8)).toThrow(/given 2 at 8, after 6/);
    expect(() => writer.finish()).toThrow(/held matrix of 16 numbers/);
    const held = hold(kernels, randomArray(16), 4, 4, false, false);
    const before = kernels.residentBytes;
    kernels.forget(held);
    expect(kernels.residentBytes).toBe(before - 4 * 8 * 4); // K rows of a whole panel (8 columns) of floats
    expect(() => kernels.matmul(new Float32Array(4), new Float32Array(4), held, null, 1, 4, 4)).toThrow(/released/);
    const other = hold(new WasmKernels(), randomArray(16), 4, 4, true, false);
    expect(() => kernels.matmulTransposed(new Float32Array(4), new Float32Array(4), other, 1, 4, 4)).toThrow(/held by other kernels/);
  });

  it('work at addresses past 2 GiB, where a signed 32-bit address would turn negative', () => {
    const kernels = new WasmKernels();
    // Reserved, never written: the pages cost address space, not memory.
    kernels.mem.alloc(2 ** 31 + 12_345);
    const [M, K, N] = [3, 40, 1100];
    const a = randomArray(M * K);
    const bt = randomArray(N * K);
    const held = hold(kernels, bt, K, N, true, true);
    const want = new Float32Array(M * N);
    const got = new Float32Array(M * N);
    kernels.matmulTransposed(got, a, held, M, K, N);
    new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1, halfWeights: true }).matmulTransposed(want, a, bt, M, K, N);
    expect(Array.from(got)).toEqual(Array.from(want));
    const row = new Float32Array(K);
    held.row(1099, row);
    expect(Array.from(row)).toEqual(Array.from(bt.subarray(1099 * K), toHalf));
  });

  it("leave attention's products, GELU and softmax exact with their scratch past 2 GiB", () => {
    const high = new WasmKernels();
    high.mem.alloc(2 ** 31 + 12_345); // as after loading a large model: scratch starts past 2 GiB
    const low = new WasmKernels();
    const shape = { T: 7, S: 9, D: 8, nHead: 4, nKv: 2 };
    const q = randomArray(shape.T * shape.nHead * shape.D);
    const keys = randomArray(shape.S * shape.nKv * shape.D);
    const w = randomArray(shape.nHead * shape.T * shape.S);
    const x = randomArray(3 * 50);
    const runs = [high, low].map((k) => {
      const scores = new Float32Array(shape.nHead * shape.T * shape.S);
      const mixed = new Float32Array(shape.nHead * shape.T * shape.D);
      const act = new Float32Array(x.length);
      const probs = new Float32Array(x.length);
      k.headScores(scores, q, keys, shape);
      k.headMix(mixed, w, keys, shape);
      k.gelu(act, x, x.length);
      k.softmaxRows(probs, x, 3, 50);
      return [scores, mixed, act, probs].map((v) => Array.from(v));
    });
    expect(runs[0]).toEqual(runs[1]);
  });

  it('refuse to grow past what a 32-bit memory holds, saying how much was asked', () => {
    const kernels = new WasmKernels();
    expect(kernels.memoryLimit).toBe(2 ** 32);
    expect(() => kernels.reserve(2 ** 32)).toThrow(RangeError);
    expect(() => kernels.reserve(2 ** 32)).toThrow(/would need 4\.30 GB \(4,295,032,832 bytes\), more than the 4\.29 GB it can hold/);
  });
});
