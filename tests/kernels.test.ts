// The WebAssembly SIMD kernels against the plain TypeScript reference: random shapes (odd
// sizes, one row, no bias), resident weights that change, the training product, the fallback
// when SIMD is unavailable, and the committed module matching its source.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bestKernels, bestTrainingKernels, fastestBuild, plainKernels, plainTrainingKernels, WasmKernels, wasmSimdSupported } from '../src/kernels/index.ts';
import { SOURCE_SHA256, WASM_BASE64 } from '../src/kernels/wasm/module.ts';
import { execFileSync } from 'node:child_process';
import { SeededRandom } from '../src/model/sampling.ts';
import { GPT } from '../src/model/gpt.ts';
import { randomModel } from './helpers/random-model.ts';
import { HalfArray, halfBitsToFloat } from '../src/kernels/half.ts';
import type { Kernels } from '../src/kernels/kernels.ts';
import { compactCheckpoint, modelFromFiles, modelToFiles } from '../src/model/checkpoint.ts';
import { SharedRowTable } from '../src/model/weights.ts';

const random = new SeededRandom(42);
const randomArray = (n: number): Float32Array => Float32Array.from({ length: n }, () => random.next() * 2 - 1);
const randomInt = (lo: number, hi: number): number => lo + Math.floor(random.next() * (hi - lo + 1));

/**
 * Checks got ≈ want element by element. Summation order differs between kernels, so the
 * allowed error scales with `scale[i]`, the sum of |terms| that made element i.
 */
function expectClose(got: Float32Array, want: Float32Array, scale: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= 1e-6 * scale[i] + 1e-30)) {
      throw new Error(`element ${i}: got ${got[i]}, want ${want[i]} (error ${err}, allowed ${1e-6 * scale[i]})`);
    }
  }
}

const absArray = (x: Float32Array): Float32Array => x.map(Math.abs);

/**
 * Shapes [M, K, N]: one row, sizes that are not multiples of 4 or 8, and a few larger ones.
 * The kernel takes rows in tiles of 6, then one of 4 if at least 4 are left, then single rows:
 * M = 4…13 and 16 give every combination (6+4+1 at 11, 6+6+1 at 13, 6+6+4 at 16). A single
 * row takes its panels of 8 columns four at a time, then one by one: N = 200 is 25 panels.
 */
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 7, 3], [1, 64, 200], [2, 3, 9], [3, 5, 8], [4, 8, 16], [5, 17, 31], [6, 9, 7],
  [7, 13, 19], [8, 3, 10], [9, 33, 65], [10, 6, 17], [11, 19, 9], [12, 2, 24], [13, 11, 23],
  [16, 64, 48], [33, 100, 75], [128, 96, 257],
  // K this long makes the kernel take rows in chunks (of 24 here): the second one short, so it
  // ends in single rows.
  [45, 9000, 17],
  // N this long makes a resident Bᵀ pack in chunks of 512 rows: two full, the last short of a panel.
  [3, 24, 1100],
];
for (let r = 0; r < 8; r++) SHAPES.push([randomInt(1, 40), randomInt(1, 90), randomInt(1, 90)]);

/**
 * Node 20 has WebAssembly SIMD wherever V8 can generate it (x86-64 with SSE4.1, ARM64). On an
 * engine without it the WebAssembly suites cannot run; 'kernel choice' then checks that the
 * plain kernels take over.
 */
const SIMD = wasmSimdSupported();

