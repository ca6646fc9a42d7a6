// How much memory a GPT-2 needs: in its files (the fewest bytes any file can store a config's
// weights in, to refuse a config that does not belong to its weights before they are read or
// downloaded), and in a tab or process (the plan: its weights as the kernels keep them, room for
// their products, and the trace of a prompt), to refuse a model that cannot fit before any of
// its weights are read, with a message naming its size and the limit.

import { FIELD_NAMES, ModelError, parameterCount, type GPTConfig } from './config.ts';
import { describeGpt2, type ModelConfig } from './architecture.ts';
import { llamaParameterCount, type LlamaConfig } from './llama-config.ts';
import type { Kernels } from '../kernels/kernels.ts';
import { PANEL } from '../kernels/wasm/wasm-kernels.ts';

/** Fewest bytes any file can store this config's weights in: 2 bytes a number, the embeddings as compact as the shared-row layout allows. */
export function minimumWeightBytes(config: GPTConfig): number {
  const { nEmbd: C, vocabSize: V } = config;
  const tableParameters = V * C * (config.tieWordEmbeddings ? 1 : 2);
  const others = parameterCount({ ...config, tieWordEmbeddings: true }) - V * C;
  // A shared-row table may be a single row that every token shares.
  const table = Math.min(2 * tableParameters, 2 * C + (config.tieWordEmbeddings ? 0 : 2 * V * C));
  return 2 * others + table;
}

const SIZE_FIELDS = ['nLayer', 'nEmbd', 'vocabSize', 'nPositions'] as const;

/**
 * Throws ModelError when `bytes` (a weights file, or its data section) cannot hold the weights
 * `config` calls for, naming the field that asks for most of them: checked before anything is
 * sized from the config, so a wrong config.json is refused at once rather than after the file.
 */
export function checkWeightsFit(config: GPTConfig, bytes: number, weightsFile: string, configFile: string): void {
  const needed = minimumWeightBytes(config);
  if (bytes >= needed) return;
  // Name the field furthest out of line: the one that would have to shrink by the largest
  // factor for the weights to fit, were it the only one wrong.
  let culprit: (typeof SIZE_FIELDS)[number] | null = null;
  let worst = 2; // a field less than twice too large is not clearly the one at fault
  for (const key of SIZE_FIELDS) {
    const fits = (value: number) => minimumWeightBytes({ ...config, [key]: value }) <= bytes;
    if (!fits(1)) continue;
    let low = 1; // fits
    let high = config[key]; // does not
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (fits(mid)) low = mid;
      else high = mid;
    }
    if (config[key] / low > worst) [culprit, worst] = [key, config[key] / low];
  }
  const blame = culprit ? `, mostly for its ${FIELD_NAMES[culprit]} of ${config[culprit].toLocaleString('en-US')}` : '';
  const all = [...SIZE_FIELDS.map((k) => `${FIELD_NAMES[k]}=${config[k]}`), ...(config.tieWordEmbeddings ? [] : ['tie_word_embeddings=false'])].join(', ');
  throw new ModelError(
    `${weightsFile} holds ${showBytes(bytes)}, but ${configFile} needs at least ${showBytes(needed)} ` +
      `for its ${parameterCount(config).toLocaleString('en-US')} parameters${blame} (${all}); ` +
      'this config.json belongs to another model or the file is incomplete: use the config.json that came with the weights, or fetch the weights again',
  );
}

/** A byte count for people: "3.1 GB (3,096,165,928 bytes)". */
function showBytes(n: number): string {
  if (n < 1e3) return `${n} bytes`;
  const [unit, size] = n >= 1e12 ? ['TB', 1e12] : n >= 1e9 ? ['GB', 1e9] : n >= 1e6 ? ['MB', 1e6] : ['kB', 1e3];
  return `${(n / size).toFixed(1)} ${unit} (${n.toLocaleString('en-US')} bytes)`;
}

/** The prompt length a plan budgets a trace for: the article's prompts are a handful of tokens. */
const TYPICAL_PROMPT_TOKENS = 32;

/** How the kernels keep a model's large matrices: 32-bit floats, or 16-bit halves. */
export type Precision = 'f32' | 'f16';

