// The test page's worker: runs products and whole traced passes with the WebGPU kernels (the
// GPU's own worker, src/web/gpu-worker.ts, started here as the model's worker starts it) beside
// the plain and WebAssembly kernels, with weights as arrays or held by the WebAssembly kernels,
// and reports how far apart they are. Used by tests/browser/webgpu.test.ts and bench/webgpu.ts.

/// <reference lib="webworker" />

import gpuWorkerUrl from '../../../src/web/gpu-worker.ts?worker&url';
import { bestKernels } from '../../../src/kernels/index.ts';
import { HalfArray } from '../../../src/kernels/half.ts';
import type { HeldMatrix } from '../../../src/kernels/held.ts';
import { WasmKernels } from '../../../src/kernels/wasm/wasm-kernels.ts';
import { plainKernels } from '../../../src/kernels/plain.ts';
import type { Kernels } from '../../../src/kernels/kernels.ts';
import { WebGpuError } from '../../../src/kernels/webgpu/errors.ts';
import { WebGpuKernels } from '../../../src/kernels/webgpu/webgpu-kernels.ts';
import { modelFromFiles } from '../../../src/model/checkpoint.ts';
import type { GPTConfig } from '../../../src/model/config.ts';
import type { Precision } from '../../../src/model/memory.ts';
import { GPT } from '../../../src/model/gpt.ts';
import { SeededRandom } from '../../../src/model/sampling.ts';
import { parameterShapes, weightsFromNamed, type GPTWeights } from '../../../src/model/weights.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

/** One product: out (M × N) = a (M × K) · W, W stored K × N or (transposed) N × K, as floats or halves. */
export interface ProductCase {
  M: number;
  K: number;
  N: number;
  transposed: boolean;
  half: boolean;
  bias: boolean;
  /** The weight is held by WebAssembly kernels (as floats, or as halves when `half`), as a streamed model's are. */
  held?: boolean;
}

export interface ProductResult extends ProductCase {
  /**
   * The largest |GPU − plain| over the bound 2·(K + 1)·u·(|bias| + Σₖ |aₖ·wₖ|), u = 2⁻²⁴: the
   * most two float32 sums of the same K + 1 terms can differ in any orders of addition (each is
   * within about (K + 1)·u of the exact sum, relative to the sum of the terms' sizes). Below 1 passes.
   */
  worstOfBound: number;
  maxAbs: number;
  /** Share of outputs equal to the plain kernels' bit for bit. */
  identical: number;
  /** A hash of the GPU's outputs' bits, to compare runs cut into pieces differently. */
  hash: number;
}

export interface TensorDifference {
  name: string;
  /** max |GPU − WebAssembly| over the tensor. */
  gpuVsWasm: number;
  /** max |value| over the tensor (WebAssembly's). */
  largest: number;
}

export type CheckRequest =
  | { kind: 'adapter' }
  | { kind: 'products'; cases: ProductCase[]; maxBindingBytes?: number; seed: number }
  /** A weight one row of which is larger than maxBindingBytes: prepareWeight must refuse it. */
  | { kind: 'too-large'; K: number; N: number; maxBindingBytes: number }
  /** The whole traced pass of a model on token ids, on the GPU and with WebAssembly. */
  | { kind: 'trace'; model: 'built-in' | 'gpt2-small'; ids: number[]; maxBindingBytes?: number; precision?: Precision }
  /** bench/webgpu.ts: milliseconds of traced passes on the GPU and with WebAssembly, taking turns. */
  | { kind: 'time'; model: 'built-in' | 'gpt2-small'; ids: number[]; reps: number };

export type CheckAnswer =
  | {
      ok: true;
      adapter: string;
      products?: ProductResult[];
      /** For a trace: every tensor's distance, whether both traces hold the same names in the same order with the same shapes, and the same most likely tokens. */
      tensors?: TensorDifference[];
      sameLayout?: boolean;
      sameArgmax?: boolean;
      times?: { gpu: number[]; wasm: number[] };
    }
  | { ok: false; kind: string; message: string };

const U = 2 ** -24;

/** GPU workers started for the request under way; each request ends them. */
const started: Worker[] = [];

/** Starts a GPU worker and the WebGPU kernels on it, with `fallback` for the other products. */
async function gpuKernels(fallback: Kernels, maxBindingBytes?: number): Promise<WebGpuKernels> {
  const worker = new Worker(new URL(gpuWorkerUrl, location.href), { type: 'module', name: 'gpu' });
  started.push(worker);
  // SwiftShader on a busy machine may take minutes over the largest products.
  return WebGpuKernels.start(worker, fallback, { maxBindingBytes, answerTimeoutMs: 900_000 });
}

