// Packing right-hand matrices into the kernels' panel layout in linear memory: from a JavaScript
// array (a weight kept resident), or as a loader streams a matrix in (a held matrix, never in
// JavaScript at all), as floats or narrowed to 16-bit halves. Also reads a row back out.
// Packed layout: panels [ceil(N/PANEL)][K][PANEL] of bᵀ's columns, i.e. element (k, j) of the
// K × N product operand is at (j / PANEL) · K · PANEL + k · PANEL + j % PANEL.

import { HALF_MAX, HalfArray, halfBitsToFloat } from '../half.ts';
import { firstBeyond, FLOAT32_MAX, sizeBits, ValueBeyondLimit, type MatrixWriter } from '../held.ts';
import { alignUp, type LinearMemory } from './memory.ts';

/** Panel width of the packed layout; must match W in kernels.as. */
export const PANEL = 8;

/** The functions exported by kernels.as (addresses in bytes, sizes in floats). */
export interface KernelExports {
  /**
   * Rows k0… of b[K×N], given with rows `ld` floats apart (ld = N for a whole matrix), into their
   * place in the panels, as floats or (half = 1) as halves times 2^shift; 1 if some value was too
   * large for a half at that scale.
   */
  packKNRows(dst: number, src: number, K: number, N: number, ld: number, k0: number, rows: number, half: number, shift: number): number;
  /** b[N×K] with rows `ld` floats apart (ld = K for a whole matrix) as the panels of bᵀ. */
  packNK(dst: number, src: number, K: number, N: number, ld: number): void;
  /** packNK for half bit patterns, each value times 2^shift; 1 if some value overflowed. */
  packNKHalves(dst: number, src: number, K: number, N: number, shift: number): number;
  /** The left operand A (M×K, element (i, k) at i·sAi + k·sAk), times `scale`, in the row tiles gemm reads. */
  packRows(dst: number, src: number, sAi: number, sAk: number, M: number, K: number, scale: number): void;
  /** The largest size among `count` floats, as its bits without the sign (above 0x7f7fffff: NaN or infinity). */
  largestBits(src: number, count: number): number;
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
 * Floats of b[K×N] packed per chunk (whole rows, at least one; 256 KB, well inside the core's L2
 * cache). A trial of two loads of GPT-2 XL in Node for each size found 2^13 to 2^16 alike and
 * 2^18 and 2^20 slower (by about 0.4 s and 1.6 s), so larger chunks are not better here.
 */
const KN_CHUNK_FLOATS = 1 << 16;

/** Rows per chunk of a matrix stored with rows of `rowLength` floats, in `layout`. */
const chunkRows = (layout: 'KN' | 'NK', rowLength: number): number =>
  layout === 'NK' ? CHUNK_ROWS : Math.max(1, Math.floor(KN_CHUNK_FLOATS / rowLength));

/**
 * Packs into blocks of one linear memory. Scratch space is everything past the resident blocks
 * (mem.top), so packing must not interleave with products on the same kernels.
 */
export class Packer {
  constructor(
    private readonly mem: LinearMemory,
    private readonly fn: KernelExports,
  ) {}

  /** Packs a whole array into entry's block, a chunk of rows at a time. */
  pack(entry: Packed, b: Float32Array | HalfArray): void {
    const { K, N, layout } = entry;
    if (b instanceof HalfArray && layout === 'KN') throw new TypeError('WebAssembly kernels: half-precision matrices are supported as b[N×K] only');
    entry.shift = entry.half ? HALF_SHIFT : 0;
    const [rowLength, count] = layout === 'NK' ? [K, N] : [N, K];
    const step = chunkRows(layout, rowLength);
    const raw = this.mem.top;
    this.mem.ensure(this.chunkScratchEnd(raw, entry));
    for (let r0 = 0; r0 < count; r0 += step) {
      const rows = Math.min(step, count - r0);
      if (b instanceof HalfArray) this.mem.u16.set(b.bits.subarray(r0 * K, (r0 + rows) * K), raw >>> 1);
      else this.mem.f32.set(b.subarray(r0 * rowLength, (r0 + rows) * rowLength), raw >>> 2);
      this.packChunk(entry, raw, r0, rows, b instanceof HalfArray);
    }
  }

  /** A writer filling entry's block as the matrix's numbers arrive, front to back: a chunk of rows at a time, each packed once it is full. */
  writer(entry: Packed): Omit<MatrixWriter, 'finish'> & { finish(): void } {
    const { K, N, layout } = entry;
    entry.shift = entry.half ? HALF_SHIFT : 0;
    const rowLength = layout === 'NK' ? K : N;
    const step = chunkRows(layout, rowLength);
    const raw = this.mem.top;
    this.mem.ensure(this.chunkScratchEnd(raw, entry));
    const limit = entry.half ? HALF_MAX : FLOAT32_MAX; // the largest size a number may have
    const most = sizeBits(limit);
    let written = 0; // elements received
    let r0 = 0; // first row of the chunk being gathered
    const flush = () => {
      const rows = written / rowLength - r0;
      if (rows > 0) this.packChunk(entry, raw, r0, rows, false);
      r0 += rows;
    };
    return {
      write: (values, at) => {
        checkOrder(at, written, values.length, K * N);
        let from = 0;
        while (from < values.length) {
          const room = (r0 + step) * rowLength - written;
          const take = Math.min(room, values.length - from);
          const at = raw + (written - r0 * rowLength) * 4;
          this.mem.f32.set(values.subarray(from, from + take), at >>> 2);
          if (this.fn.largestBits(at, take) > most) throw new ValueBeyondLimit(from + firstBeyond(values.subarray(from, from + take), limit));
          written += take;
          from += take;
          if (written === (r0 + step) * rowLength) flush();
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

  /** The end of a chunk's scratch: its rows as given, and for b[N×K] kept as halves, their panels as floats. */
  private chunkScratchEnd(raw: number, entry: Packed): number {
    if (entry.layout === 'KN') return raw + chunkRows('KN', entry.N) * entry.N * 4;
    return alignUp(raw + CHUNK_ROWS * entry.K * 4) + CHUNK_ROWS * entry.K * 4;
  }

  /**
   * Packs stored rows r0… of the matrix (rows of b[N×K], or of b[K×N]), gathered at `raw` as
   * floats or (`halves`, b[N×K] only) half bit patterns, into their panels. If a number is too
   * large for halves at the entry's scale, the numbers packed before are scaled back in place
   * (those that become subnormal halves are rounded again) and these rows packed unscaled.
   */
  private packChunk(entry: Packed, raw: number, r0: number, rows: number, halves: boolean): void {
    const { K, N } = entry;
    if (entry.layout === 'KN') {
      const pack = () => this.fn.packKNRows(entry.ptr, raw, K, N, N, r0, rows, entry.half ? 1 : 0, entry.shift);
      if (pack() && entry.shift !== 0) {
        // Rows not yet written are rescaled too; they are overwritten when they come.
        this.fn.unscaleHalves(entry.ptr, packedElements(K, N), entry.shift);
        entry.shift = 0;
        pack();
      }
      return;
    }
    const at = r0 * K; // packed elements before these rows (r0 is a multiple of PANEL)
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