describe.runIf(SIMD)('WebAssembly SIMD kernels', () => {

  // Residency on and off, and a threshold of 1 so even small matrices take the resident path.
  // (Made only where SIMD runs: a skipped suite's body is still read to list its tests.)
  const variants = SIMD
    ? [
        { label: 'copied each call', kernels: new WasmKernels({ resident: false }) },
        { label: 'resident', kernels: new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1 }) },
      ]
    : [];

  for (const { label, kernels } of variants) {
    for (const [M, K, N] of SHAPES) {
      it(`matches plain (${label}) for M=${M}, K=${K}, N=${N}`, () => {
        const a = randomArray(M * K);
        const b = randomArray(K * N);
        const bt = randomArray(N * K);
        const bias = randomArray(N);
        const want = new Float32Array(M * N);
        const got = new Float32Array(M * N);
        const scale = new Float32Array(M * N);

        plainKernels.matmul(scale, absArray(a), absArray(b), absArray(bias), M, K, N);
        plainKernels.matmul(want, a, b, bias, M, K, N);
        kernels.matmul(got, a, b, bias, M, K, N);
        expectClose(got, want, scale);

        plainKernels.matmul(scale, absArray(a), absArray(b), null, M, K, N);
        plainKernels.matmul(want, a, b, null, M, K, N);
        got.fill(123); // stale contents must be overwritten, not added to
        kernels.matmul(got, a, b, null, M, K, N);
        expectClose(got, want, scale);

        plainKernels.matmulTransposed(scale, absArray(a), absArray(bt), M, K, N);
        plainKernels.matmulTransposed(want, a, bt, M, K, N);
        kernels.matmulTransposed(got, a, bt, M, K, N);
        expectClose(got, want, scale);

        // Training product: a is K×M here, used transposed; then accumulate on top.
        const at = randomArray(K * M);
        plainTrainingKernels.matmulATransposed(scale, absArray(at), absArray(b), M, K, N);
        plainTrainingKernels.matmulATransposed(want, at, b, M, K, N);
        kernels.matmulATransposed(got, at, b, M, K, N);
        expectClose(got, want, scale);
        const start = randomArray(M * N);
        want.set(start);
        got.set(start);
        plainTrainingKernels.matmulATransposed(want, at, b, M, K, N, true);
        kernels.matmulATransposed(got, at, b, M, K, N, true);
        for (let i = 0; i < scale.length; i++) scale[i] += Math.abs(start[i]);
        expectClose(got, want, scale);
      });
    }
  }

  it('reads operands that are views into larger arrays', () => {
    const kernels = new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1 });
    const [M, K, N] = [3, 10, 12];
    const big = randomArray(1000);
    const a = big.subarray(17, 17 + M * K);
    const b = big.subarray(300, 300 + K * N);
    const want = new Float32Array(M * N);
    const got = new Float32Array(M * N);
    plainKernels.matmul(want, a, b, null, M, K, N);
    kernels.matmul(got, a, b, null, M, K, N);
    const scale = new Float32Array(M * N);
    plainKernels.matmul(scale, absArray(a), absArray(b), null, M, K, N);
    expectClose(got, want, scale);
  });

  it('notices a resident weight matrix that was updated in place, and forget() after a one-element edit', () => {
    const kernels = new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1 });
    const [M, K, N] = [2, 40, 30];
    const a = randomArray(M * K);
    const b = randomArray(K * N);
    const got = new Float32Array(M * N);
    const want = new Float32Array(M * N);
    const scale = new Float32Array(M * N);
    kernels.matmul(got, a, b, null, M, K, N);

    // Like an optimizer step: every element changes.
    for (let i = 0; i < b.length; i++) b[i] = b[i] * 0.5 + 0.25;
    kernels.matmul(got, a, b, null, M, K, N);
    plainKernels.matmul(want, a, b, null, M, K, N);
    plainKernels.matmul(scale, absArray(a), absArray(b), null, M, K, N);
    expectClose(got, want, scale);

    // One element that the samples do not cover: forget() makes the change count.
    b[1] += 10;
    kernels.forget(b);
    kernels.matmul(got, a, b, null, M, K, N);
    plainKernels.matmul(want, a, b, null, M, K, N);
    plainKernels.matmul(scale, absArray(a), absArray(b), null, M, K, N);
    expectClose(got, want, scale);
  });

  it('refuses arrays too short for the sizes given, instead of reading stale memory', () => {
    const kernels = new WasmKernels();
    const out = new Float32Array(6);
    expect(() => kernels.matmul(out, new Float32Array(5), new Float32Array(6), null, 2, 3, 3)).toThrow(/too short/);
    expect(() => kernels.matmul(out, new Float32Array(6), new Float32Array(8), null, 2, 3, 3)).toThrow(/too short/);
    expect(() => kernels.matmul(out, new Float32Array(6), new Float32Array(9), new Float32Array(2), 2, 3, 3)).toThrow(/too short/);
    expect(() => kernels.matmulTransposed(new Float32Array(5), new Float32Array(6), new Float32Array(9), 2, 3, 3)).toThrow(/too short/);
  });

  it('keeps a matrix resident only once it is used again, so one-off arrays do not pile up', () => {
    const kernels = new WasmKernels({ residentMinFloats: 1 });
    const [M, K, N] = [2, 30, 20];
    const a = randomArray(M * K);
    const out = new Float32Array(M * N);
    for (let i = 0; i < 5; i++) kernels.matmul(out, a, randomArray(K * N), null, M, K, N);
    expect(kernels.residentBytes).toBe(0);
    const weight = randomArray(K * N);
    kernels.matmul(out, a, weight, null, M, K, N);
    expect(kernels.residentBytes).toBe(0);
    kernels.matmul(out, a, weight, null, M, K, N);
    expect(kernels.residentBytes).toBe(K * 24 * 4); // N = 20 padded to 3 panels of 8
    kernels.forget(weight);
    expect(kernels.residentBytes).toBe(0);
  });

  it('grows its memory for products larger than it started with', () => {
    const kernels = new WasmKernels();
    const before = kernels.memoryBytes;
    const [M, K, N] = [70, 300, 400];
    const a = randomArray(M * K);
    const b = randomArray(K * N);
    const got = new Float32Array(M * N);
    const want = new Float32Array(M * N);
    const scale = new Float32Array(M * N);
    kernels.matmul(got, a, b, null, M, K, N);
    plainKernels.matmul(want, a, b, null, M, K, N);
    plainKernels.matmul(scale, absArray(a), absArray(b), null, M, K, N);
    expectClose(got, want, scale);
    expect(kernels.memoryBytes).toBeGreaterThan(before);
  });

  it('gives a GPT the same logits as the plain kernels', () => {
    const config = { nLayer: 2, nHead: 3, nEmbd: 24, vocabSize: 101, nPositions: 16, layerNormEpsilon: 1e-5, tieWordEmbeddings: true };
    const plain = randomModel(config, 5, 0.3);
    const kernels = new WasmKernels({ residentMinFloats: 1 });
    const fast = new GPT(plain.config, plain.weights, kernels);
    // The model hands its weights over when it is built: they are packed before the first pass.
    const prepared = kernels.residentBytes;
    expect(prepared).toBeGreaterThan(0);
    const ids = [3, 14, 15, 92, 65, 35, 89];
    const want = plain.forward(ids).logits;
    for (let run = 0; run < 3; run++) {
      const got = fast.forward(ids).logits;
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-4 * (1 + Math.abs(want[i])));
    }
    // Only the attention's per-head temporaries (fresh each pass) could add more, and they are
    // used once each, so nothing else became resident.
    expect(kernels.residentBytes).toBe(prepared);
  });
});

