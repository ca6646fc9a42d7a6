// The line between a thread that computes synchronously (the model's worker, in the middle of a
// forward pass) and the worker that owns the GPU (host.ts). The caller writes its numbers into
// shared memory, posts a short request and sleeps in Atomics.wait; the GPU's worker, whose event
// loop is free to await the GPU, writes the answer into the same memory and wakes it. So the
// forward pass stays synchronous, and the GPU looks like any other kernels to it.
// SharedArrayBuffer and Atomics.wait need a cross-origin-isolated page and a worker (not the
// page's main thread). See docs/ARCHITECTURE.md, "Computing on the GPU".

import { floatToHalfBits, HalfArray } from '../half.ts';
import { HeldMatrix } from '../held.ts';
import { NOT_ISOLATED, WebGpuError } from './errors.ts';
import { planPieces, rowsPerBlock, type WeightShape } from './pieces.ts';

// Slots of the control block (Int32).
/** The sequence number of the last request answered. */
export const DONE = 0;
/** 0 when that answer is a success, else the index in FAILURE_KINDS + 1; the text block says why. */
export const FAILED = 1;
/** 1 once the device is lost (the text block says why). */
export const LOST = 2;
/** Bytes of UTF-8 in the text block. */
export const TEXT_LENGTH = 3;
export const CONTROL_BYTES = 16;
const TEXT_BYTES = 1024;

export const FAILURE_KINDS = ['unavailable', 'limit', 'lost', 'failed'] as const satisfies readonly WebGpuError['kind'][];

/** What the caller asks of the GPU's worker. Bulk numbers travel in the shared data block. */
export type HostCall =
  | { op: 'weight'; id: number; shape: WeightShape }
  /** `elements` numbers at the start of the data block go into piece `piece` of weight `id` at `byteOffset`. */
  | { op: 'write'; id: number; piece: number; byteOffset: number; elements: number; half: boolean }
  | { op: 'bias'; id: number; length: number }
  /** a (M × K) at the start of the data block; out (M × N) is written at `outOffset` bytes. */
  | { op: 'product'; id: number; bias: number | null; M: number; outOffset: number };

/** A call as posted: its sequence number and the current data block with it. */
export type HostRequest = HostCall & { seq: number; data: SharedArrayBuffer };

/** The first message to the GPU's worker; it answers with a HostReady. */
export interface HostStart {
  op: 'start';
  control: SharedArrayBuffer;
  text: SharedArrayBuffer;
  /** Cut weights into pieces of at most this many bytes (tests cut small matrices). */
  maxBindingBytes?: number;
}

export type HostReady =
  | { op: 'ready'; adapter: string; maxBindingBytes: number }
  | { op: 'failed'; kind: WebGpuError['kind']; message: string };

/** The GPU's Web Worker: where requests go, and where the start's answer (or the worker's failure to start) comes from. */
export interface HostPort {
  postMessage(message: HostStart | HostRequest): void;
  addEventListener(type: 'message' | 'error', listener: (event: MessageEvent | ErrorEvent) => void): void;
  removeEventListener(type: 'message' | 'error', listener: (event: MessageEvent | ErrorEvent) => void): void;
}

/** Why this thread cannot wait for the GPU (no shared memory without cross-origin isolation), or null. */
export function sharedMemoryMissing(): string | null {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return typeof SharedArrayBuffer !== 'function' || isolated === false ? NOT_ISOLATED : null;
}

/**
 * Elements [from, to) of a held matrix, in its stored row-major order, into `into` (floats, or
 * half bits), read back from the kernels that hold it a row at a time.
 */
export function readHeld(weight: HeldMatrix, from: number, to: number, into: Float32Array | Uint16Array): void {
  const { cols } = weight;
  const row = new Float32Array(cols);
  for (let r = Math.floor(from / cols); r * cols < to; r++) {
    weight.row(r, row);
    const start = Math.max(from, r * cols);
    const end = Math.min(to, (r + 1) * cols);
    if (into instanceof Float32Array) into.set(row.subarray(start - r * cols, end - r * cols), start - from);
    else for (let i = start; i < end; i++) into[i - from] = floatToHalfBits(row[i - r * cols]);
  }
}

/** The shared data block grows up to this size; larger products go over in blocks of rows. */
const DATA_LIMIT_BYTES = 64 * 2 ** 20;
/** Weights go over in chunks of this size. */
const CHUNK_BYTES = 16 * 2 ** 20;

/** Options of GpuLink.start and WebGpuKernels.start. */
export interface LinkOptions {
  /** Cut weights into pieces of at most this many bytes (tests cut small matrices). */
  maxBindingBytes?: number;
  /**
   * How long one request may take before the GPU counts as lost (a crashed worker never
   * answers); default 60 s. A real GPU answers the largest product in far less; tests on
   * SwiftShader, a GPU emulated on a busy CPU, give it longer.
   */
  answerTimeoutMs?: number;
}

const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

export class GpuLink {
  private seq = 0;
  /** Set once the GPU is lost or stopped answering: every later request fails at once. */
  private lostReason: string | null = null;
  private data = new SharedArrayBuffer(2 ** 20);
  private readonly control: Int32Array;
  private readonly text: Uint8Array;

  private constructor(
    private readonly port: HostPort,
    blocks: { control: SharedArrayBuffer; text: SharedArrayBuffer },
    readonly adapter: string,
    readonly maxBindingBytes: number,
    private readonly answerTimeoutMs: number,
  ) {
    this.control = new Int32Array(blocks.control);
    this.text = new Uint8Array(blocks.text);
  }