/** A random half's bits: exponents from 2⁻¹⁴ (and some subnormals) to 2³, either sign. */
function randomHalfBits(random: SeededRandom): number {
  const sign = random.next() < 0.5 ? 0x8000 : 0;
  const subnormal = random.next() < 0.05;
  const exponent = subnormal ? 0 : 1 + Math.floor(random.next() * 17);
  return sign | (exponent << 10) | Math.floor(random.next() * 1024);
}

function randomFloats(n: number, random: SeededRandom, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (random.next() - 0.5) * 2 * scale;
  return out;
}

async function products(cases: ProductCase[], seed: number, maxBindingBytes?: number): Promise<CheckAnswer> {
  const gpu = await gpuKernels(plainKernels, maxBindingBytes);
  const random = new SeededRandom(seed);
  const results = cases.map((c): ProductResult => {
    const { M, K, N, transposed, half } = c;
    const a = randomFloats(M * K, random);
    const w = half ? new HalfArray(Uint16Array.from({ length: K * N }, () => randomHalfBits(random))) : randomFloats(K * N, random);
    const wf = w instanceof HalfArray ? w.toFloat32() : w;
    const bias = c.bias ? randomFloats(N, random) : null;
    const expected = new Float32Array(M * N);
    const got = new Float32Array(M * N);
    const weight = c.held ? hold(wf, K, N, transposed, half) : w;
    gpu.prepareWeight(weight, K, N, transposed);
    if (transposed) {
      plainKernels.matmulTransposed(expected, a, w, M, K, N);
      gpu.matmulTransposed(got, a, weight, M, K, N);
    } else {
      plainKernels.matmul(expected, a, wf, bias, M, K, N);
      gpu.matmul(got, a, weight, bias, M, K, N);
    }
    let worstOfBound = 0;
    let maxAbs = 0;
    let identical = 0;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let magnitude = bias ? Math.abs(bias[n]) : 0;
        for (let k = 0; k < K; k++) magnitude += Math.abs(a[m * K + k] * (transposed ? wf[n * K + k] : wf[k * N + n]));
        const difference = Math.abs(got[m * N + n] - expected[m * N + n]);
        if (Number.isNaN(difference)) worstOfBound = Infinity;
        if (difference === 0) identical++;
        maxAbs = Math.max(maxAbs, difference);
        worstOfBound = Math.max(worstOfBound, difference / (2 * (K + 1) * U * magnitude || Number.MIN_VALUE));
      }
    }
    let hash = 2166136261;
    for (const bits of new Uint32Array(got.buffer)) hash = Math.imul(hash ^ bits, 16777619);
    return { ...c, worstOfBound, maxAbs, identical: identical / (M * N), hash };
  });
  return { ok: true, adapter: gpu.adapter, products: results };
}

/** WebAssembly kernels that hold the test's weights, as a streamed model's are held. */
let holder: WasmKernels | null = null;

/** `w` (K × N, or N × K when transposed) written into WebAssembly kernels' memory, as floats or halves (exact for values that are halves). */
function hold(w: Float32Array, K: number, N: number, transposed: boolean, half: boolean): HeldMatrix {
  holder ??= new WasmKernels();
  const writer = holder.holdMatrix(K, N, transposed, half);
  writer.write(w, 0);
  return writer.finish();
}

/** GPT-2 small's shape (124M parameters) with random weights of GPT-2's initial sizes. */
const GPT2_SMALL: GPTConfig = { nLayer: 12, nHead: 12, nEmbd: 768, vocabSize: 50257, nPositions: 1024, layerNormEpsilon: 1e-5, tieWordEmbeddings: true };

function randomGpt2Small(): { config: GPTConfig; weights: GPTWeights } {
  const random = new SeededRandom(124);
  const tensors = new Map<string, Float32Array>();
  for (const { name, shape } of parameterShapes(GPT2_SMALL)) {
    const n = shape.reduce((x, y) => x * y, 1);
    const data = /ln_\d\.weight|ln_f\.weight/.test(name)
      ? Float32Array.from({ length: n }, () => 1 + (random.next() - 0.5) * 0.2)
      : randomFloats(n, random, name.endsWith('.bias') ? 0.02 : 0.035); // uniform ±0.035: standard deviation 0.02
    tensors.set(name, data);
  }
  return { config: GPT2_SMALL, weights: weightsFromNamed(GPT2_SMALL, (name) => tensors.get(name)!) };
}

/**
 * The built-in model as the page's worker holds it: shared rows as halves, and its blocks'
 * matrices held by `kernels` (as floats, or halves with precision 'f16').
 */