export interface MemoryPlan {
  precision: Precision;
  /** The large matrices (the blocks' linear weights and the output head) as the kernels keep them. */
  heldBytes: number;
  /** Room the kernels need beside them: packing a matrix while loading, and a pass over the full context. */
  scratchBytes: number;
  /** What the kernels' memory must hold: heldBytes + scratchBytes. */
  kernelBytes: number;
  /** The small tensors kept as arrays: position embeddings, biases, layer norms (and an untied table). */
  arrayBytes: number;
  /** One explanation at TYPICAL_PROMPT_TOKENS: every traced number, and the generation's cache. */
  traceBytes: number;
  /** kernelBytes + arrayBytes + traceBytes. */
  totalBytes: number;
  /** The most the kernels' memory can hold (4 GiB for 32-bit WebAssembly; Infinity for kernels that hold nothing). */
  limit: number;
  fits: boolean;
}

/** Elements of a K × N matrix packed in whole panels of PANEL columns, as the kernels keep it. */
const packed = (K: number, N: number): number => K * Math.ceil(N / PANEL) * PANEL;

/**
 * Bytes of everything one explanation of T tokens allocates: the trace (every intermediate,
 * with the T × V logits and probabilities) and the KV cache of the 8 tokens it generates. A
 * GPT-2 config, or any model's description (the Llama family's RoPE-turned queries and keys,
 * its four T × I arrays of the gated MLP, its narrower keys and values).
 */
export function explanationBytes(config: GPTConfig | ModelConfig, T: number, generated = 8): number {
  const model = 'family' in config ? config : describeGpt2(config);
  const { nLayer: L, nEmbd: C, nHead, vocabSize: V, mlpWidth: I } = model;
  const kvWidth = model.nKvHead * model.headDim;
  // Per block: 14 arrays of T × C (ln, q, k, v, heads, concat, projections, residuals), the MLP's
  // T × I arrays (two in GPT-2, four gated), scores and weights; RoPE adds the turned q and k.
  const rope = model.positions === 'rope' ? T * (nHead * model.headDim + kvWidth) : 0;
  const perBlock = 14 * T * C + (model.mlp === 'swiglu' ? 4 : 2) * T * I + 2 * nHead * T * T + rope;
  const trace = 4 * T * C + L * perBlock + 2 * T * V + V;
  const cache = 2 * L * Math.min(T + generated, model.nPositions) * kvWidth;
  return 4 * (trace + cache);
}

/**
 * The most an explanation may allocate in the page: GPT-2 small's full context of 1,024 tokens
 * needs 2.54 GB, so every prompt it can read stays within it; larger models take fewer tokens
 * (medium 572, large 371, XL 253) rather than take a tab past what a machine can give it.
 */
export const EXPLANATION_BUDGET_BYTES = 2.6e9;

/** The most prompt tokens whose explanation fits in `budget` bytes (at most the context). */
export function tokensWithin(config: GPTConfig | ModelConfig, budget: number): number {
  let low = 0;
  let high = config.nPositions;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (explanationBytes(config, mid) <= budget) low = mid;
    else high = mid - 1;
  }
  return low;
}

/**
 * The plan for a model, if its large matrices are held by kernels whose memory holds at most
 * `limit` bytes (`holds` false: kernels that keep nothing, so every weight is a float array).
 * `precision` 'auto' keeps floats when they fit, else halves.
 */
export function memoryPlan(config: GPTConfig, limit: number, holds: boolean, precision: Precision | 'auto' = 'auto'): MemoryPlan {
  if (precision === 'auto') {
    const floats = memoryPlan(config, limit, holds, 'f32');
    return floats.fits || !holds ? floats : memoryPlan(config, limit, holds, 'f16');
  }
  const { nLayer: L, nEmbd: C, vocabSize: V, nPositions: P } = config;
  const bytes = precision === 'f32' ? 4 : 2;
  const heads = config.tieWordEmbeddings ? 1 : 2;
  const matrices = L * (packed(C, 3 * C) + packed(C, C) + packed(C, 4 * C) + packed(4 * C, C)) + packed(C, V);
  const small = P * C + L * (4 * C + 9 * C) + 2 * C; // wpe; per block two layer norms and four biases; ln_f
  const heldBytes = holds ? matrices * bytes : 0;
  const arrayBytes = holds ? 4 * small + (heads - 1) * V * C * bytes : 4 * parameterCount(config);
  // Packing the widest matrix (C × 4C as floats, and once more to narrow it), or a full-context pass's head product.
  const loading = 4 * C * 4 * C * (precision === 'f16' ? 2 : 1);
  const pass = 4 * (P * C + packed(P, V) + packed(1, V) + P * 4 * C);
  const scratchBytes = holds ? Math.max(loading, pass) + (1 << 20) : 0;
  const kernelBytes = heldBytes + scratchBytes;
  const traceBytes = explanationBytes(config, Math.min(TYPICAL_PROMPT_TOKENS, P));
  return {
    precision, heldBytes, scratchBytes, kernelBytes, arrayBytes, traceBytes,
    totalBytes: kernelBytes + arrayBytes + traceBytes,
    limit,
    fits: kernelBytes <= limit,
  };
}

