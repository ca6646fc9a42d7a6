// Packing right-hand matrices into the kernels' panel layout in linear memory: from a JavaScript
// array (a weight kept resident), or as a loader streams a matrix in (a held matrix, never in
// JavaScript at all), as floats or narrowed to 16-bit halves. Also reads a row back out.
// Packed layout: panels [ceil(N/PANEL)][K][PANEL] of bᵀ's columns, i.e. element (k, j) of the
// K × N product operand is at (j / PANEL) · K · PANEL + k · PANEL + j % PANEL.

import { HalfArray, halfBitsToFloat } from '../half.ts';
import type { MatrixWriter } from '../held.ts';
import { alignUp, type LinearMemory } from './memory.ts';

/** Panel width of the packed layout; must match W in kernels.as. */
export const PANEL = 8;

/** The functions exported by kernels.as (addresses in bytes, sizes in floats). */
export interface KernelExports {
  /** b[K×N] with rows `ld` floats apart (ld = N for a whole matrix) into panels. */
  packKN(dst: number, src: number, K: number, N: number, ld: number): void;
  /** b[N×K] with rows `ld` floats apart (ld = K for a whole matrix) as the panels of bᵀ. */
  packNK(dst: number, src: number, K: number, N: number, ld: number): void;
  /** packNK for half bit patterns, each value times 2^shift; 1 if some value overflowed. */
  packNKHalves(dst: number, src: number, K: number, N: number, shift: number): number;
  /** The left operand A (M×K, element (i, k) at i·sAi + k·sAk), times `scale`, in the row tiles gemm reads. */
  packRows(dst: number, src: number, sAi: number, sAk: number, M: number, K: number, scale: number): void;
  /** Floats times 2^shift to half bit patterns; 1 if some value was too large for that. */
  toF16(dst: number, src: number, count: number, shift: number): number;
  /** Halves in place times 2^-shift. */
  unscaleHalves(ptr: number, count: number, shift: number): void;
  gelu(dst: number, src: number, n: number): void;
  softmaxRows(dst: number, src: number, rows: number, n: number): void;
  gemm(out: number, a: number, packed: number, bias: number, M: number, K: number, P: number, p0: number, p1: number, mode: number, half: number): void;
}

/** One packed copy of a matrix living in linear memory. */
export interface Packed {
  ptr: number;
  bytes: number;
  /** 'KN': b is K × N as stored (matmul); 'NK': b is stored N × K and used transposed. */
  layout: 'KN' | 'NK';
  K: number;
  N: number;
  /** True when stored as 16-bit halves. */
  half: boolean;
  /**
   * The stored numbers are 2^shift times the matrix's: HALF_SHIFT for halves (0 if some value
   * was too large for that), 0 for floats. Products divide it back out of A, exactly.
   */
  shift: number;
  /** A few stored elements, to notice an array changed since it was packed (null when held). */
  samples: Float32Array | null;
}

/**
 * The scale halves are stored at: 2^10, so that a weight down to 6 × 10⁻⁸ (rather than 6 × 10⁻⁵)
 * is a normal half. A product widens each half to a float with one multiply, and x86 processors
 * take a slow assist, about a hundred cycles, whenever a multiply meets a subnormal float: with
 * GPT-2 XL's random weights (about 2% below 6 × 10⁻⁵ in the output projections) it decoded
 * about twice as slowly. Scaled, each half keeps its 11 significant bits at every size from
 * 6 × 10⁻⁸ to 64 (an F16 file's numbers exactly, and floats no less precisely than halves
 * did); a matrix with a larger number is stored unscaled.
 */
const HALF_SHIFT = 10;
export const HALF_SCALE = 2 ** HALF_SHIFT;

/** Elements (floats or halves) a packed K × N operand takes: whole panels. */
export const packedElements = (K: number, N: number): number => K * Math.ceil(N / PANEL) * PANEL;

/** Rows of b[N×K] packed per chunk: a chunk's scratch is reused, so a 50,257-row output head
 * does not touch a second full-size region of fresh memory (first touches are what cost here). */
const CHUNK_ROWS = 64 * PANEL;

/**
 * Packs into blocks of one linear memory. Scratch space is everything past the resident blocks
 * (mem.top), so packing must not interleave with products on the same kernels.
 */
export class Packer {
  constructor(
    private readonly mem: LinearMemory,
    private readonly fn: KernelExports,
  ) {}

  /** Packs a whole array into entry's block: b[N×K] a chunk of rows at a time, b[K×N] at once. */
  pack(entry: Packed, b: Float32Array | HalfArray): void {
    const { K, N } = entry;
    entry.shift = entry.half ? HALF_SHIFT : 0;
    if (entry.layout === 'NK') {
      const raw = this.mem.top;
      this.mem.ensure(this.chunkScratchEnd(raw, K));
      for (let n0 = 0; n0 < N; n0 += CHUNK_ROWS) {
        const rows = Math.min(CHUNK_ROWS, N - n0);
        if (b instanceof HalfArray) this.mem.u16.set(b.bits.subarray(n0 * K, (n0 + rows) * K), raw >>> 1);
        else this.mem.f32.set(b.subarray(n0 * K, (n0 + rows) * K), raw >>> 2);
        this.packChunk(entry, raw, n0, rows, b instanceof HalfArray);
      }
      return;
    }
    if (b instanceof HalfArray) throw new TypeError('WebAssembly kernels: half-precision matrices are supported as b[N×K] only');
    const raw = this.mem.top;
    this.mem.ensure(this.wholeScratchEnd(raw, K, N, entry.half));
    this.mem.f32.set(b.subarray(0, K * N), raw >>> 2);
    this.packWhole(entry, raw);
  }

