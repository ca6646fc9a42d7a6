// The WebAssembly SIMD implementation of TrainingKernels. Inputs are copied into the module's
// linear memory and results copied out; large right-hand matrices (the model's weights) are
// packed once and kept resident, keyed by the identity of their Float32Array, or held from the
// start (holdMatrix: written in as the file is read, with no copy in JavaScript).

import type { HeadShape } from '../kernels.ts';
import type { TrainingKernels } from '../training.ts';
import { HalfArray } from '../half.ts';
import { HeldMatrix, type MatrixWriter } from '../held.ts';
import { LinearMemory, WASM32_MAX_BYTES, alignUp } from './memory.ts';
import { type KernelExports, type Packed, Packer, PANEL, packedElements } from './packing.ts';
import { WASM_BASE64, WASM_RELAXED_BASE64, WASM_RELAXED_SHARED_BASE64, WASM_SHARED_BASE64 } from './module.ts';

/** Matrices of at least this many floats are kept resident by default (256 KB as floats). */
export const RESIDENT_MIN_FLOATS = 1 << 16;

export { PANEL, type KernelExports } from './packing.ts';

export interface WasmKernelOptions {
  /**
   * Keep right-hand matrices of at least `residentMinFloats` floats packed in WebAssembly
   * memory between calls (default true). A resident copy is checked against 64 sampled
   * elements on every call and repacked when they differ, which catches whole-matrix updates
   * such as an optimizer step; after changing only a few elements, call forget(matrix).
   */
  resident?: boolean;
  /** Smallest matrix worth keeping resident (default RESIDENT_MIN_FLOATS). */
  residentMinFloats?: number;
  /**
   * Calls with the same matrix before it is kept resident (default 2): a weight is seen again
   * on the next forward pass, while an array made fresh for one call is never kept, so such
   * arrays cannot pile up in WebAssembly memory.
   */
  residentAfterCalls?: number;
  /**
   * Keep resident float matrices as 16-bit halves too (default false): half the memory, at
   * about 3 significant digits per weight. Halves are widened to floats as products read them,
   * so products are somewhat slower (about 1.4× for a single row, as in decoding). Off by
   * default because results then differ from the float32 reference by more than rounding order.
   * A HalfArray (an F16 embedding table) is always kept as halves: for it that is exact.
   */
  halfWeights?: boolean;
  /** Which build to run (default: the fastest this engine validates). */
  build?: KernelBuild;
}

/** Addresses and sizes of one packed product, as passed to gemm. */
export interface Job {
  outPtr: number;
  /** A, laid out by packRows. */
  aPtr: number;
  packedPtr: number;
  biasPtr: number;
  M: number;
  K: number;
  P: number;
  mode: number;
  /** 1 when the packed matrix holds halves. */
  half: number;
}

/** A right-hand matrix: floats, half-precision numbers (an F16 embedding table kept as stored), or held. */
type Weight = Float32Array | HalfArray | HeldMatrix;
/** A matrix given as an array, which may change between calls. */
type WeightArray = Float32Array | HalfArray;

const SAMPLES = 64;
const MODE_ZERO = 0;
const MODE_BIAS = 1;
const MODE_ACCUMULATE = 2;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * Which build of the kernels to run: 'simd' (multiply, then add) or 'relaxed-simd' (fused
 * multiply-add where the hardware has it: about twice the product rate, and results that may
 * differ from 'simd' in the last bits).
 */
export type KernelBuild = 'simd' | 'relaxed-simd';

const BUILDS: Record<KernelBuild, { plain: string; shared: string }> = {
  simd: { plain: WASM_BASE64, shared: WASM_SHARED_BASE64 },
  'relaxed-simd': { plain: WASM_RELAXED_BASE64, shared: WASM_RELAXED_SHARED_BASE64 },
};

type Validate = (bytes: Uint8Array<ArrayBuffer>) => boolean;
const engineValidate: Validate = (bytes) => WebAssembly.validate(bytes);

const compiled = new Map<string, WebAssembly.Module>();
/** A compiled kernels module (small enough for synchronous compilation, even in a page). */
function kernelsModule(build: KernelBuild, shared: boolean): WebAssembly.Module {
  const key = `${build}/${shared}`;
  let module = compiled.get(key);
  if (!module) {
    module = new WebAssembly.Module(decodeBase64(shared ? BUILDS[build].shared : BUILDS[build].plain));
    compiled.set(key, module);
  }
  return module;
}