/** Rounds to the nearest IEEE half (ties to even), written independently of the kernel's version. */
function roundToHalf(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const exponent = Math.max(Math.floor(Math.log2(Math.abs(x))), -14); // halves below 2^-14 are subnormal
  const ulp = 2 ** (exponent - 10);
  const scaled = x / ulp;
  let n = Math.round(scaled);
  if (Math.abs(scaled % 1) === 0.5 && n % 2 !== 0) n -= 1; // tie: Math.round went up; take the even one
  return n * ulp;
}

describe.runIf(SIMD)('relaxed SIMD build (fused multiply-add)', () => {
  it('is chosen where the engine has relaxed SIMD, and matches plain (run in a Node with the flag on)', () => {
    // Node 20 ships relaxed SIMD behind a flag (Chrome 114+ has it on), so a child process
    // with the flag runs the comparison and reports the worst error relative to the allowance.
    const root = new URL('..', import.meta.url).pathname;
    const script = `
      import { WasmKernels } from '${root}src/kernels/wasm/wasm-kernels.ts';
      import { plainKernels } from '${root}src/kernels/plain.ts';
      const kernels = new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1 });
      let s = 7;
      const rand = (n) => Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5));
      let worst = 0;
      for (const [M, K, N] of [[1, 7, 3], [5, 33, 17], [9, 100, 65], [16, 64, 48]]) {
        const a = rand(M * K), b = rand(K * N), bias = rand(N);
        const got = new Float32Array(M * N), want = new Float32Array(M * N), scale = new Float32Array(M * N);
        kernels.matmul(got, a, b, bias, M, K, N);
        plainKernels.matmul(want, a, b, bias, M, K, N);
        plainKernels.matmul(scale, a.map(Math.abs), b.map(Math.abs), bias.map(Math.abs), M, K, N);
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1e-6 * scale[i]));
      }
      console.log(JSON.stringify({ name: kernels.name, worst }));`;
    const output = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    const { name, worst } = JSON.parse(output.trim().split('\n').pop()!) as { name: string; worst: number };
    expect(name).toBe('wasm-relaxed-simd');
    expect(worst).toBeLessThanOrEqual(1);
  });
});

