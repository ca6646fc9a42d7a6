// Reads and writes the safetensors format on plain bytes (no file system, so the page can
// use it too): an 8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the data. Every problem becomes a ModelError.

import { ModelError } from './config.ts';
import { floatToHalfBits, HalfArray } from '../kernels/half.ts';

/** Bytes per element of every dtype the format defines; only the float ones convert to numbers. */
export const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};
/** The float dtypes this loader converts to numbers. */
export const READABLE = ['F32', 'F16', 'BF16', 'F64'];

/** One tensor as the header describes it; `begin`/`end` are offsets into the data section. */
export interface TensorEntry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  /** Tensors by name, in header order (`__metadata__` left out). */
  entries: Map<string, TensorEntry>;
  /** The data section (a view into the file's bytes). */
  data: Uint8Array;
  /** Name used in error messages, e.g. "models/tiny/model.safetensors". */
  where: string;
}

const MAX_HEADER = 100_000_000; // the format's own limit on the JSON header

/** Parses and checks the header; tensor data is converted later, only for tensors asked for. */
export function parseSafetensors(bytes: Uint8Array, where = 'model.safetensors'): SafetensorsFile {
  const headerLength = readHeaderLength(bytes, bytes.length, where);
  const data = bytes.subarray(8 + headerLength);
  return { entries: parseHeader(bytes.subarray(8, 8 + headerLength), data.length, where), data, where };
}

/**
 * The JSON header's length from a file's first 8 bytes (at least 8 must be given), checked
 * against the file's size when it is known (null: a download of unknown length).
 */
export function readHeaderLength(first: Uint8Array, fileSize: number | null, where: string): number {
  const fail = (problem: string): never => {
    throw new ModelError(`${where}: ${problem}`);
  };
  if (fileSize !== null && fileSize < 8) fail(`file is ${fileSize} bytes, too short for a safetensors header; is the file complete?`);
  const headerLength = Number(new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true));
  if (fileSize !== null && headerLength > fileSize - 8) {
    fail(`header length ${headerLength} runs past the end of the ${fileSize}-byte file; the file is truncated or not safetensors`);
  }
  if (headerLength > MAX_HEADER) fail(`header length ${headerLength} is larger than safetensors allows`);
  return headerLength;
}

/**
 * The tensors a header's JSON bytes describe, checked (dtypes, shapes against byte ranges, no
 * overlaps) against a data section of `dataLength` bytes (Infinity when not yet known).
 */
export function parseHeader(headerBytes: Uint8Array, dataLength: number, where: string): Map<string, TensorEntry> {
  const fail = (problem: string): never => {
    throw new ModelError(`${where}: ${problem}`);
  };
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const entries = new Map<string, TensorEntry>();
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    entries.set(name, checkEntry(name, value, dataLength, fail));
  }
  // Tensors must not share bytes: sort by start and compare neighbours.
  const sorted = [...entries].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  for (let i = 1; i < sorted.length; i++) {
    const [prevName, prev] = sorted[i - 1];
    const [name, cur] = sorted[i];
    if (cur.begin < prev.end) {
      fail(`tensors "${prevName}" (bytes ${prev.begin}-${prev.end}) and "${name}" (bytes ${cur.begin}-${cur.end}) overlap`);
    }
  }
  return entries;
}

function checkEntry(name: string, value: unknown, dataLength: number, fail: (problem: string) => never): TensorEntry {
  const t = `tensor "${name}"`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${t}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(ELEMENT_BYTES, dtype)) {
    fail(`${t}: unknown dtype ${JSON.stringify(dtype)} (this loader reads ${READABLE.join(', ')})`);
  }
  const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${t}: shape must be a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`${t}: data_offsets must be two non-negative integers [begin, end]`);
  }
  const [begin, end] = offsets as number[];
  if (begin > end || end > dataLength) {
    fail(`${t}: data_offsets [${begin}, ${end}] lie outside the ${dataLength}-byte data section; the file is truncated or corrupt`);
  }
  let count = 1;
  for (const d of shape as number[]) count *= d;
  const expected = count * ELEMENT_BYTES[dtype as string];
  if (expected !== end - begin) {
    fail(`${t}: shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets give ${end - begin}`);
  }
  return { dtype: dtype as string, shape: shape as number[], begin, end };
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** n little-endian 16-bit patterns from `bytes`: read in place when aligned, else copied out. */
export function halvesOf(bytes: Uint8Array, n = bytes.length / 2): Uint16Array {
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 2 * n);
  return Uint16Array.from({ length: n }, (_, i) => view.getUint16(2 * i, true));
}