/** True when this engine can run the given build of the kernels (by default the SIMD one). */
export function wasmSimdSupported(validate: Validate = engineValidate, build: KernelBuild = 'simd'): boolean {
  try {
    return typeof WebAssembly === 'object' && validate(decodeBase64(BUILDS[build].plain));
  } catch {
    return false;
  }
}

/** The fastest build this engine validates: relaxed SIMD if it can, else SIMD. */
export function fastestBuild(validate: Validate = engineValidate): KernelBuild {
  return wasmSimdSupported(validate, 'relaxed-simd') ? 'relaxed-simd' : 'simd';
}

export class WasmKernels implements TrainingKernels {
  readonly build: KernelBuild;
  readonly mem: LinearMemory;
  protected readonly fn: KernelExports;
  private readonly resident: boolean;
  private readonly residentMin: number;
  private readonly residentAfter: number;
  /** Calls seen so far with matrices not yet resident. */
  private readonly calls = new WeakMap<WeightArray, number>();
  private readonly half: boolean;
  private readonly packed = new WeakMap<Weight, Packed[]>();
  private readonly packer: Packer;
  private readonly finalizer = new FinalizationRegistry<{ ptr: number; bytes: number }>((b) => this.mem.release(b.ptr, b.bytes));

  /**
   * Pass a shared `memory` to run on it with the shared-memory build (see ThreadedWasmKernels),
   * with its declared maximum in bytes.
   */
  constructor(options: WasmKernelOptions = {}, memory?: WebAssembly.Memory, memoryLimit = WASM32_MAX_BYTES) {
    this.build = options.build ?? fastestBuild();
    this.resident = options.resident ?? true;
    this.residentMin = options.residentMinFloats ?? RESIDENT_MIN_FLOATS;
    this.residentAfter = options.residentAfterCalls ?? 2;
    this.half = options.halfWeights ?? false;
    const mem = memory ?? new WebAssembly.Memory({ initial: 2, maximum: WASM32_MAX_BYTES / 65536 });
    this.mem = new LinearMemory(mem, memoryLimit);
    const instance = new WebAssembly.Instance(this.module, { env: { memory: mem } });
    this.fn = instance.exports as unknown as KernelExports;
    this.packer = new Packer(this.mem, this.fn);
  }

  /** The most this instance's memory can grow to, in bytes. */
  get memoryLimit(): number {
    return this.mem.limit;
  }

  /** "wasm-simd" or "wasm-relaxed-simd", for benchmarks and logs. */
  get name(): string {
    return `wasm-${this.build}`;
  }

  /** The compiled module this instance runs (the shared-memory build when its memory is shared). */
  get module(): WebAssembly.Module {
    const shared = typeof SharedArrayBuffer === 'function' && this.mem.memory.buffer instanceof SharedArrayBuffer;
    return kernelsModule(this.build, shared);
  }

  matmul(out: Float32Array, a: Float32Array, b: Float32Array | HeldMatrix, bias: Float32Array | null, M: number, K: number, N: number): void {
    this.product(out, a, false, b, 'KN', bias, M, K, N, bias ? MODE_BIAS : MODE_ZERO);
  }

  matmulTransposed(out: Float32Array, a: Float32Array, b: Weight, M: number, K: number, N: number): void {
    this.product(out, a, false, b, 'NK', null, M, K, N, MODE_ZERO);
  }

  matmulATransposed(out: Float32Array, a: Float32Array, b: Float32Array, M: number, K: number, N: number, accumulate = false): void {
    this.product(out, a, true, b, 'KN', null, M, K, N, accumulate ? MODE_ACCUMULATE : MODE_ZERO);
  }

  headScores(out: Float32Array, q: Float32Array, keys: Float32Array, shape: HeadShape): void {
    this.perHead(out, q, keys, 'NK', shape);
  }

  headMix(out: Float32Array, w: Float32Array, values: Float32Array, shape: HeadShape): void {
    this.perHead(out, w, values, 'KN', shape);
  }

  gelu(out: Float32Array, inp: Float32Array, n: number): void {
    this.inPlace(out, inp, n, (at) => this.geluAt(at, n));
  }