  /** Starts the GPU's worker on `port` and waits (asynchronously) until it has a device. */
  static async start(port: HostPort, options: LinkOptions = {}): Promise<GpuLink> {
    const missing = sharedMemoryMissing();
    if (missing) throw new WebGpuError('unavailable', missing);
    const blocks = { control: new SharedArrayBuffer(CONTROL_BYTES), text: new SharedArrayBuffer(TEXT_BYTES) };
    const ready = await new Promise<HostReady>((resolve) => {
      const listen = (event: MessageEvent | ErrorEvent) => {
        const message: HostReady =
          event.type === 'message'
            ? (event as MessageEvent).data
            : { op: 'failed', kind: 'unavailable', message: `the GPU’s worker did not start (${(event as ErrorEvent).message || 'its script could not be run'})` };
        if (message.op !== 'ready' && message.op !== 'failed') return;
        port.removeEventListener('message', listen);
        port.removeEventListener('error', listen);
        resolve(message);
      };
      port.addEventListener('message', listen);
      port.addEventListener('error', listen);
      port.postMessage({ op: 'start', ...blocks, maxBindingBytes: options.maxBindingBytes });
    });
    if (ready.op === 'failed') throw new WebGpuError(ready.kind, ready.message);
    return new GpuLink(port, blocks, ready.adapter, ready.maxBindingBytes, options.answerTimeoutMs ?? 60_000);
  }

  /**
   * Sends a weight (K × N, or N × K stored, as `shape` says) to the GPU, a chunk at a time: as
   * floats, or as halves when `shape.half` (a HalfArray's own bits; a held matrix's halves,
   * widened as they are read back and narrowed again: exactly, except that a weight below
   * 6 × 10⁻⁵, which the WebAssembly kernels keep to 11 bits with their HALF_SCALE, becomes a
   * subnormal IEEE half here, a multiple of 6 × 10⁻⁸).
   */
  addWeight(id: number, shape: WeightShape, weight: Float32Array | HalfArray | HeldMatrix): void {
    this.call({ op: 'weight', id, shape });
    const { half } = shape;
    const elementBytes = half ? 2 : 4;
    // Halves go over in even counts, so every write starts on a 32-bit word.
    const chunk = Math.floor(CHUNK_BYTES / elementBytes / 2) * 2;
    planPieces(shape, this.maxBindingBytes).forEach((piece, index) => {
      const first = piece.start * shape.cols;
      const end = piece.end * shape.cols;
      for (let from = first; from < end; from += chunk) {
        const to = Math.min(end, from + chunk);
        const padded = half ? alignUp(to - from, 2) : to - from;
        this.reserve(padded * elementBytes);
        const into = half ? new Uint16Array(this.data, 0, padded) : new Float32Array(this.data, 0, padded);
        into.fill(0, to - from);
        if (weight instanceof HeldMatrix) readHeld(weight, from, to, into);
        else if (weight instanceof HalfArray) into.set(weight.bits.subarray(from, to));
        else into.set(weight.subarray(from, to));
        this.call({ op: 'write', id, piece: index, byteOffset: (from - first) * elementBytes, elements: padded, half });
      }
    });
  }

  addBias(id: number, bias: Float32Array): void {
    this.reserve(bias.length * 4);
    new Float32Array(this.data, 0, bias.length).set(bias);
    this.call({ op: 'bias', id, length: bias.length });
  }

  /** out (M × N) = a (M × K) · weight `id` (+ bias `bias`), in blocks of rows that fit the data block and the GPU's bindings. */
  product(id: number, bias: number | null, a: Float32Array, out: Float32Array, M: number, K: number, N: number): void {
    const rows = Math.max(1, Math.min(rowsPerBlock(K, N, this.maxBindingBytes), Math.floor(DATA_LIMIT_BYTES / (4 * (K + N)))));
    for (let m0 = 0; m0 < M; m0 += rows) {
      const count = Math.min(rows, M - m0);
      const outOffset = alignUp(count * K * 4, 16);
      this.reserve(outOffset + count * N * 4);
      new Float32Array(this.data, 0, count * K).set(a.subarray(m0 * K, (m0 + count) * K));
      this.call({ op: 'product', id, bias, M: count, outOffset });
      out.set(new Float32Array(this.data, outOffset, count * N), m0 * N);
    }
  }

  /** A data block of at least `bytes`; a new one goes to the GPU's worker with the next request. */
  private reserve(bytes: number): void {
    if (this.data.byteLength < bytes) this.data = new SharedArrayBuffer(alignUp(Math.max(bytes, 2 * this.data.byteLength), 2 ** 20));
  }

  /** Posts a request and sleeps until the GPU's worker answers it; throws its failure as a WebGpuError. */
  private call(request: HostCall): void {
    const seq = ++this.seq;
    this.throwIfLost();
    this.port.postMessage({ ...request, seq, data: this.data });
    const deadline = performance.now() + this.answerTimeoutMs;
    while (Atomics.load(this.control, DONE) !== seq) {
      this.throwIfLost();
      const left = deadline - performance.now();
      if (left <= 0) this.lostReason = `the GPU did not answer within ${this.answerTimeoutMs / 1000} s`;
      else Atomics.wait(this.control, DONE, seq - 1, left);
    }
    const failed = Atomics.load(this.control, FAILED);
    if (failed) throw new WebGpuError(FAILURE_KINDS[failed - 1] ?? 'failed', this.message());
  }

  private throwIfLost(): void {
    if (this.lostReason === null && Atomics.load(this.control, LOST)) this.lostReason = this.message();
    if (this.lostReason !== null) throw new WebGpuError('lost', this.lostReason);
  }

  private message(): string {
    const length = Atomics.load(this.control, TEXT_LENGTH);
    return new TextDecoder().decode(this.text.slice(0, length));
  }
}