  /** A writer filling entry's block as the matrix's numbers arrive, front to back. */
  writer(entry: Packed): Omit<MatrixWriter, 'finish'> & { finish(): void } {
    const { K, N } = entry;
    entry.shift = entry.half ? HALF_SHIFT : 0;
    const raw = this.mem.top;
    let written = 0; // elements received
    if (entry.layout === 'KN') {
      // The whole matrix is gathered as floats in scratch (at most 41 MB for GPT-2 XL), then packed.
      this.mem.ensure(this.wholeScratchEnd(raw, K, N, entry.half));
      return {
        write: (values, at) => {
          checkOrder(at, written, values.length, K * N);
          this.mem.f32.set(values, (raw >>> 2) + at);
          written += values.length;
        },
        finish: () => {
          checkOrder(written, K * N, 0, K * N);
          this.packWhole(entry, raw);
        },
      };
    }
    // b[N×K]: rows gathered a chunk at a time, each chunk packed once it is full.
    this.mem.ensure(this.chunkScratchEnd(raw, K));
    let n0 = 0; // first row of the chunk being gathered
    const flush = () => {
      const rows = written / K - n0;
      if (rows > 0) this.packChunk(entry, raw, n0, rows, false);
      n0 += rows;
    };
    return {
      write: (values, at) => {
        checkOrder(at, written, values.length, K * N);
        let from = 0;
        while (from < values.length) {
          const room = (n0 + CHUNK_ROWS) * K - written;
          const take = Math.min(room, values.length - from);
          this.mem.f32.set(values.subarray(from, from + take), (raw >>> 2) + written - n0 * K);
          written += take;
          from += take;
          if (written === (n0 + CHUNK_ROWS) * K) flush();
        }
      },
      finish: () => {
        checkOrder(written, K * N, 0, K * N);
        flush();
      },
    };
  }

  /** Writes stored row `row` of a packed matrix into `out` at `at` (halves widened exactly). */
  readRow(entry: Packed, row: number, out: Float32Array, at: number): void {
    const { K, N } = entry;
    // Stored N × K ('NK'): row n is column j = n of the operand, for k = 0…K−1; stored K × N: row k, for j = 0…N−1.
    const count = entry.layout === 'NK' ? K : N;
    const index = entry.layout === 'NK'
      ? (k: number) => Math.floor(row / PANEL) * K * PANEL + k * PANEL + (row % PANEL)
      : (j: number) => Math.floor(j / PANEL) * K * PANEL + row * PANEL + (j % PANEL);
    if (entry.half) {
      const bits = this.mem.u16;
      const base = entry.ptr >>> 1;
      const unscale = 2 ** -entry.shift;
      for (let i = 0; i < count; i++) out[at + i] = halfBitsToFloat(bits[base + index(i)]) * unscale;
    } else {
      const f32 = this.mem.f32;
      const base = entry.ptr >>> 2;
      for (let i = 0; i < count; i++) out[at + i] = f32[base + index(i)];
    }
  }

  private chunkScratchEnd(raw: number, K: number): number {
    return alignUp(raw + CHUNK_ROWS * K * 4) + CHUNK_ROWS * K * 4;
  }

  private wholeScratchEnd(raw: number, K: number, N: number, half: boolean): number {
    return alignUp(raw + K * N * 4) + (half ? packedElements(K, N) * 4 : 0);
  }

  /** Packs b[K×N], gathered as floats at `raw`, into entry's block (narrowed to halves if it keeps them). */
  private packWhole(entry: Packed, raw: number): void {
    const { K, N } = entry;
    if (!entry.half) {
      this.fn.packKN(entry.ptr, raw, K, N, N);
      return;
    }
    const wide = alignUp(raw + K * N * 4);
    this.fn.packKN(wide, raw, K, N, N);
    if (this.fn.toF16(entry.ptr, wide, packedElements(K, N), entry.shift) && entry.shift !== 0) {
      entry.shift = 0;
      this.fn.toF16(entry.ptr, wide, packedElements(K, N), 0);
    }
  }

  /**
   * Packs rows n0… of b[N×K], gathered at `raw` as floats or (`halves`) half bit patterns, into
   * their panels. If a number is too large for halves at the entry's scale, the rows packed
   * before are scaled back in place (those that become subnormal halves are rounded again) and
   * these rows packed unscaled.
   */
  private packChunk(entry: Packed, raw: number, n0: number, rows: number, halves: boolean): void {
    const { K } = entry;
    const at = n0 * K; // packed elements before these rows (n0 is a multiple of PANEL)
    if (!entry.half) {
      this.fn.packNK(entry.ptr + at * 4, raw, K, rows, K);
      return;
    }
    const wide = alignUp(raw + CHUNK_ROWS * K * 4);
    const narrow = (): number => {
      if (halves) return this.fn.packNKHalves(entry.ptr + at * 2, raw, K, rows, entry.shift);
      this.fn.packNK(wide, raw, K, rows, K);
      return this.fn.toF16(entry.ptr + at * 2, wide, packedElements(K, rows), entry.shift);
    };
    if (narrow() && entry.shift !== 0) {
      this.fn.unscaleHalves(entry.ptr, at, entry.shift);
      entry.shift = 0;
      narrow();
    }
  }
}

/** Numbers must arrive in order and fill the matrix exactly. */
function checkOrder(at: number, expected: number, count: number, total: number): void {
  if (at !== expected || at + count > total) {
    throw new RangeError(`WebAssembly kernels: a held matrix of ${total} numbers was given ${count} at ${at}, after ${expected}`);
  }
}