  softmaxRows(out: Float32Array, inp: Float32Array, rows: number, n: number): void {
    this.inPlace(out, inp, rows * n, (at) => this.softmaxAt(at, rows, n));
  }

  /** GELU of n values in place at `at`; the two-thread version splits them. */
  protected geluAt(at: number, n: number): void {
    this.fn.gelu(at, at, n);
  }

  /** Softmax of `rows` rows of n values in place at `at`; the two-thread version splits the rows. */
  protected softmaxAt(at: number, rows: number, n: number): void {
    this.fn.softmaxRows(at, at, rows, n);
  }

  /** Copies `count` values of inp into scratch, runs `step` on them there, copies them to out. */
  private inPlace(out: Float32Array, inp: Float32Array, count: number, step: (at: number) => void): void {
    if (out.length < count || inp.length < count) throw new RangeError(`WebAssembly kernels: arrays shorter than ${count} values`);
    const [at] = this.scratch(count);
    const f32 = this.mem.f32;
    f32.set(inp.subarray(0, count), at >>> 2);
    step(at);
    out.set(f32.subarray(at >>> 2, (at >>> 2) + count));
  }

  /** Drops the resident copies of `matrix`, so the next call packs it afresh (a held one is gone for good). */
  forget(matrix: Weight): void {
    for (const p of this.packed.get(matrix) ?? []) {
      this.finalizer.unregister(p);
      this.mem.release(p.ptr, p.bytes);
    }
    this.packed.delete(matrix);
  }

  /** Bytes held by resident packed matrices. */
  get residentBytes(): number {
    return this.mem.allocated;
  }

  /** Bytes of WebAssembly memory in use (resident weights plus the largest scratch so far). */
  get memoryBytes(): number {
    return this.mem.memory.buffer.byteLength;
  }

  /**
   * out[M×N] = A·B (+ bias, or + out), with A given as a[M×K], or as a[K×M] to be used
   * transposed (`aTransposed`), and B as b[K×N] ('KN') or as b[N×K] to be used transposed ('NK').
   */
  private product(
    out: Float32Array, a: Float32Array, aTransposed: boolean, weight: Weight, layout: 'KN' | 'NK',
    bias: Float32Array | null, M: number, K: number, N: number, mode: number,
  ): void {
    if (M === 0 || N === 0) return;
    if (out.length < M * N || a.length < M * K || weight.length < K * N || (bias && bias.length < N)) {
      throw new RangeError(`WebAssembly kernels: arrays too short for a ${M}×${K} by ${K}×${N} product`);
    }
    const entry = weight instanceof HeldMatrix ? this.heldPacked(weight, layout, K, N) : this.residentPacked(weight, layout, K, N);
    // A matrix not kept resident is packed for this call (halves widened first).
    const b = entry || weight instanceof HeldMatrix ? null : weight instanceof HalfArray ? weight.toFloat32() : weight;
    const P = Math.ceil(N / PANEL);
    const Np = P * PANEL; // padded row length of the output
    // Scratch: [b raw, b packed]? | a as given | a packed | bias | out.
    const [rawPtr, bPackedPtr, aRawPtr, aPtr, biasPtr, outPtr] = this.scratch(b ? K * N : 0, b ? K * Np : 0, M * K, M * K, Np, M * Np);
    const packedPtr = entry ? entry.ptr : bPackedPtr;

    const f32 = this.mem.f32;
    if (b) {
      f32.set(b.subarray(0, K * N), rawPtr >>> 2);
      this.pack(packedPtr, rawPtr, layout, K, N);
    }
    f32.set(a.subarray(0, M * K), aRawPtr >>> 2);
    // A transposed is given as a[K×M]: its element (i, k) is at k·M + i.
    // A matrix of halves is stored scaled (HALF_SHIFT); A takes the inverse, so the product is unscaled.
    const aScale = 2 ** -(entry?.shift ?? 0);
    if (aTransposed) this.fn.packRows(aPtr, aRawPtr, 1, M, M, K, aScale);
    else this.fn.packRows(aPtr, aRawPtr, K, 1, M, K, aScale);
    if (mode === MODE_BIAS) {
      f32.set(bias!.subarray(0, N), biasPtr >>> 2);
      f32.fill(0, (biasPtr >>> 2) + N, (biasPtr >>> 2) + Np);
    }
    if (mode === MODE_ACCUMULATE) copyRows(f32, outPtr >>> 2, Np, out, 0, N, M);

    this.compute({ outPtr, aPtr, packedPtr, biasPtr, M, K, P, mode, half: entry?.half ? 1 : 0 });

    copyRows(out, 0, N, f32, outPtr >>> 2, Np, M);
  }

