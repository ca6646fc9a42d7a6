// Two threads on one product: the kernels live in a *shared* WebAssembly memory, and a helper
// thread (a Node worker or a Web Worker) running the same module computes half of the output
// panels while the calling thread computes the other half. They meet through Atomics on a
// small shared control block. Platform-neutral: the Node and browser launchers live elsewhere.

import { type Job, PANEL, WasmKernels, type WasmKernelOptions } from '../wasm/wasm-kernels.ts';
import { WASM32_MAX_BYTES } from '../wasm/memory.ts';

// Layout of the control block (Int32 slots).
const SEQ = 0; // bumped by the caller for each job
const DONE = 1; // set to SEQ by the helper when its half is written
const READY = 2; // 1 once the helper is waiting for jobs
const STOP = 3; // 1 tells the helper to leave its loop
const OP = 4; // which step the job is: one of the codes below
const ARGS = 5; // its arguments follow (gemm has the most, 11)
const CONTROL_BYTES = 128; // 32 slots, more than ARGS + 11

// The steps a helper can take half of.
const GEMM = 0;
const GELU = 1;
const SOFTMAX = 2;

/**
 * Pages in a shared memory's reserved range: all a 32-bit memory can address, as for one thread,
 * so GPT-2 XL kept as halves fits. A shared memory cannot move when it grows, so the browser
 * reserves the whole range up front (address space only; pages are given as the memory grows).
 */
const SHARED_MAX_PAGES = WASM32_MAX_BYTES / 65536;

/** How long the helper polls for the next job before it sleeps, in milliseconds. */
const HELPER_SPIN_MS = 2;

/**
 * JavaScript source of the helper's loop, as a function of (exports, control): wait for a new
 * SEQ, run the step OP names on the arguments, publish DONE. Kept as text so the same code starts in a Node
 * worker (eval) or a Web Worker (Blob URL) without a build step.
 */
export const HELPER_LOOP = `function helperLoop(fn, ctl) {
  let seen = 0;
  Atomics.store(ctl, ${READY}, 1);
  for (;;) {
    // Products come in bursts (one forward pass makes dozens), so poll for a moment before
    // sleeping: waking a sleeping thread costs more than a small product takes.
    const until = performance.now() + ${HELPER_SPIN_MS};
    while (Atomics.load(ctl, ${SEQ}) === seen && performance.now() < until);
    Atomics.wait(ctl, ${SEQ}, seen);
    if (Atomics.load(ctl, ${STOP})) return;
    seen = Atomics.load(ctl, ${SEQ});
    const g = (i) => ctl[${ARGS} + i] >>> 0;
    const op = ctl[${OP}];
    if (op === ${GEMM}) fn.gemm(g(0), g(1), g(2), g(3), g(4), g(5), g(6), g(7), g(8), g(9), g(10));
    else if (op === ${GELU}) fn.gelu(g(0), g(1), g(2));
    else fn.softmaxRows(g(0), g(1), g(2), g(3));
    Atomics.store(ctl, ${DONE}, seen);
    Atomics.notify(ctl, ${DONE});
  }
}`;

/** What a launcher hands to its helper thread. */
export interface HelperStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: Int32Array;
}

export interface ThreadedOptions extends WasmKernelOptions {
  /** Products below this many floating-point operations stay on one thread (default 1e6). */
  minParallelFlops?: number;
  /** GELU and softmax over fewer values than this stay on one thread (default 32,768). */
  minParallelValues?: number;
}

/**
 * Models of at least this many parameters compute on two threads where they may: in the page
 * where it is cross-origin isolated, and on the command line. Measured in headless Chromium on
 * two cores (bench/tab-threads.ts, three or four rounds each), a prompt change took, with a
 * helper thread against one thread: 0.63–0.68 of the time for GPT-2 small (124 million
 * parameters), 0.63–0.72 for 81 million, 0.79–0.96 for 38 million; but 0.97–1.18 for 23 million
 * and 1.07–1.25 for the built-in model (11 million), whose products are too small to pay for
 * waking the helper while the page draws on the other core.
 */
export const TWO_THREADS_FROM_PARAMETERS = 30e6;

/** How long the caller waits for the helper's half before giving up on it. */
const HELPER_TIMEOUT_MS = 30_000;

export class ThreadedWasmKernels extends WasmKernels {
  readonly control: Int32Array;
  private readonly minFlops: number;
  private readonly minValues: number;
  private seq = 0;
  private stopped = false;