/** A rounded size: "3.1 GB", "205 MB", "12 kB". */
export const roughSize = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : n >= 1e6 ? `${Math.round(n / 1e6)} MB` : `${Math.max(1, Math.round(n / 1e3))} kB`);

/** One sentence for the reader: what the model needs, and whether it fits. */
export function describePlan(plan: MemoryPlan, parameters: number): string {
  const kept = plan.precision === 'f32' ? '32-bit floats' : '16-bit halves';
  const needs = `needs about ${roughSize(plan.totalBytes)} of memory: its ${parameters.toLocaleString('en-US')} parameters as ${kept} (${roughSize(plan.heldBytes + plan.arrayBytes)}), ` +
    `room for their products (${roughSize(plan.scratchBytes)}) and the trace of a ${TYPICAL_PROMPT_TOKENS}-token prompt (${roughSize(plan.traceBytes)})`;
  if (!Number.isFinite(plan.limit)) return `${needs}.`;
  const limit = `WebAssembly memory, which holds at most ${showBytes(plan.limit)}`;
  return plan.fits
    ? `${needs}; ${roughSize(plan.kernelBytes)} of it in ${limit}.`
    : `${needs}, ${showBytes(plan.kernelBytes)} of it in ${limit}${plan.precision === 'f16' ? ', even with its weights kept as 16-bit halves' : ''}. It cannot run here: pick a smaller model.`;
}

/**
 * Plans `config` on `kernels` before any weight is read: ModelError naming the sizes and the
 * limit when it cannot fit, else the kernels' memory is grown to the plan's size at once (so an
 * engine that will not give that much refuses now, not halfway through the file).
 */
export function reserveFor(config: GPTConfig, kernels: Kernels, name: string, precision: Precision | 'auto' = 'auto'): MemoryPlan {
  const plan = memoryPlan(config, kernels.memoryLimit ?? Infinity, kernels.holdMatrix !== undefined, precision);
  if (!plan.fits) throw new ModelError(`${name} ${describePlan(plan, parameterCount(config))}`);
  try {
    kernels.reserve?.(plan.kernelBytes);
  } catch (error) {
    throw new ModelError(`${name} ${describePlan(plan, parameterCount(config)).replace(/\.$/, '')}, but ${(error as Error).message}`);
  }
  return plan;
}

/**
 * What a Llama-family model keeps in its kernels' memory: fast kernels lay out each weight
 * matrix for products there as the model is built (the embeddings and norms aside), as floats or
 * as 16-bit halves.
 */
export function llamaKernelBytes(config: LlamaConfig, precision: Precision = 'f32'): number {
  return (precision === 'f16' ? 2 : 4) * llamaParameterCount(config);
}

/**
 * How a Llama-family model keeps its matrices in the kernels' memory (`limit` bytes): as floats
 * where they fit; else, where `halves` is allowed (the command line: the page would also hold the
 * floats in JavaScript), as 16-bit halves, which round each weight to about 3 significant digits
 * as GPT-2 XL's are; else it is refused before any weight is read, naming both sizes.
 */
export function llamaPrecision(config: LlamaConfig, limit: number, name: string, halves: boolean): Precision {
  if (llamaKernelBytes(config, 'f32') <= limit) return 'f32';
  if (halves && llamaKernelBytes(config, 'f16') <= limit) return 'f16';
  const parameters = llamaParameterCount(config);
  const kept = halves ? 'even as 16-bit halves' : 'as 32-bit floats';
  const needed = llamaKernelBytes(config, halves ? 'f16' : 'f32');
  const largest = Math.floor(limit / (halves ? 2 : 4) / 1e6);
  throw new ModelError(
    `${name} needs about ${roughSize(needed)} of memory: its ${parameters.toLocaleString('en-US')} parameters ${kept}, ` +
      `and the memory the kernels compute in holds at most ${roughSize(limit)} here. ` +
      (halves ? '' : 'The page keeps Llama-family models as floats (the command line can keep them as halves). ') +
      `Pick one of at most about ${largest.toLocaleString('en-US')}M parameters.`,
  );
}