  /**
   * One product per head, each operand read in place from one copy of the whole array: the
   * scores (a = q, b = the keys used transposed: 'NK') or the weighted sums (a = w, b = the
   * values: 'KN'). A key or value head is packed once for all the query heads that read it.
   */
  private perHead(out: Float32Array, a: Float32Array, b: Float32Array, layout: 'KN' | 'NK', { T, S, D, nHead, nKv }: HeadShape): void {
    const scores = layout === 'NK';
    const [K, N] = scores ? [D, S] : [S, D]; // head h: out[h] (T×N) = a_h (T×K) · B (K×N)
    const aWidth = scores ? nHead * D : S; // floats between rows of a_h
    const bWidth = nKv * D;
    if (T === 0 || S === 0) return;
    if (out.length < nHead * T * N || a.length < nHead * T * K || b.length < S * bWidth) {
      throw new RangeError(`WebAssembly kernels: arrays too short for ${nHead} heads of ${T}×${K} by ${K}×${N}`);
    }
    const P = Math.ceil(N / PANEL);
    const Np = P * PANEL;
    // Scratch: a | b | a_h packed | B packed | out_h.
    const [aRaw, bRaw, aPtr, packedPtr, outPtr] = this.scratch(nHead * T * K, S * bWidth, T * K, K * Np, T * Np);
    const f32 = this.mem.f32;
    f32.set(a.subarray(0, nHead * T * K), aRaw >>> 2);
    f32.set(b.subarray(0, S * bWidth), bRaw >>> 2);
    const group = nHead / nKv;
    for (let h = 0; h < nHead; h++) {
      if (h % group === 0) {
        const head = bRaw + Math.floor(h / group) * D * 4; // this key/value head's first column
        if (scores) this.fn.packNK(packedPtr, head, K, N, bWidth);
        else this.fn.packKNRows(packedPtr, head, K, N, bWidth, 0, K, 0, 0);
      }
      // q's columns h·D… of every row, or w[h] (T×S) as it is.
      this.fn.packRows(aPtr, aRaw + (scores ? h * D : h * T * S) * 4, aWidth, 1, T, K, 1);
      this.compute({ outPtr, aPtr, packedPtr, biasPtr: 0, M: T, K, P, mode: MODE_ZERO, half: 0 });
      copyRows(out, h * T * N, N, f32, outPtr >>> 2, Np, T);
    }
  }

  /**
   * Addresses of consecutive blocks of scratch space past the resident blocks, each `floats[i]`
   * floats long (0: an empty block), the memory grown to hold them. Valid until the next call.
   */
  private scratch(...floats: number[]): number[] {
    let at = this.mem.top;
    const starts = floats.map((n) => {
      const start = at;
      at = alignUp(at + n * 4);
      return start;
    });
    this.mem.ensure(at);
    return starts;
  }

  /** Runs the packed product over all panels; the two-thread version splits them. */
  protected compute(j: Job): void {
    this.fn.gemm(j.outPtr, j.aPtr, j.packedPtr, j.biasPtr, j.M, j.K, j.P, 0, j.P, j.mode, j.half);
  }

  private pack(dst: number, src: number, layout: 'KN' | 'NK', K: number, N: number): void {
    if (layout === 'KN') this.fn.packKNRows(dst, src, K, N, N, 0, K, 0, 0);
    else this.fn.packNK(dst, src, K, N, K);
  }

  prepareWeight(b: Weight, K: number, N: number, transposed: boolean): void {
    // A held matrix is packed already (by these kernels, or it cannot be used with them).
    if (b instanceof HeldMatrix || !this.resident || K * N < this.residentMin) return;
    // A weight needs no second use to prove it is not a temporary.
    this.calls.set(b, Math.max(this.calls.get(b) ?? 0, this.residentAfter));
    this.residentPacked(b, transposed ? 'NK' : 'KN', K, N);
  }