/** float32 copies of F16 or BF16 bit patterns. */
function widenHalves(halves: Uint16Array, dtype: 'F16' | 'BF16'): Float32Array {
  const out = new Float32Array(halves.length);
  if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32's bits.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  } else {
    new HalfArray(halves).widen(0, halves.length, out);
  }
  return out;
}

/**
 * Whole elements of a float dtype (`bytes.length` a multiple of the element size) as float32:
 * F32 in place when aligned unless `copy` (then, as every other dtype, a fresh array).
 * Throws ModelError naming `what` for a dtype that is not a float.
 */
export function decodeFloats(bytes: Uint8Array, dtype: string, copy: boolean, what: string): Float32Array {
  const n = bytes.length / (ELEMENT_BYTES[dtype] ?? 1);
  if (dtype === 'F16' || dtype === 'BF16') return widenHalves(halvesOf(bytes, n), dtype);
  if (dtype === 'F32' && LITTLE_ENDIAN_HOST) {
    if (!copy && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
    // Copied through the Uint8Array constructor: a Node Buffer's slice() would share its pool.
    return new Float32Array(new Uint8Array(bytes).buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') return Float32Array.from({ length: n }, (_, i) => view.getFloat32(4 * i, true));
  if (dtype === 'F64') return Float32Array.from({ length: n }, (_, i) => view.getFloat64(8 * i, true));
  throw new ModelError(`${what} is stored as ${dtype}; this loader reads ${READABLE.join(', ')}`);
}

/** Whole I32 elements as an Int32Array (in place when aligned unless `copy`). */
export function decodeInt32(bytes: Uint8Array, copy: boolean): Int32Array {
  if (LITTLE_ENDIAN_HOST) {
    if (!copy && bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    return new Int32Array(new Uint8Array(bytes).buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Int32Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(4 * i, true));
}

/** A tensor's bytes in the file, or ModelError if the file has no such tensor. */
function tensorBytes(file: SafetensorsFile, name: string): { entry: TensorEntry; bytes: Uint8Array } {
  const entry = file.entries.get(name);
  if (!entry) throw new ModelError(`${file.where}: has no tensor "${name}"`);
  return { entry, bytes: file.data.subarray(entry.begin, entry.end) };
}

/** A tensor's values as float32 (a fresh array); ModelError if it is missing or not a float dtype. */
export function tensorFloat32(file: SafetensorsFile, name: string): Float32Array {
  const { entry, bytes } = tensorBytes(file, name);
  return decodeFloats(bytes, entry.dtype, true, `${file.where}: tensor "${name}"`);
}

/** A tensor of whole numbers (an index) as an Int32Array; ModelError if it is missing or not I32. */
export function tensorInt32(file: SafetensorsFile, name: string): Int32Array {
  const { entry, bytes } = tensorBytes(file, name);
  if (entry.dtype !== 'I32') throw new ModelError(`${file.where}: tensor "${name}" is stored as ${entry.dtype}; it must be I32`);
  return decodeInt32(bytes, true);
}

/**
 * One tensor to write. `data.length` must equal the product of `shape`. Floats are written in
 * the file's float dtype; whole numbers (Int32Array) as I32.
 */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Builds a safetensors file. F16 refuses values it cannot hold rather than writing Infinity. */
export function writeSafetensors(
  tensors: readonly TensorToWrite[],
  options: { dtype?: 'F32' | 'F16'; metadata?: Record<string, string> } = {},
): Uint8Array {
  const floatType = options.dtype ?? 'F32';
  const dtypeOf = (t: TensorToWrite) => (t.data instanceof Int32Array ? 'I32' : floatType);
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new ModelError(`tensor "${t.name}": shape [${t.shape.join(', ')}] holds ${count} values but it has ${t.data.length}`);
    }
    if (t.name in header) throw new ModelError(`tensor "${t.name}" is listed twice`);
    const bytes = count * ELEMENT_BYTES[dtypeOf(t)];
    header[t.name] = { dtype: dtypeOf(t), shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    const dtype = dtypeOf(t);
    if (dtype !== 'F16' && LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    } else if (dtype === 'I32') {
      for (let i = 0; i < t.data.length; i++) view.setInt32(at + 4 * i, t.data[i], true);
    } else if (dtype === 'F32') {
      for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    } else {
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i];
        if (Number.isFinite(v) && Math.abs(v) > 65504) {
          throw new ModelError(`tensor "${t.name}" holds ${v}, beyond float16's range (±65504); save as F32`);
        }
        view.setUint16(at + 2 * i, floatToHalfBits(v), true);
      }
    }
    at += t.data.length * ELEMENT_BYTES[dtype];
  }
  return out;
}