  /** Creates the shared memory and control block; pass `start` to a launcher to begin the helper. */
  constructor(options: ThreadedOptions = {}) {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: SHARED_MAX_PAGES, shared: true });
    super(options, memory, SHARED_MAX_PAGES * 65536);
    this.control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
    this.minFlops = options.minParallelFlops ?? 1e6;
    this.minValues = options.minParallelValues ?? 1 << 15;
  }

  /** The objects the helper thread needs: it instantiates `module` on `memory` and runs HELPER_LOOP. */
  get start(): HelperStart {
    return { module: this.module, memory: this.mem.memory, control: this.control };
  }

  /** "wasm-simd-2threads" or "wasm-relaxed-simd-2threads"; without "-2threads" while no helper takes jobs. */
  override get name(): string {
    return this.helperReady ? `${super.name}-2threads` : super.name;
  }

  /** True once the helper thread has started and is taking jobs. */
  get helperReady(): boolean {
    return !this.stopped && Atomics.load(this.control, READY) === 1;
  }

  /**
   * Resolves once the helper takes jobs (true), or after `timeoutMs` without it (false). A
   * helper starts only while the thread that made it is free, so a caller busy since then should
   * await this before the products it wants split.
   */
  async started(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!this.helperReady && !this.stopped && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
    return this.helperReady;
  }

  /** Asks the helper to leave its loop; later products run on the calling thread alone. */
  stop(): void {
    this.stopped = true;
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, SEQ, 1);
    Atomics.notify(this.control, SEQ);
  }

  protected override compute(j: Job): void {
    const flops = 2 * j.M * j.K * j.P * PANEL;
    if (j.P < 2 || flops < this.minFlops || !this.helperReady) {
      super.compute(j);
      return;
    }
    // The helper takes the upper panels; the caller the lower ones.
    const split = j.P >> 1;
    const seq = this.hand(GEMM, [j.outPtr, j.aPtr, j.packedPtr, j.biasPtr, j.M, j.K, j.P, split, j.P, j.mode, j.half]);
    this.fn.gemm(j.outPtr, j.aPtr, j.packedPtr, j.biasPtr, j.M, j.K, j.P, 0, split, j.mode, j.half);
    this.waitForHelper(seq);
  }

  protected override geluAt(at: number, n: number): void {
    if (n < this.minValues || !this.helperReady) {
      super.geluAt(at, n);
      return;
    }
    // Split at a multiple of 8, so the caller's part has no scalar tail: each value is computed as on one thread.
    const first = (n >> 4) << 3;
    const seq = this.hand(GELU, [at + first * 4, at + first * 4, n - first]);
    this.fn.gelu(at, at, first);
    this.waitForHelper(seq);
  }

  protected override softmaxAt(at: number, rows: number, n: number): void {
    if (rows < 2 || rows * n < this.minValues || !this.helperReady) {
      super.softmaxAt(at, rows, n);
      return;
    }
    const first = rows >> 1;
    const seq = this.hand(SOFTMAX, [at + first * n * 4, at + first * n * 4, rows - first, n]);
    this.fn.softmaxRows(at, at, first, n);
    this.waitForHelper(seq);
  }

  /** Gives the helper a job (`op` on `args`); returns its number, for waitForHelper. */
  private hand(op: number, args: number[]): number {
    const ctl = this.control;
    ctl[OP] = op;
    for (let i = 0; i < args.length; i++) ctl[ARGS + i] = args[i] | 0;
    const seq = ++this.seq;
    Atomics.store(ctl, SEQ, seq);
    Atomics.notify(ctl, SEQ);
    return seq;
  }

  private waitForHelper(seq: number): void {
    const ctl = this.control;
    // A short spin first: the helper's half usually finishes about when ours does.
    for (let spin = 0; spin < 2000; spin++) if (Atomics.load(ctl, DONE) === seq) return;
    const deadline = Date.now() + HELPER_TIMEOUT_MS;
    for (;;) {
      const seen = Atomics.load(ctl, DONE);
      if (seen === seq) return;
      if (Date.now() > deadline) {
        this.stopped = true;
        throw new Error('WebAssembly kernels: the helper thread stopped answering; create the kernels again, or use bestKernels() without threads.');
      }
      Atomics.wait(ctl, DONE, seen, 100);
    }
  }
}