  /**
   * Takes a K×N matrix (N×K when `transposed`) into this memory as it is read, as floats or
   * halves: see MatrixWriter. Nothing else may run on these kernels until it is finished.
   */
  holdMatrix(K: number, N: number, transposed: boolean, half: boolean): MatrixWriter {
    const bytes = packedElements(K, N) * (half ? 2 : 4);
    const entry: Packed = { ptr: this.mem.alloc(bytes), bytes, layout: transposed ? 'NK' : 'KN', K, N, half, shift: 0, samples: null };
    const held = new HeldMatrix(transposed ? N : K, transposed ? K : N, half, (row, out, at) => this.packer.readRow(entry, row, out, at));
    // Registered at once, so a load that fails halfway frees the block with the matrix.
    this.packed.set(held, [entry]);
    this.finalizer.register(held, { ptr: entry.ptr, bytes }, entry);
    const writer = this.packer.writer(entry);
    return { write: writer.write, finish: () => (writer.finish(), held) };
  }

  /** Grows the memory now to hold `bytes` more past the resident blocks (RangeError if it cannot). */
  reserve(bytes: number): void {
    this.mem.ensure(this.mem.top + bytes);
  }

  /** A held matrix's packed block; it must be used as it was held. */
  private heldPacked(b: HeldMatrix, layout: 'KN' | 'NK', K: number, N: number): Packed {
    const entry = this.packed.get(b)?.[0];
    if (!entry) throw new Error('WebAssembly kernels: this matrix was released, or is held by other kernels');
    if (entry.layout !== layout || entry.K !== K || entry.N !== N) {
      throw new RangeError(`WebAssembly kernels: a matrix held as ${entry.layout} ${entry.K}×${entry.N} was used as ${layout} ${K}×${N}`);
    }
    return entry;
  }

  /** b's resident packed copy (packing it first if new or changed), or null if b is not kept resident. */
  private residentPacked(b: WeightArray, layout: 'KN' | 'NK', K: number, N: number): Packed | null {
    if (!this.resident || K * N < this.residentMin) return null;
    const list = this.packed.get(b) ?? [];
    let entry = list.find((p) => p.layout === layout && p.K === K && p.N === N);
    if (entry && sameSamples(entry.samples!, b, K * N)) return entry;
    if (!entry) {
      const calls = (this.calls.get(b) ?? 0) + 1;
      this.calls.set(b, calls);
      if (calls < this.residentAfter) return null;
      // Halves are kept as halves: exact, and half the memory of floats.
      const half = this.half || b instanceof HalfArray;
      const bytes = packedElements(K, N) * (half ? 2 : 4);
      entry = { ptr: this.mem.alloc(bytes), bytes, layout, K, N, half, shift: 0, samples: new Float32Array(SAMPLES) };
      list.push(entry);
      this.packed.set(b, list);
      this.finalizer.register(b, { ptr: entry.ptr, bytes }, entry);
    }
    this.packer.pack(entry, b);
    takeSamples(entry.samples!, b, K * N);
    return entry;
  }
}

/** Copies `rows` rows of `n` floats between arrays whose rows are `srcStride`/`dstStride` apart. */
function copyRows(dst: Float32Array, dstAt: number, dstStride: number, src: Float32Array, srcAt: number, srcStride: number, rows: number): void {
  const n = Math.min(dstStride, srcStride);
  if (dstStride === srcStride) {
    dst.set(src.subarray(srcAt, srcAt + rows * n), dstAt);
    return;
  }
  for (let i = 0; i < rows; i++) dst.set(src.subarray(srcAt + i * srcStride, srcAt + i * srcStride + n), dstAt + i * dstStride);
}

const sampleIndex = (s: number, n: number): number => Math.floor(((s + 0.5) * n) / SAMPLES);

/** Element i of a weight as stored: a float, or a half's bit pattern. */
const stored = (b: WeightArray, i: number): number => (b instanceof HalfArray ? b.bits[i] : b[i]);

function takeSamples(samples: Float32Array, b: WeightArray, n: number): void {
  for (let s = 0; s < SAMPLES; s++) samples[s] = stored(b, sampleIndex(s, n));
}

function sameSamples(samples: Float32Array, b: WeightArray, n: number): boolean {
  for (let s = 0; s < SAMPLES; s++) if (!Object.is(samples[s], stored(b, sampleIndex(s, n)))) return false;
  return true;
}