describe.runIf(SIMD)('half-precision resident weights', () => {
  it('rounds exactly like IEEE halves, including ties, subnormals and negatives', () => {
    const kernels = new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1, halfWeights: true });
    // As a K×1 column times an identity-like a, each output is one stored weight.
    const values = [1, -1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, -(2 ** -24), 3 * 2 ** -25, 2 ** -15 + 2 ** -26, 0.1, -1234.567, 1e-9];
    const K = values.length;
    const b = Float32Array.from(values); // K × 1
    const a = new Float32Array(K * K);
    for (let i = 0; i < K; i++) a[i * K + i] = 1; // identity, K × K
    const got = new Float32Array(K);
    kernels.matmul(got, a, b, null, K, K, 1);
    expect(Array.from(got)).toEqual(values.map((v) => Math.fround(roundToHalf(Math.fround(v)))));
  });

  it('sum in one order everywhere: equal columns give equal bits, and one row equals the same row among six', () => {
    for (const halfWeights of [false, true]) {
      const kernels = new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1, halfWeights });
      // 50 columns are 7 panels: the first four are taken together, the last three one by one.
      const K = 37;
      const N = 50;
      const row = randomArray(K);
      const bt = new Float32Array(N * K);
      for (let n = 0; n < N; n++) bt.set(row, n * K);
      const a = randomArray(K);
      const one = new Float32Array(N);
      kernels.matmulTransposed(one, a, bt, 1, K, N);
      expect(new Set(one).size).toBe(1);
      const six = new Float32Array(6 * N);
      kernels.matmulTransposed(six, Float32Array.from({ length: 6 * K }, (_, i) => a[i % K]), bt, 6, K, N);
      expect(Array.from(six.subarray(0, N))).toEqual(Array.from(one));
    }
  });

  it('products equal the plain kernels on weights rounded to halves', () => {
    const kernels = new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1, halfWeights: true });
    for (const [M, K, N] of [[1, 19, 21], [1, 19, 45], [5, 64, 40], [12, 33, 100], [2, 16, 1037]]) {
      const a = randomArray(M * K);
      const b = randomArray(K * N);
      const bt = randomArray(N * K);
      const rounded = b.map(roundToHalf);
      const roundedT = bt.map(roundToHalf);
      const got = new Float32Array(M * N);
      const want = new Float32Array(M * N);
      const scale = new Float32Array(M * N);
      kernels.matmul(got, a, b, null, M, K, N);
      plainKernels.matmul(want, a, rounded, null, M, K, N);
      plainKernels.matmul(scale, absArray(a), absArray(rounded), null, M, K, N);
      expectClose(got, want, scale);
      kernels.matmulTransposed(got, a, bt, M, K, N);
      plainKernels.matmulTransposed(want, a, roundedT, M, K, N);
      plainKernels.matmulTransposed(scale, absArray(a), absArray(roundedT), M, K, N);
      expectClose(got, want, scale);
    }
  });
});

