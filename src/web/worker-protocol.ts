// Messages between the page and the model's Web Worker. The worker owns the model and the
// tokenizer; the page only ever sees Explanations (numbers the model computed), the formulas of
// the values a reader inspects (computed from the weights), and progress.
// An Explanation crosses the boundary without its `piece` function; the page rebuilds it from
// the pieces its scenes draw (the prompt's, the generated ones, and each scene's labelledIds,
// sent with it) and the table of every token's display piece, which the worker sends in slices
// once the reader pauses.

import type { ModelConfig } from '../model/architecture.ts';
import type { Explanation, GenerationStep, SamplingSettings } from '../model/explanation.ts';
import type { Formula, FormulaQuery } from '../model/formula.ts';

/** Where a model comes from. URLs are absolute; files are what the reader picked. */
export type ModelSource =
  | { kind: 'url'; name: string; configUrl: string; weightsUrl: string; metaUrl: string | null }
  | { kind: 'hub'; repo: string; hubBase: string }
  /** `name`: what the scenes call the model (default: the picked folder's name, or "the model you picked"). */
  | { kind: 'files'; files: File[]; name?: string };

/**
 * What the worker is handed: files at plain URLs (the built-in model) arrive as bytes the page
 * fetched itself, because the page can start fetching at once while the worker is still starting.
 */
export type WorkerModelSource =
  | Exclude<ModelSource, { kind: 'url' }>
  | { kind: 'bytes'; name: string; configText: string; weights: Uint8Array; metaText: string | null };

export interface ExplainRequest {
  prompt: string;
  layer: number;
  head: number;
  sampling: SamplingSettings;
  /** 0 for the model's full context. */
  window: number;
  generateTokens: number;
  /** The position the logit lens reads; null for the last token (a position past the end reads the last). */
  lensPosition: number | null;
  /** A second prompt to set beside this one (Explanation.compare); null for none. */
  compare: string | null;
}

/** Whether the products could run on the GPU here: the adapter's name, or null and why not (for the reader). */
export interface GpuProbe {
  adapter: string | null;
  reason: string;
}

/** Where the products with the weights run: on the GPU (its adapter's name), or (null) with WebAssembly. */
export interface ComputeState {
  gpu: string | null;
  /** Why the GPU is not, or no longer, used (for the reader); empty when nothing went wrong. */
  note: string;
}

/** One model of the built-in model's training history: a snapshot, or the built-in model itself. */
export interface HistoryModelSource {
  /** Training steps taken (0: the random start). */
  step: number;
  /** The name scenes and the status line give it. */
  name: string;
  configUrl: string;
  weightsUrl: string;
  metaUrl: string | null;
}

/** One history model's next-token prediction for the current prompt (src/model/next-token.ts). */
export interface HistoryGuess {
  step: number;
  tokens: number;
  top: { id: number; piece: string; probability: number }[];
  entropy: number;
}

export type ToWorker =
  | { type: 'load'; id: number; source: WorkerModelSource }
  | { type: 'probe-gpu'; id: number }
  /** Compute the products with the weights on the GPU (its worker's script at `helperUrl`), or (null) with WebAssembly. */
  | { type: 'compute'; id: number; gpu: { helperUrl: string } | null }
  | { type: 'cancel'; id: number }
  | { type: 'explain'; id: number; request: ExplainRequest }
  /** The formula of one value of the trace of the prompt tokens `ids` (src/model/formula.ts). */
  | { type: 'formula'; id: number; ids: number[]; query: FormulaQuery }
  /** Fetch and build every history model (progress per file); answered by 'history-ready'. */
  | { type: 'load-history'; id: number; models: HistoryModelSource[] }
  /** From now on explain with history model `index`; answered by 'loaded'. */
  | { type: 'use-history'; id: number; index: number }
  /** Every history model's next-token prediction for a prompt; answered by 'history-guesses'. */
  | { type: 'guess-history'; id: number; prompt: string; top: number };