async function builtIn(kernels: Kernels, precision: Precision): Promise<ReturnType<typeof modelFromFiles>> {
  const [config, weights] = await Promise.all([
    fetch('/models/default/config.json').then((r) => r.text()),
    fetch('/models/default/model.shared-rows.safetensors').then((r) => r.arrayBuffer()),
  ]);
  return modelFromFiles(config, new Uint8Array(weights), 'models/default', { compactEmbeddings: true, kernels, precision });
}

/** The same model twice: with WebAssembly, and on the GPU (the WebAssembly kernels doing its other products). */
async function models(which: 'built-in' | 'gpt2-small', maxBindingBytes?: number, precision: Precision = 'f32'): Promise<{ wasm: GPT; gpu: GPT; gpuKernels: WebGpuKernels }> {
  const wasmKernels = bestKernels();
  const { config, weights } = which === 'built-in' ? await builtIn(wasmKernels, precision) : randomGpt2Small();
  const kernels = await gpuKernels(wasmKernels, maxBindingBytes);
  return { wasm: new GPT(config, weights, wasmKernels), gpu: new GPT(config, weights, kernels), gpuKernels: kernels };
}

async function trace(which: 'built-in' | 'gpt2-small', ids: number[], maxBindingBytes?: number, precision?: Precision): Promise<CheckAnswer> {
  const { wasm, gpu, gpuKernels } = await models(which, maxBindingBytes, precision);
  const fromGpu = gpu.trace(ids);
  const fromWasm = wasm.trace(ids);
  const tensors: TensorDifference[] = [];
  const maxDifference = (x: Float32Array, y: Float32Array) => {
    let most = 0;
    for (let i = 0; i < x.length; i++) {
      // −∞ (masked scores) equals −∞; anything else must be close.
      if (x[i] === y[i]) continue;
      const d = Math.abs(x[i] - y[i]);
      most = Number.isNaN(d) ? Infinity : Math.max(most, d);
    }
    return most;
  };
  for (const [name, reference] of fromWasm) {
    const other = fromGpu.get(name);
    if (!other || other.data.length !== reference.data.length) return { ok: false, kind: 'trace', message: `the GPU's trace has no ${name} of the same size` };
    let largest = 0;
    for (const v of reference.data) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
    tensors.push({ name, gpuVsWasm: maxDifference(other.data, reference.data), largest });
  }
  const V = wasm.config.vocabSize;
  const argmax = (probs: Float32Array) => {
    const rows: number[] = [];
    for (let r = 0; r < probs.length / V; r++) {
      let best = 0;
      for (let v = 1; v < V; v++) if (probs[r * V + v] > probs[r * V + best]) best = v;
      rows.push(best);
    }
    return rows.join();
  };
  const sameArgmax = argmax(fromGpu.get('probs')!.data) === argmax(fromWasm.get('probs')!.data);
  const layout = (trace: typeof fromGpu) => [...trace].map(([name, t]) => `${name}[${t.shape.join('×')}]`).join(' ');
  return { ok: true, adapter: gpuKernels.adapter, tensors, sameLayout: layout(fromGpu) === layout(fromWasm), sameArgmax };
}

async function time(which: 'built-in' | 'gpt2-small', ids: number[], reps: number): Promise<CheckAnswer> {
  const { wasm, gpu, gpuKernels } = await models(which);
  const times = { gpu: [] as number[], wasm: [] as number[] };
  for (let r = 0; r <= reps; r++) {
    for (const [side, model] of [['gpu', gpu], ['wasm', wasm]] as const) {
      const started = performance.now();
      model.trace(ids);
      if (r > 0) times[side].push(performance.now() - started); // the first turn warms up
    }
  }
  return { ok: true, adapter: gpuKernels.adapter, times };
}

async function answer(request: CheckRequest): Promise<CheckAnswer> {
  try {
    switch (request.kind) {
      case 'adapter':
        return { ok: true, adapter: (await gpuKernels(plainKernels)).adapter };
      case 'products':
        return await products(request.cases, request.seed, request.maxBindingBytes);
      case 'too-large': {
        const gpu = await gpuKernels(plainKernels, request.maxBindingBytes);
        gpu.prepareWeight(new Float32Array(request.K * request.N), request.K, request.N, false);
        return { ok: true, adapter: gpu.adapter };
      }
      case 'trace':
        return await trace(request.model, request.ids, request.maxBindingBytes, request.precision);
      case 'time':
        return await time(request.model, request.ids, request.reps);
    }
  } catch (error) {
    return { ok: false, kind: error instanceof WebGpuError ? error.kind : 'error', message: (error as Error).message };
  }
}

scope.onmessage = async (event: MessageEvent<{ id: number; request: CheckRequest }>) => {
  const result = await answer(event.data.request);
  for (const worker of started.splice(0)) worker.terminate();
  holder = null;
  scope.postMessage({ id: event.data.id, answer: result });
};
