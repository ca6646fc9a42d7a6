// Sizes that must fit the GPU's limits: a weight matrix is cut into pieces of whole stored rows,
// each no larger than the largest buffer a shader may bind (GPT-2's output head, 50,257 × 768
// floats = 154 MB, passes the 128 MB every device offers), and a product's input and output
// go over in blocks of rows that fit one binding too.

import { WebGpuError } from './errors.ts';
import type { Layout } from './shaders.ts';

/** A weight as stored: `rows` × `cols` elements, floats or halves. K × N for 'KN', N × K for 'NK'. */
export interface WeightShape {
  layout: Layout;
  rows: number;
  cols: number;
  half: boolean;
}

/** Stored rows [start, end) of a weight, kept in one GPU buffer of `bytes` bytes. */
export interface Piece {
  start: number;
  end: number;
  bytes: number;
}

/** Bytes a run of elements takes in a GPU buffer: halves two to a 32-bit word, rounded up to a whole word. */
export function bufferBytes(elements: number, half: boolean): number {
  return half ? Math.ceil(elements / 2) * 4 : elements * 4;
}

/** A size in bytes for the reader: "154.4 MB", "9.0 KB", "512 bytes". */
function sizeText(bytes: number): string {
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MB`;
  return bytes >= 2 ** 10 ? `${(bytes / 2 ** 10).toFixed(1)} KB` : `${bytes} bytes`;
}

/** The pieces of a weight, as few as fit `maxBytes` each, of nearly equal size. */
export function planPieces(shape: WeightShape, maxBytes: number): Piece[] {
  const { rows, cols, half } = shape;
  let perPiece = Math.floor(maxBytes / (half ? cols * 2 : cols * 4));
  while (perPiece > 0 && bufferBytes(perPiece * cols, half) > maxBytes) perPiece--;
  if (perPiece < 1) {
    throw new WebGpuError('limit', `one row of a ${rows} × ${cols} weight (${sizeText(bufferBytes(cols, half))}) is larger than the GPU’s largest binding (${sizeText(maxBytes)})`);
  }
  const count = Math.ceil(rows / perPiece);
  const pieces: Piece[] = [];
  for (let i = 0; i < count; i++) {
    const start = Math.floor((i * rows) / count);
    const end = Math.floor(((i + 1) * rows) / count);
    pieces.push({ start, end, bytes: bufferBytes((end - start) * cols, half) });
  }
  return pieces;
}

/** How many rows of a product's input (K wide) and output (N wide) fit in `maxBytes` each. */
export function rowsPerBlock(K: number, N: number, maxBytes: number): number {
  const rows = Math.floor(maxBytes / (4 * Math.max(K, N)));
  if (rows < 1) {
    throw new WebGpuError('limit', `one row of a product ${K} → ${N} wide (${sizeText(4 * Math.max(K, N))}) is larger than the GPU’s largest binding (${sizeText(maxBytes)})`);
  }
  return rows;
}