/** An Explanation's own numbers, without its piece function (which cannot cross) or a second prompt's. */
type BareExplanation = Omit<Explanation, 'piece' | 'compare'>;

/**
 * An Explanation as it crosses to the page: the piece function replaced by [id, piece] pairs
 * (the second prompt's pieces among them), the second prompt's explanation bare too.
 */
export type ExplanationData = BareExplanation & { pieces: [number, string][]; compare?: BareExplanation };

export interface LoadedModel {
  name: string;
  config: ModelConfig;
  /** "gpt2", "char", or "huggingface" (a Llama-family folder's own): which tokenizer the model reads with. */
  tokenizer: string;
  /** Whether the weights came from the browser's cache rather than the network. */
  fromCache: boolean;
  /** The most tokens that share one row of the token embeddings (model/weights.ts tokensSharingRow): 1 when none do. */
  sharedRowTokens: number;
  /** The kernels the worker computes with: "wasm-relaxed-simd", "wasm-simd" or "plain". */
  kernels: string;
  /** Set when the downloaded files could not be kept in the cache: why, for the reader. */
  cacheNote?: string;
  /** Where the load's time went, for the page's benchmark. Durations are in milliseconds; the
   * `…At` fields are wall-clock times (performance.timeOrigin + now), 0 when they do not apply. */
  timings: LoadTimings;
}

export interface LoadTimings {
  /** The page: when it began fetching files at plain URLs, when the weights' first byte came, when all had come. */
  fetchStartedAt: number;
  weightsFirstByteAt: number;
  fetchedAt: number;
  weightsBytes: number;
  /** The worker: when it was created and its script evaluated, and when this load reached it. */
  workerCreatedAt: number;
  workerEvaluatedAt: number;
  startedAt: number;
  /** Waiting for the files the worker was handed (downloading them, for the hub). */
  read: number;
  /** Checking the weights and building the model. */
  build: number;
  /** Then waiting for GPT-2's tokenizer tables (0 if they were ready). */
  tokenizerWait: number;
  /** Building those tables, which the worker does as soon as their chunk arrives. */
  tokenizerTables: number;
}

export type FromWorker =
  | { type: 'progress'; id: number; file: string; loadedBytes: number; totalBytes: number | null }
  /** Before any weight is read: what the model of load `id` needs in memory, for the reader. */
  | { type: 'plan'; id: number; text: string }
  /** The model in use was unloaded to make room for load `id` (two large models do not fit together). */
  | { type: 'unloaded'; id: number }
  | { type: 'loaded'; id: number; model: LoadedModel }
  /**
   * Everything but the generated tokens when `generating` is true: those follow in a
   * 'generated' message, so the other scenes need not wait for them. `milliseconds`: the
   * worker's time for this part alone, for the benchmark.
   */
  | { type: 'explained'; id: number; explanation: ExplanationData; generating: boolean; milliseconds: number }
  /** The generation scene's steps for request `id`, with the pieces they name. */
  | { type: 'generated'; id: number; generation: GenerationStep[]; pieces: [number, string][]; milliseconds: number }
  /** Display piece of every token id (index = id) for the model loaded by request `id`. */
  /** Display pieces of the token ids start, start + 1, …: the table arrives in slices. */
  | { type: 'pieces'; id: number; start: number; pieces: string[] }
  | { type: 'gpu-probe'; id: number; probe: GpuProbe }
  /**
   * Where the products now run: the answer to a 'compute' request, or, with id 0, the worker's
   * own return to WebAssembly after the GPU failed (it then answers the request under way again).
   */
  | { type: 'compute'; id: number; state: ComputeState }
  /** null for a value derived from an explanation: the registry's words define it. */
  | { type: 'formula'; id: number; formula: Formula | null }
  | { type: 'history-ready'; id: number; steps: number[] }
  | { type: 'history-guesses'; id: number; guesses: HistoryGuess[] }
  /** `user` is true for the reader's mistakes (bad prompt, wrong files), false for bugs. */
  | { type: 'error'; id: number; message: string; user: boolean; cancelled?: boolean; evicted?: boolean };