describe('output heads held as half-precision numbers (HalfArray)', () => {
  /** Random finite halves: every exponent but the all-ones one (∞ and NaN), both signs. */
  const randomHalves = (n: number): HalfArray =>
    new HalfArray(Uint16Array.from({ length: n }, () => {
      let bits = Math.floor(random.next() * 65536);
      if ((bits & 0x7c00) === 0x7c00) bits &= 0xbfff; // drop a bit of the exponent
      return bits;
    }));
  // Subnormals, zeros of both signs and the largest halves too.
  const edges = new HalfArray(Uint16Array.from([0x0000, 0x8000, 0x0001, 0x83ff, 0x0400, 0x7bff, 0xfbff, 0x3c00, 0x3555]));

  it('widen to exactly the floats the halves denote', () => {
    expect(Array.from(edges.toFloat32())).toEqual([0, -0, 2 ** -24, -(1023 * 2 ** -24), 2 ** -14, 65504, -65504, 1, halfBitsToFloat(0x3555)]);
    expect(edges.firstNonFinite()).toBe(-1);
    expect(new HalfArray(Uint16Array.from([0x3c00, 0x7c00])).firstNonFinite()).toBe(1);
    expect(new HalfArray(Uint16Array.from([0xfe00])).firstNonFinite()).toBe(0);
  });

  const kernelSets: [string, () => Kernels][] = [['plain', () => plainKernels]];
  if (SIMD) {
    kernelSets.push(['wasm, resident', () => new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1 })]);
    kernelSets.push(['wasm, not resident', () => new WasmKernels({ resident: false })]);
  }
  for (const [label, make] of kernelSets) {
    it(`give the same products as the widened floats, bit for bit (${label})`, () => {
      const kernels = make();
      for (const [M, K, N] of [[1, 9, 1], [4, 16, 9], [3, 33, 100], [1, 128, 1037]] as const) {
        const a = randomArray(M * K);
        const b = N === 1 && K === 9 ? edges : randomHalves(N * K);
        const got = new Float32Array(M * N);
        const want = new Float32Array(M * N);
        kernels.matmulTransposed(got, a, b, M, K, N);
        kernels.matmulTransposed(got, a, b, M, K, N); // the second call uses the resident copy
        kernels.matmulTransposed(want, a, b.toFloat32(), M, K, N);
        expect(Array.from(got)).toEqual(Array.from(want));
      }
    });
  }

  it.runIf(SIMD)('keep halves below 64 exactly when stored scaled, subnormal ones included, and multiply as their floats do', () => {
    // Every finite half below 64 in size (exponents up to 20), zeros and subnormals among them.
    const small = new HalfArray(Uint16Array.from({ length: 33 * 100 }, (_, i) => {
      const bits = Math.floor(random.next() * 65536);
      return i % 7 === 0 ? bits & 0x83ff : (bits & 0x8000) | (Math.floor(random.next() * 21) << 10) | (bits & 0x3ff);
    }));
    const kernels = new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1 });
    const [M, K, N] = [3, 33, 100];
    const a = randomArray(M * K);
    const got = new Float32Array(M * N);
    const want = new Float32Array(M * N);
    kernels.matmulTransposed(got, a, small, M, K, N);
    new WasmKernels({ residentMinFloats: 1, residentAfterCalls: 1 }).matmulTransposed(want, a, small.toFloat32(), M, K, N);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('give the embedded model the same trace with its table widened to floats, kept as halves, or shipped as the page does (shared rows)', () => {
    const files = (name: string) => readFileSync(new URL(`../models/default/${name}`, import.meta.url));
    const text = files('config.json').toString('utf8');
    const bytes = new Uint8Array(files('model.safetensors'));
    const floats = modelFromFiles(text, bytes, 'models/default');
    // The same weights in GPT-2's own layout (the file holds F16 numbers, so writing them as F16 is exact).
    const gpt2Layout = modelToFiles(floats.config, floats.weights, 'F16').safetensorsBytes;
    const halves = modelFromFiles(text, gpt2Layout, 'models/default', { compactEmbeddings: true });
    const shared = modelFromFiles(text, compactCheckpoint(gpt2Layout, 'models/default'), 'models/default', { compactEmbeddings: true });
    expect(compactCheckpoint(gpt2Layout, 'models/default')).toEqual(bytes);
    expect(floats.weights.wte).toBeInstanceOf(Float32Array);
    expect(halves.weights.wte).toBeInstanceOf(HalfArray);
    expect(shared.weights.wte).toBeInstanceOf(SharedRowTable);
    expect((shared.weights.wte as SharedRowTable).distinctRows).toBeLessThan(floats.config.vocabSize / 4);
    const ids = [464, 14193, 481, 2222, 50256, 12]; // "The robots will bring", then tokens Tiny Shakespeare never uses
    for (const [label, make] of kernelSets) {
      const want = new GPT(floats.config, floats.weights, make()).trace(ids);
      for (const [kind, model] of [['halves', halves], ['shared rows', shared]] as const) {
        const got = new GPT(model.config, model.weights, make()).trace(ids);
        expect([...got.keys()], label).toEqual([...want.keys()]);
        for (const [name, t] of want) expect(Array.from(got.get(name)!.data), `${label}, ${kind}: ${name}`).toEqual(Array.from(t.data));
      }
    }
  });
});

describe('kernel choice', () => {
  it('picks WebAssembly SIMD when this engine validates the module, else the plain kernels', () => {
    const expected = SIMD ? `wasm-${fastestBuild()}` : 'plain';
    expect(bestKernels().name).toBe(expected);
    expect(bestTrainingKernels().name).toBe(expected);
  });

  it('takes the SIMD build when relaxed SIMD does not validate', () => {
    // An engine that accepts only the plain SIMD module (it has no relaxed_madd instructions).
    const simdOnly = (bytes: Uint8Array<ArrayBuffer>): boolean => Buffer.from(bytes).toString('base64') === WASM_BASE64;
    expect(fastestBuild(simdOnly)).toBe('simd');
    if (SIMD) expect(bestKernels({ validate: simdOnly }).name).toBe('wasm-simd');
  });

  it('falls back to the plain kernels when SIMD does not validate or validation throws', () => {
    expect(bestKernels({ validate: () => false })).toBe(plainKernels);
    expect(bestTrainingKernels({ validate: () => false })).toBe(plainTrainingKernels);
    const throwing = (): boolean => {
      throw new Error('no WebAssembly here');
    };
    expect(bestKernels({ validate: throwing })).toBe(plainKernels);
  });
});

