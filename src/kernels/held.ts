// Weight matrices the kernels hold in their own memory, packed for their products, with no copy
// left in JavaScript: how GPT-2 large and XL fit in a tab (a 32-bit WebAssembly memory holds at
// most 4 GiB, and a copy on each side would double the weights). A loader writes the matrix in
// as it reads the file (holdMatrix); the model then passes the HeldMatrix wherever it would pass
// an array, and reads single rows back (the token embeddings) through it. Also the check of
// what numbers a place may keep (finite, and within a half's range where it keeps halves),
// shared by the kernels and the file reader.

/** Writes one matrix into the kernels' memory, front to back, as its numbers are read. */
export interface MatrixWriter {
  /**
   * The matrix's next numbers (row-major, as the file stores it), starting at element `at`.
   * Refuses a number that is not finite, or (a matrix kept as halves) larger in size than
   * HALF_MAX, by throwing ValueBeyondLimit before it is packed; the matrix cannot be finished
   * after that, and a loader abandons it.
   */
  write(values: Float32Array, at: number): void;
  /** After the last numbers: packs what was written and returns the held matrix. */
  finish(): HeldMatrix;
}

/** MatrixWriter.write's refusal: `values[index]` is not finite, or too large for a half where the matrix keeps halves. */
export class ValueBeyondLimit extends RangeError {
  constructor(readonly index: number) {
    super(`WebAssembly kernels: a held matrix cannot keep the number at index ${index} of those given`);
  }
}

/** The largest finite 32-bit float: the limit of a place that keeps floats. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * A float's size as an integer: its bits without the sign, which order as its size, with NaN's
 * and infinity's above every finite float's. So one comparison with a limit's size tells whether
 * a number is finite and within it.
 */
export const sizeBits = (x: number): number => new Int32Array(Float32Array.of(x).buffer)[0] & 0x7fffffff;

/**
 * The index of the first of `values` that is NaN, infinite or larger in size than `limit`, or -1.
 * A weight file holds billions of values, so this reads their bits as integers: `most - size` is
 * negative exactly for a value beyond the limit, so OR-ing those differences four at a time, with
 * no branch, says whether there is one; only then is its index looked for. 0.6 ns a value
 * instead of 1.5 for a comparison of each float (Node 20).
 */
export function firstBeyond(values: Float32Array, limit: number): number {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const most = sizeBits(limit);
  const n = bits.length;
  let differences = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    differences |=
      (most - (bits[i] & 0x7fffffff)) | (most - (bits[i + 1] & 0x7fffffff)) |
      (most - (bits[i + 2] & 0x7fffffff)) | (most - (bits[i + 3] & 0x7fffffff));
  }
  for (; i < n; i++) differences |= most - (bits[i] & 0x7fffffff);
  return differences < 0 ? bits.findIndex((b) => (b & 0x7fffffff) > most) : -1;
}

/** A matrix as the file stores it: K × N, or N × K when `transposed` (the embedding table). */
export class HeldMatrix {
  constructor(
    /** Rows × columns as stored. */
    readonly rows: number,
    readonly cols: number,
    /** True when the kernels keep its numbers as 16-bit halves (rounded if the file had floats). */
    readonly half: boolean,
    /** Writes stored row `row` (cols numbers) into `out` at `at`. */
    private readonly readRow: (row: number, out: Float32Array, at: number) => void,
  ) {}

  /** Number of elements, as for an array. */
  get length(): number {
    return this.rows * this.cols;
  }

  /** Writes stored row `row` into `out` at `at` (halves widened exactly to floats). */
  row(row: number, out: Float32Array, at = 0): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.rows) throw new RangeError(`row ${row} is outside 0…${this.rows - 1}`);
    this.readRow(row, out, at);
  }

  /** All elements, row-major as stored, as a new Float32Array (for kernels that hold nothing, and tests). */
  toFloat32(): Float32Array {
    const out = new Float32Array(this.length);
    for (let r = 0; r < this.rows; r++) this.readRow(r, out, r * this.cols);
    return out;
  }
}

/** A weight matrix as the model keeps it: floats in JavaScript, or held by the kernels. */
export type WeightMatrix = Float32Array | HeldMatrix;
