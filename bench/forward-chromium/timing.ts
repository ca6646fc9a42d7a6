// What bench/forward-chromium.ts times, shared by its Node side and its page's Web Worker:
// a GPT-2-small-shaped model with seeded random weights (made in each runtime, so nothing large
// crosses between them) and the time of one traced forward pass on a fixed prompt.

import { GPT2_SMALL } from '../../src/model/config.ts';
import { GPT } from '../../src/model/gpt.ts';
import { SeededRandom } from '../../src/model/sampling.ts';
import { parameterShapes, weightsFromNamed } from '../../src/model/weights.ts';
import { bestKernels } from '../../src/kernels/index.ts';

export const SEED = 6;
/** The 16-token prompt both sides run (arbitrary ids below GPT-2's vocabulary size). */
export const PROMPT_IDS: readonly number[] = [464, 11, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 383, 318, 257, 1332, 50256];
/** How many logits of the last row each side reports, to check both computed the same thing. */
export const LOGITS_SHOWN = 100;

/** What a side reports once its model is made and warmed up. */
export interface BenchReady {
  /** The arrays one traced pass returns: how many, and their total size in bytes. */
  traceArrays: number;
  traceBytes: number;
  kernels: string;
  /** Time to make the random weights, for information. */
  setupMs: number;
  /** The first LOGITS_SHOWN logits of the last position. */
  lastLogits: number[];
}

/** A GPT-2-small-shaped model; every parameter uniform in ±0.05 from SeededRandom(seed). */
export function randomGpt2Small(seed: number): GPT {
  const random = new SeededRandom(seed);
  const arrays = new Map<string, Float32Array>();
  for (const { name, shape } of parameterShapes(GPT2_SMALL)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (random.next() - 0.5) * 0.1;
    arrays.set(name, data);
  }
  return new GPT(GPT2_SMALL, weightsFromNamed(GPT2_SMALL, (name) => arrays.get(name)!), bestKernels());
}

/** One side of the benchmark: the model, made and warmed up once, then timed pass by pass. */
export class ForwardBench {
  private readonly model: GPT;
  readonly ready: BenchReady;
  /** The element count of each array a traced pass returns. */
  private readonly traceLengths: number[];

  constructor() {
    const t0 = performance.now();
    this.model = randomGpt2Small(SEED);
    const setupMs = performance.now() - t0;
    // Warm-up: the WebAssembly kernels keep a weight resident (packed once) from its second use
    // on, so the first two passes include packing every matrix; neither is timed.
    this.model.trace(PROMPT_IDS);
    const trace = this.model.trace(PROMPT_IDS);
    const logits = trace.get('logits')!; // T × V
    const V = GPT2_SMALL.vocabSize;
    const lastRow = (PROMPT_IDS.length - 1) * V;
    this.traceLengths = [...trace.values()].map((t) => t.data.length);
    this.ready = {
      kernels: this.model.kernels.name,
      setupMs,
      lastLogits: Array.from(logits.data.subarray(lastRow, lastRow + LOGITS_SHOWN)),
      traceArrays: this.traceLengths.length,
      traceBytes: 4 * this.traceLengths.reduce((a, b) => a + b, 0),
    };
  }

  /**
   * Milliseconds to allocate fresh arrays of the sizes a traced pass returns and write one value
   * per 4 KB page of each: what the runtime's memory costs the pass before any arithmetic.
   */
  freshMemoryOnce(): number {
    const start = performance.now();
    for (const length of this.traceLengths) {
      const array = new Float32Array(length);
      for (let i = 0; i < length; i += 1024) array[i] = 1;
    }
    return performance.now() - start;
  }

  /** Milliseconds of one traced forward pass of the prompt. */
  timeOnce(): number {
    const start = performance.now();
    this.model.trace(PROMPT_IDS);
    return performance.now() - start;
  }
}