describe('plain training reference', () => {
  it('matmulATransposed equals an explicit transpose followed by matmul', () => {
    const [M, K, N] = [5, 7, 6];
    const a = randomArray(K * M); // K × M
    const b = randomArray(K * N);
    const aT = new Float32Array(M * K); // M × K
    for (let k = 0; k < K; k++) for (let i = 0; i < M; i++) aT[i * K + k] = a[k * M + i];
    const want = new Float32Array(M * N);
    const got = new Float32Array(M * N).fill(9);
    plainKernels.matmul(want, aT, b, null, M, K, N);
    plainTrainingKernels.matmulATransposed(got, a, b, M, K, N);
    const scale = new Float32Array(M * N);
    plainKernels.matmul(scale, absArray(aT), absArray(b), null, M, K, N);
    expectClose(got, want, scale);
  });
});

describe('committed module', () => {
  it('was built from the current kernels.as (run node src/kernels/wasm/build.mjs after editing it)', () => {
    const source = readFileSync(new URL('../src/kernels/wasm/kernels.as', import.meta.url), 'utf8');
    expect(createHash('sha256').update(source).digest('hex')).toBe(SOURCE_SHA256);
  });

  it('is byte for byte what the pinned AssemblyScript compiler builds from that source today', () => {
    // The hash above only ties the source to a constant; this ties the committed binaries to
    // a build of it, so a hand-edited or stale module.ts (or a compiler change) fails here.
    const dir = mkdtempSync(join(tmpdir(), 'kernels-build-'));
    try {
      const rebuilt = join(dir, 'module.ts');
      const build = new URL('../src/kernels/wasm/build.mjs', import.meta.url).pathname;
      execFileSync(process.execPath, [build, '--out', rebuilt], { stdio: 'pipe' });
      const committed = readFileSync(new URL('../src/kernels/wasm/module.ts', import.meta.url));
      expect(readFileSync(rebuilt).equals(committed)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.runIf(SIMD)('two-thread WebAssembly kernels (Node worker)', () => {
  it('split products equal the plain ones, and keep working after stop()', async () => {
    const { nodeThreadedKernels } = await import('../src/kernels/parallel/node.ts');
    const kernels = nodeThreadedKernels({ minParallelFlops: 0, residentMinFloats: 1, residentAfterCalls: 1 });
    const halves = nodeThreadedKernels({ minParallelFlops: 0, residentMinFloats: 1, residentAfterCalls: 1, halfWeights: true });
    expect([await kernels.started(10_000), await halves.started(10_000)]).toEqual([true, true]);
    for (const stopped of [false, true]) {
      if (stopped) kernels.stop();
      for (const [M, K, N] of [[1, 9, 17], [1, 9, 77], [6, 31, 40], [13, 64, 130], [30, 2100, 20]]) {
        const a = randomArray(M * K);
        const b = randomArray(K * N);
        const bias = randomArray(N);
        const got = new Float32Array(M * N);
        const want = new Float32Array(M * N);
        const scale = new Float32Array(M * N);
        kernels.matmul(got, a, b, bias, M, K, N);
        plainKernels.matmul(want, a, b, bias, M, K, N);
        plainKernels.matmul(scale, absArray(a), absArray(b), absArray(bias), M, K, N);
        expectClose(got, want, scale);
        const at = randomArray(K * M);
        kernels.matmulATransposed(got, at, b, M, K, N);
        plainTrainingKernels.matmulATransposed(want, at, b, M, K, N);
        plainTrainingKernels.matmulATransposed(scale, absArray(at), absArray(b), M, K, N);
        expectClose(got, want, scale);
        if (!stopped) {
          // Both threads widen half-precision panels, each into its own buffer.
          const rounded = b.map(roundToHalf);
          halves.matmul(got, a, b, null, M, K, N);
          plainKernels.matmul(want, a, rounded, null, M, K, N);
          plainKernels.matmul(scale, absArray(a), absArray(rounded), null, M, K, N);
          expectClose(got, want, scale);
        }
      }
      expect(kernels.helperReady).toBe(!stopped);
    }
    halves.stop();
  });
});
