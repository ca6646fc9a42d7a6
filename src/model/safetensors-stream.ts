// Reads a safetensors file front to back as its bytes arrive (a picked File's stream, a
// download, a file on disk), converting each tensor's numbers on the way to wherever the caller
// keeps them (TensorSink): a 6 GB checkpoint never sits in memory whole, only the piece in hand.
// The caller sees the header before any tensor data, so a wrong file is refused early.

import { ModelError } from './config.ts';
import { decodeFloats, decodeInt32, ELEMENT_BYTES, halvesOf, parseHeader, readHeaderLength, type TensorEntry } from './safetensors.ts';
import { halfBitsToFloat } from '../kernels/half.ts';
import { firstBeyond, FLOAT32_MAX, ValueBeyondLimit } from '../kernels/held.ts';

/** Where one tensor's numbers go, in order: floats for a float dtype, Int32Array for I32. */
export interface TensorSink {
  write(values: Float32Array | Int32Array, at: number): void;
  /**
   * The largest magnitude this sink keeps, if less than any finite float: HALF_MAX for one that
   * narrows to 16-bit halves. A larger number is refused as it is read.
   */
  limit?: number;
  /**
   * True when write() refuses such a number itself (and one that is not finite), throwing
   * ValueBeyondLimit before it keeps that number: the WebAssembly kernels check in SIMD as they
   * copy the numbers in, far faster than the reader can in JavaScript.
   */
  checksValues?: boolean;
  /** If given, an F16 tensor's numbers come here instead, as the file's own bit patterns (not widened). */
  writeHalves?(bits: Uint16Array, at: number): void;
}

/** One tensor being read: its entry, its sink, and the bytes of a split element carried over. */
interface Reading {
  name: string;
  entry: TensorEntry;
  sink: TensorSink;
  elementBytes: number;
  /** Elements written so far. */
  done: number;
  carry: Uint8Array;
  carried: number;
}

/**
 * Push the file's bytes in order (any chunk sizes), then call end(). `plan` is called once the
 * header is read, with its tensors; it returns a sink for each tensor wanted (others are
 * skipped) and may throw to refuse the file before its data is read.
 */
export class SafetensorsReader {
  private state: 'length' | 'header' | 'data' = 'length';
  /** Bytes of the length or the header gathered so far. */
  private pending = new Uint8Array(8);
  private pendingFill = 0;
  /** Position in the data section (bytes after the header). */
  private position = 0;
  private headerLength = 0;
  private queue: Reading[] = [];
  private dataEnd = 0;
  received = 0;

  constructor(
    readonly where: string,
    /** The file's size in bytes, when known before reading (null: a download of unknown length). */
    private readonly size: number | null,
    /** Gets the header's tensors and the data section's length (null if unknown); returns the sinks. */
    private readonly plan: (entries: Map<string, TensorEntry>, dataLength: number | null) => Map<string, TensorSink>,
  ) {}

  push(chunk: Uint8Array): void {
    this.received += chunk.length;
    if (this.size !== null && this.received > this.size) this.fail(`holds more than the ${this.size} bytes it was announced as`);
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'data') {
        this.data(chunk.subarray(at));
        return;
      }
      // Gather the 8-byte length, then the JSON header, across chunks if need be.
      const want = this.pending.length - this.pendingFill;
      const take = Math.min(want, chunk.length - at);
      this.pending.set(chunk.subarray(at, at + take), this.pendingFill);
      this.pendingFill += take;
      at += take;
      if (this.pendingFill < this.pending.length) return;
      if (this.state === 'length') {
        this.headerLength = readHeaderLength(this.pending, this.size, this.where);
        this.state = 'header';
        this.pending = new Uint8Array(this.headerLength);
        this.pendingFill = 0;
        if (this.headerLength > 0) continue;
      }
      this.startData();
    }
  }

  /** After the last byte: throws ModelError if the file ended before its tensors did. */
  end(): void {
    const expected = this.size ?? (this.state === 'data' ? 8 + this.headerLength + this.dataEnd : null);
    if (this.state !== 'data' || (expected !== null && this.received < expected)) {
      this.fail(`the file ended after ${this.received} bytes${expected !== null ? ` of ${expected}` : ', inside its header'}; it is truncated: fetch or copy it again`);
    }
  }

  private fail(problem: string): never {
    throw new ModelError(`${this.where}: ${problem}`);
  }

  private startData(): void {
    const dataLength = this.size === null ? null : this.size - 8 - this.headerLength;
    const entries = parseHeader(this.pending, dataLength ?? Infinity, this.where);
    const sinks = this.plan(entries, dataLength);
    this.queue = [...sinks]
      .map(([name, sink]): Reading => {
        const entry = entries.get(name)!;
        const elementBytes = ELEMENT_BYTES[entry.dtype];
        return { name, entry, sink, elementBytes, done: 0, carry: new Uint8Array(elementBytes), carried: 0 };
      })
      .sort((a, b) => a.entry.begin - b.entry.begin);
    this.dataEnd = Math.max(0, ...[...entries.values()].map((e) => e.end));
    this.state = 'data';
    this.pending = new Uint8Array(0);
  }

  /** Bytes of the data section from this.position on. */
  private data(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length && this.queue.length > 0) {
      const reading = this.queue[0];
      const { begin, end } = reading.entry;
      const here = this.position + at;
      if (here < begin) {
        at += Math.min(begin - here, bytes.length - at); // bytes between tensors, or of tensors not wanted
        continue;
      }
      const take = Math.min(end - here, bytes.length - at);
      this.convert(reading, bytes.subarray(at, at + take));
      at += take;
      if (here + take === end) this.queue.shift();
    }
    this.position += bytes.length;
  }

  /** Converts a piece of a tensor's bytes: whole elements go to its sink, a split one waits. */
  private convert(reading: Reading, piece: Uint8Array): void {
    const size = reading.elementBytes;
    let at = 0;
    if (reading.carried > 0) {
      const take = Math.min(size - reading.carried, piece.length);
      reading.carry.set(piece.subarray(0, take), reading.carried);
      reading.carried += take;
      at = take;
      if (reading.carried < size) return;
      this.emit(reading, reading.carry.slice());
      reading.carried = 0;
    }
    const whole = Math.floor((piece.length - at) / size) * size;
    if (whole > 0) this.emit(reading, piece.subarray(at, at + whole));
    at += whole;
    if (at < piece.length) {
      reading.carry.set(piece.subarray(at));
      reading.carried = piece.length - at;
    }
  }

  private emit(reading: Reading, bytes: Uint8Array): void {
    const what = `${this.where}: tensor "${reading.name}"`;
    if (reading.entry.dtype === 'F16' && reading.sink.writeHalves) {
      const bits = halvesOf(bytes);
      for (let i = 0; i < bits.length; i++) {
        // All exponent bits set: ±Infinity or NaN.
        if ((bits[i] & 0x7c00) === 0x7c00) throw new ModelError(`${what} holds ${halfBitsToFloat(bits[i])} at index ${reading.done + i}; weights must be finite numbers`);
      }
      reading.sink.writeHalves(bits, reading.done);
      reading.done += bits.length;
      return;
    }
    const values = reading.entry.dtype === 'I32' ? decodeInt32(bytes, false) : decodeFloats(bytes, reading.entry.dtype, false, what);
    if (values instanceof Float32Array && !reading.sink.checksValues) {
      const limit = reading.sink.limit ?? FLOAT32_MAX;
      const at = firstBeyond(values, limit);
      if (at >= 0) throw new ModelError(refusal(values[at], reading.done + at, what));
    }
    try {
      reading.sink.write(values, reading.done);
    } catch (error) {
      if (error instanceof ValueBeyondLimit) throw new ModelError(refusal(values[error.index], reading.done + error.index, what));
      throw error;
    }
    reading.done += values.length;
  }
}

/** Why a number read from a file cannot be kept: not finite, or too large for a half. */
function refusal(value: number, index: number, what: string): string {
  return Number.isFinite(value)
    ? `${what} holds ${value} at index ${index}, beyond the ±65,504 a 16-bit half can hold`
    : `${what} holds ${value} at index ${index}; weights must be finite numbers`;
}

/** Reads a whole source through a SafetensorsReader, reporting bytes read and stopping when `signal` aborts. */
export async function readThrough(
  reader: SafetensorsReader,
  chunks: AsyncIterable<Uint8Array>,
  options: { signal?: AbortSignal; onProgress?: (bytes: number) => void } = {},
): Promise<void> {
  let lastReport = 0;
  for await (const chunk of chunks) {
    options.signal?.throwIfAborted();
    reader.push(chunk);
    const now = Date.now();
    if (options.onProgress && now - lastReport > 100) {
      lastReport = now;
      options.onProgress(reader.received);
    }
  }
  options.signal?.throwIfAborted();
  options.onProgress?.(reader.received);
  reader.end();
}
