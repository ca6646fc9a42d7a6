// The model's Web Worker: loads a GPT-2-layout model (from the page's own files, the reader's
// files, or the hub when the reader asks: sized and planned first, then streamed into the
// kernels' memory; see docs/ARCHITECTURE.md, "Loading a model's weights") or a Llama-family one
// (the same files and checks, its weights read whole into arrays), then answers "explain this
// prompt" requests, so the scenes keep animating while the forward pass runs, and "what is this
// value made of" requests (its formula, from the weights). Protocol in worker-protocol.ts.

/// <reference lib="webworker" />

import { configFromText } from '../model/checkpoint.ts';
import { checkSourcesFit, readWeights, type StreamOptions, type WeightsSource } from '../model/checkpoint-read.ts';
import { describePlan, EXPLANATION_BUDGET_BYTES, explanationBytes, llamaKernelBytes, llamaPrecision, memoryPlan, reserveFor, type MemoryPlan } from '../model/memory.ts';
import { GPT } from '../model/gpt.ts';
import { Llama } from '../model/llama.ts';
import { architectureOf, type LanguageModel } from '../model/language-model.ts';
import { checkLlamaWeightsFit, folderTokenizer, jsonObject, llamaFromFiles } from '../model/llama-checkpoint.ts';
import { llamaConfigFromJson, llamaParameterCount, type LlamaConfig } from '../model/llama-config.ts';
import { tokensSharingRow } from '../model/weights.ts';
import { bestKernels, type Kernels } from '../kernels/index.ts';
import { browserThreadedKernels } from '../kernels/parallel/browser.ts';
import { ThreadedWasmKernels, TWO_THREADS_FROM_PARAMETERS } from '../kernels/parallel/threaded.ts';
import { explain, explainGeneration, explainSecondPrompt, InputError, lensPositionWithin, pieceOf, type SecondPromptMemo } from '../model/explain.ts';
import type { Explanation, GenerationStep } from '../model/explanation.ts';
import { formulaOf, type FormulaQuery } from '../model/formula.ts';
import type { Trace } from '../model/trace.ts';
import { SCENES } from '../scenes/index.ts';
import { ModelError, parameterCount, type GPTConfig } from '../model/config.ts';
import { parseTokenizerDescription, TOKENIZER_FILE } from '../model/tokenizer-file.ts';
import { TokenizerError } from '../tokenizer/errors.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { DownloadCancelled, DownloadError, evictFolder, fetchBytes, hubFileUrl, joinChunks, storeAbsent, storeBytes } from './model-download.ts';
import { folderToLoad, type FolderToLoad } from './model-sources.ts';
import { familyOfText } from './model-files.ts';
import { nextTokenGuess } from '../model/next-token.ts';
import { WebGpuError } from '../kernels/webgpu/errors.ts';
import type { GpuCompute } from './worker-gpu.ts';
import type { ExplainRequest, FromWorker, HistoryGuess, HistoryModelSource, LoadedModel, LoadTimings, ToWorker, WorkerModelSource } from './worker-protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
/** When this script had been fetched, parsed and evaluated (for the page's benchmark). */
const evaluatedAt = performance.now();

// GPT-2's tokenizer tables are most of this worker's script (0.4 MB): they load as a chunk of
// their own, and are built as soon as they arrive, while the page is still fetching the model's
// weights (the built-in model and GPT-2 both read with GPT-2's tokenizer). Built only when a
// load asked for them, they held up every load by their 50–90 ms once the bytes had come.
let tokenizerTables = 0;
const tokenizers = import('../tokenizer/index.ts').then((module) => {
  const started = performance.now();
  module.gpt2Tokenizer();
  tokenizerTables = performance.now() - started;
  return module;
});

let loaded: { id: number; model: LanguageModel; tokenizer: Tokenizer; name: string; tableSent: boolean; kernelBytes: number } | null = null;
/** The load in progress, so the reader can cancel it. */
let loading: { id: number; abort: AbortController } | null = null;
/** The GPU worker's script while the reader wants the products on the GPU, else null. */
let gpuWanted: string | null = null;
/** The loaded model on the GPU, while it computes there. */
let gpu: GpuCompute | null = null;

/** The model that answers: the one on the GPU while it computes there, else the loaded one (WebAssembly). */
function answering(): LanguageModel {
  return gpu?.model ?? loaded!.model;
}

/** Ends the GPU's worker, if any (the model then answers with WebAssembly). */
function stopGpu(): void {
  gpu?.stop();
  gpu = null;
}

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** Errors the reader can act on (bad files, bad prompt, failed download) versus bugs. */
function isUserError(error: unknown): boolean {
  return error instanceof ModelError || error instanceof InputError || error instanceof TokenizerError ||
    error instanceof DownloadError || error instanceof RangeError;
}

/** How long a load waits for its kernels' helper thread to start before going on with one thread. */
const HELPER_START_MS = 500;

/**
 * Kernels for a new model: on two threads for a large model where the page is cross-origin
 * isolated, else on one. Each model gets its own WebAssembly memory, so the current one keeps running while the next
 * loads; but when the two together would need more than one 32-bit memory holds (two large
 * models), the current one is unloaded first and its memory reused, and the page is told.
 */
function kernelsFor(id: number, config: GPTConfig | LlamaConfig, name: string): Kernels {
  const parameters = 'hidden' in config ? llamaParameterCount(config) : parameterCount(config);
  const kernels = (parameters >= TWO_THREADS_FROM_PARAMETERS && browserThreadedKernels()) || bestKernels();
  const limit = kernels.memoryLimit ?? Infinity;
  let needed: number;
  if ('hidden' in config) {
    // A model that cannot fit at all is refused here, with the current one still running.
    llamaPrecision(config, limit, name, false);
    needed = llamaKernelBytes(config);
  } else {
    const plan = memoryPlan(config, limit, kernels.holdMatrix !== undefined);
    // A model that cannot fit at all is refused here, with the current one still running.
    if (!plan.fits) throw new ModelError(`${name} ${describePlan(plan, parameterCount(config))}`);
    needed = plan.kernelBytes;
  }
  if (!loaded || loaded.kernelBytes + needed <= limit) return kernels;
  endHelper(kernels);
  const previous = loaded.model;
  stopGpu(); // its model reads the weights about to be released
  previous.release();
  loaded = null;
  post({ type: 'unloaded', id });
  return previous.kernels;
}

/**
 * Ends the helper thread of kernels that no longer answer for the loaded model (one replaced,
 * or one whose load failed or was overtaken): the helper holds their shared memory, which would
 * otherwise outlive them. They still compute, on one thread, for whatever holds them.
 */
function endHelper(kernels: Kernels | null): void {
  if (kernels instanceof ThreadedWasmKernels && kernels !== loaded?.model.kernels) kernels.stop();
}

/** Makes `next` the model that answers; the one it replaces gives up its helper thread. */
function setLoaded(next: NonNullable<typeof loaded>): void {
  const previous = loaded?.model.kernels ?? null;
  loaded = next;
  endHelper(previous);
}

/**
 * A checked model and its tokenizer from a folder, its weights streamed into `kernels` as the
 * memory plan says, with the time each took (ms).
 */
async function buildModel(folder: FolderToLoad, config: GPTConfig, kernels: Kernels, plan: MemoryPlan, signal: AbortSignal, onProgress: NonNullable<StreamOptions['onProgress']>) {
  const started = performance.now();
  const weights = await readWeights(config, folder.weights, folder.index, folder.name, { kernels, precision: plan.precision, compactEmbeddings: true, signal, onProgress });
  // WebAssembly SIMD kernels when the browser has them; the worker already keeps the page responsive.
  const model = new GPT(config, weights, kernels);
  const build = performance.now() - started;
  // GPT-2's tokenizer tables may still be on their way (their chunk loads in the background meanwhile).
  const { loadTokenizer } = await tokenizers;
  const tokenizerWait = performance.now() - started - build;
  const tokenizer = loadTokenizer(parseTokenizerDescription(folder.metaText, `${folder.name}/${TOKENIZER_FILE}`));
  if (tokenizer.vocabSize > model.config.vocabSize) {
    model.release();
    throw new ModelError(
      `${folder.name}: the ${tokenizer.kind} tokenizer has ${tokenizer.vocabSize} tokens but the model only ${model.config.vocabSize}; ` +
        `a model trained with another tokenizer needs its ${TOKENIZER_FILE} beside config.json.`,
    );
  }
  return { model, tokenizer, build, tokenizerWait };
}

/** A stream of a weights file's bytes, read whole (the Llama family's weights are arrays, not held by the kernels). */
async function wholeFile(source: WeightsSource, onProgress: (loadedBytes: number, totalBytes: number | null) => void): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of source.chunks()) {
    chunks.push(chunk);
    length += chunk.length;
    onProgress(length, source.size);
  }
  return joinChunks(chunks, length);
}

/**
 * A Llama-family model and its own tokenizer from a folder: every weights file read whole, then
 * checked and widened to floats (llama-checkpoint.ts), with the time it took (ms).
 */
async function buildLlama(folder: FolderToLoad, config: LlamaConfig, kernels: Kernels, onProgress: (file: string, loadedBytes: number, totalBytes: number | null) => void) {
  const started = performance.now();
  const files = new Map<string, Uint8Array>();
  for (const source of folder.weights) files.set(source.name, await wholeFile(source, (loadedBytes, totalBytes) => onProgress(source.name, loadedBytes, totalBytes)));
  const { weights } = llamaFromFiles(jsonObject(folder.configText, `${folder.name}/config.json`), files, folder.name);
  const model = new Llama(config, weights, kernels);
  const tokenizer = folderTokenizer(folder.tokenizer!.json, folder.tokenizer!.config, folder.name);
  if (tokenizer.vocabSize > config.vocabSize) {
    model.release();
    throw new ModelError(`${folder.name}: its tokenizer.json has ${tokenizer.vocabSize} tokens but the model only ${config.vocabSize}; the two do not belong together.`);
  }
  return { model, tokenizer, build: performance.now() - started, tokenizerWait: 0 };
}

/** A Llama-family config.json, checked (absurd sizes refused) before anything is sized from it. */
function llamaConfigFromText(text: string, where: string): LlamaConfig {
  return llamaConfigFromJson(jsonObject(text, where), where);
}

async function load(id: number, source: WorkerModelSource): Promise<void> {
  loading?.abort.abort();
  const abort = new AbortController();
  loading = { id, abort };
  /** Hub files asked for: URL → whether the cache had it. */
  const touched = new Map<string, boolean>();
  const repoPrefix = source.kind === 'hub' ? hubFileUrl(source.hubBase, source.repo, '') : null;
  let model: LanguageModel | null = null;
  let kernels: Kernels | null = null;
  try {
    const started = performance.now();
    const progress = (file: string) => (loadedBytes: number, totalBytes: number | null) => post({ type: 'progress', id, file, loadedBytes, totalBytes });
    const onProgress = (file: string, loadedBytes: number, totalBytes: number | null) => post({ type: 'progress', id, file, loadedBytes, totalBytes });
    let config: GPTConfig | LlamaConfig | null = null;
    // A hub repository's config.json is checked before anything else is asked of the hub.
    const configOf = (text: string, where: string) => (familyOfText(text, where) === 'llama' ? llamaConfigFromText(text, where) : configFromText(text, where));
    const checkConfig = (text: string) => void (config = configOf(text, `${source.kind === 'hub' ? source.repo : ''}/config.json`));
    const folder = await folderToLoad(source, abort.signal, progress, checkConfig, touched);
    config ??= configOf(folder.configText, `${folder.name}/config.json`);
    let built: { model: LanguageModel; tokenizer: Tokenizer; build: number; tokenizerWait: number };
    let kernelBytes: number;
    let read: number;
    if ('hidden' in config) {
      // The weights' announced sizes must hold what config.json asks for, before any is read.
      const sizes = folder.weights.map((w) => w.size);
      if (sizes.every((size) => size !== null)) {
        checkLlamaWeightsFit(config, sizes.reduce((a, b) => a! + b!, 0)!, folder.index ? `${folder.name}'s shards` : `${folder.name}/${folder.weights[0].name}`, `${folder.name}/config.json`);
      }
      kernels = kernelsFor(id, config, folder.name);
      kernelBytes = llamaKernelBytes(config);
      read = performance.now() - started;
      built = await buildLlama(folder, config, kernels, onProgress);
    } else {
      // Before any weight is read: the files must hold what config.json asks for, and this
      // browser must be able to hold the model (else a message naming both sizes, and no crash).
      checkSourcesFit(config, folder.weights, folder.index, folder.name);
      kernels = kernelsFor(id, config, folder.name);
      const plan = reserveFor(config, kernels, folder.name);
      post({ type: 'plan', id, text: `${folder.name} ${describePlan(plan, parameterCount(config))}` });
      kernelBytes = plan.kernelBytes;
      read = performance.now() - started;
      built = await buildModel(folder, config, kernels, plan, abort.signal, onProgress);
    }
    model = built.model;
    // Usually running by now; if the load kept this thread too busy for it to start, a moment
    // free lets it, so the first explanation already has two threads.
    if (kernels instanceof ThreadedWasmKernels) await kernels.started(HELPER_START_MS);
    const { tokenizer, tokenizerWait } = built;
    const build = built.build;
    if (loading?.id !== id) return; // a newer load replaced this one
    // Only now, with the model built from them, are the small downloaded files worth keeping
    // (the weights went to the cache as they came, and are removed if the load fails).
    let cacheNote: string | undefined;
    try {
      if (folder.hub?.storeFailed) throw new Error(folder.hub.storeFailed);
      for (const file of folder.hub?.small ?? []) if (!file.fromCache) await (file.bytes === null ? storeAbsent(file.url) : storeBytes(file.url, file.bytes));
    } catch (error) {
      if (repoPrefix) await evictFolder(repoPrefix).catch(() => {});
      cacheNote = `No copy was kept in your browser's cache (${(error as Error).message}); it will be downloaded again next time.`;
    }
    setLoaded({ id, model, tokenizer, name: folder.name, tableSent: false, kernelBytes });
    await gpuFollows();
    if (loading?.id !== id) return;
    const timings: LoadTimings = {
      fetchStartedAt: 0, weightsFirstByteAt: 0, fetchedAt: 0, weightsBytes: 0, // the page fills these in
      workerCreatedAt: performance.timeOrigin,
      workerEvaluatedAt: performance.timeOrigin + evaluatedAt,
      startedAt: performance.timeOrigin + started,
      read,
      build,
      tokenizerWait,
      tokenizerTables,
    };
    post({ type: 'loaded', id, model: loadedModel(folder.name, model, tokenizer, folder.fromCache, timings, cacheNote) });
  } catch (error) {
    model?.release();
    const reason = error as Error;
    const cancelled = reason instanceof DownloadCancelled || abort.signal.aborted;
    let message = reason.message;
    let evicted = false;
    if (repoPrefix) {
      // Nothing of a failed load is kept; a cached copy that does not load is never served again.
      const fromCache = [...touched.values()].some(Boolean);
      await evictFolder(repoPrefix).catch(() => {});
      if (fromCache && !cancelled && !(reason instanceof DownloadError)) {
        evicted = true;
        message = `the copy in your browser's cache could not be loaded (${message}), so it was removed. Press “Download again” to fetch a fresh copy.`;
      }
    }
    post({ type: 'error', id, message: cancelled ? 'The download was cancelled.' : message, user: cancelled || evicted || isUserError(reason), cancelled, evicted });
  } finally {
    if (loading?.id === id) loading = null;
    endHelper(kernels); // unless they are the loaded model's
  }
}

/** What the page is told of a model that has loaded: its description, tokenizer, shared embedding rows and kernels. */
function loadedModel(name: string, model: LanguageModel, tokenizer: Tokenizer, fromCache: boolean, timings: LoadTimings, cacheNote?: string): LoadedModel {
  const config = architectureOf(model);
  const table = model instanceof Llama ? model.weights.embed_tokens : model.weights.wte;
  return { name, config, tokenizer: tokenizer.kind, fromCache, sharedRowTokens: tokensSharingRow(table, config.nEmbd), kernels: model.kernels.name, timings, cacheNote };
}

/** The ids whose pieces the scenes draw: the prompt's, and those each scene declares it labels (the generation's come with it). */
function labelledIds(ex: Explanation): Set<number> {
  return new Set([...ex.tokens.map((t) => t.id), ...SCENES.flatMap((scene) => scene.labelledIds?.(ex) ?? [])]);
}

/** Ids per slice of the piece table: a slice takes a few milliseconds, so a new prompt never waits long behind it. */
const PIECE_SLICE = 2048;
/** How long the reader must pause (no new prompt) before the piece table is built. */
const PIECE_TABLE_DELAY_MS = 500;
let pieceTableTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Every token's piece, sent once per model, a slice at a time with a pause between. Building it
 * for GPT-2's 50,257 tokens takes a few hundred milliseconds, which the first prompts typed
 * right after loading would otherwise wait behind; the scenes do not need it (each explanation
 * brings the pieces its scenes draw), only the hover readout naming any token.
 */
function schedulePieceTable(): void {
  clearTimeout(pieceTableTimer);
  if (loaded && !loaded.tableSent) pieceTableTimer = setTimeout(() => void sendPieceTable(), PIECE_TABLE_DELAY_MS);
}

async function sendPieceTable(): Promise<void> {
  if (!loaded || loaded.tableSent) return;
  loaded.tableSent = true;
  const { id, tokenizer, model } = loaded;
  const V = model.config.vocabSize;
  for (let start = 0; start < V; start += PIECE_SLICE) {
    if (loaded?.id !== id) return; // another model replaced this one
    const pieces = Array.from({ length: Math.min(PIECE_SLICE, V - start) }, (_, i) => pieceOf(tokenizer, start + i));
    post({ type: 'pieces', id, start, pieces });
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** The generated tokens of the last explanation, and what they were generated from. */
let lastGeneration: { model: LanguageModel; key: string; steps: GenerationStep[] } | null = null;

/**
 * The second prompt's last explanation: a reader edits one prompt at a time, so it is taken again
 * while only the first changes. Kept here, it is copied to the page rather than moved; one larger
 * than this is moved, and not kept.
 */
const secondPrompt: SecondPromptMemo = {};
const SECOND_PROMPT_KEPT_BYTES = 32 * 2 ** 20;

function explainPrompt(id: number, request: ExplainRequest): void {
  if (!loaded) {
    post({ type: 'error', id, message: 'No model is loaded yet.', user: true });
    return;
  }
  try {
    const { tokenizer, name } = loaded;
    const model = answering();
    let started = performance.now();
    const { nPositions, nLayer, nHead } = architectureOf(model);
    const window = request.window > 0 ? Math.min(request.window, nPositions) : nPositions;
    const layer = Math.min(request.layer, nLayer - 1);
    const head = Math.min(request.head, nHead - 1);
    // A position past the end of a shorter prompt reads its last token (explain's default).
    const tokens = request.lensPosition === null ? 0 : Math.min(tokenizer.encode(request.prompt).length, nPositions);
    const lensPosition = lensPositionWithin(request.lensPosition, tokens);
    // The generated tokens come second: the other scenes are drawn meanwhile.
    const options = {
      modelName: name, layer, head, sampling: request.sampling, generateTokens: 0, generationWindow: window, lensPosition, maxExplanationBytes: EXPLANATION_BUDGET_BYTES,
    };
    const first = explain(model, tokenizer, request.prompt, options);
    const explanation = request.compare === null ? first : { ...first, ...explainSecondPrompt(model, tokenizer, request.compare, options, first.tokens.length, secondPrompt) };
    const kept = explanation.compare !== undefined && explanationBytes(explanation.compare.config, explanation.compare.tokens.length) <= SECOND_PROMPT_KEPT_BYTES;
    if (!kept) delete secondPrompt.last;
    const generating = request.generateTokens > 0;
    // The piece function cannot cross to the page: send the pieces the scenes draw.
    const { piece } = explanation;
    const pieces = [...labelledIds(explanation)].map((i): [number, string] => [i, pieceOf(tokenizer, i)]);
    // Every traced tensor has its own array (as has sampledProbs): move their buffers to the page
    // instead of copying them (51 MB of logits and probabilities for GPT-2 small at T = 128).
    // So is any other array the explanation holds (a derived value computed with the model). A
    // second prompt's explanation kept for the next request is copied instead.
    const bare = [explanation, ...(explanation.compare ? [explanation.compare] : [])].map(({ piece: _piece, compare: _compare, ...rest }) => rest);
    const moved = kept ? bare.slice(0, 1) : bare;
    const buffers = new Set(moved.flatMap((rest) => [...rest.trace.values()].map((t) => t.data.buffer as ArrayBuffer)));
    for (const rest of moved) for (const value of Object.values(rest)) if (value instanceof Float32Array) buffers.add(value.buffer as ArrayBuffer);
    const ids = explanation.tokens.map((t) => t.id);
    const data = { ...bare[0], pieces, ...(bare[1] && { compare: bare[1] }) };
    post({ type: 'explained', id, explanation: data, generating, milliseconds: performance.now() - started }, [...buffers]);
    if (generating) {
      started = performance.now();
      // The same model (on the same kernels), prompt and rule generate the same tokens: a request that changed only what is
      // read of the trace (the lens's position) gets the last ones again.
      const key = JSON.stringify([loaded.id, ids, request.sampling, request.generateTokens, window]);
      if (lastGeneration?.model !== model || lastGeneration.key !== key) {
        lastGeneration = { model, key, steps: explainGeneration(model, ids, request.sampling, request.generateTokens, window, piece) };
      }
      const generation = lastGeneration.steps;
      const named = new Set(generation.flatMap((step) => [step.chosen.id, ...step.context, ...step.top.map((t) => t.token.id)]));
      const generatedPieces = [...named].map((i): [number, string] => [i, pieceOf(tokenizer, i)]);
      post({ type: 'generated', id, generation, pieces: generatedPieces, milliseconds: performance.now() - started });
    }
    schedulePieceTable();
  } catch (error) {
    if (error instanceof WebGpuError && gpu) {
      dropGpu(error);
      explainPrompt(id, request); // again, with WebAssembly
      return;
    }
    post({ type: 'error', id, message: (error as Error).message, user: isUserError(error) });
  }
}

/**
 * The trace formulas read: the explanation's own arrays moved to the page, so the worker runs
 * the prompt again when the reader first inspects one of its numbers (the same kernels on the
 * same ids give the same numbers), and keeps that one trace until another prompt's is asked for.
 */
let formulaTrace: { model: LanguageModel; ids: string; trace: Trace } | null = null;

function answerFormula(id: number, ids: number[], query: FormulaQuery): void {
  if (!loaded) {
    post({ type: 'error', id, message: 'No model is loaded yet.', user: true });
    return;
  }
  try {
    const { tokenizer } = loaded;
    const model = answering();
    const key = ids.join(',');
    if (formulaTrace?.model !== model || formulaTrace.ids !== key) formulaTrace = { model, ids: key, trace: model.trace(ids) };
    const formula = formulaOf(model, formulaTrace.trace, ids, query, (i) => pieceOf(tokenizer, i));
    post({ type: 'formula', id, formula });
  } catch (error) {
    if (error instanceof WebGpuError && gpu) {
      dropGpu(error);
      answerFormula(id, ids, query); // again, with WebAssembly
      return;
    }
    post({ type: 'error', id, message: (error as Error).message, user: false });
  }
}

/** The GPU's part of this worker, loaded only when the reader asks about the GPU. */
const gpuModule = () => import('./worker-gpu.ts');

/** Puts the loaded model on the GPU; on failure, stays with WebAssembly and returns why (else ''). */
async function startGpu(helperUrl: string): Promise<string> {
  const model = loaded!.model;
  if (!(model instanceof GPT)) {
    gpuWanted = null;
    return 'The GPU computes GPT-2’s products only; this model computes with WebAssembly.';
  }
  try {
    const started = await (await gpuModule()).GpuCompute.start(helperUrl, model);
    if (loaded?.model !== model || gpuWanted !== helperUrl) started.stop(); // the model or the choice changed meanwhile
    else gpu = started;
    return '';
  } catch (error) {
    gpuWanted = null;
    return `The GPU could not take this model: ${(error as Error).message}. The model computes with WebAssembly.`;
  }
}

/**
 * After `loaded` changed: the GPU, if the reader wants it, takes the new model (its own copy of
 * the new weights), and the page is told if it could not.
 */
async function gpuFollows(): Promise<void> {
  stopGpu();
  const note = gpuWanted ? await startGpu(gpuWanted) : '';
  if (note) post({ type: 'compute', id: 0, state: { gpu: null, note } });
}

/** After the GPU failed mid-request: back to WebAssembly for good, and the page is told why. */
function dropGpu(error: WebGpuError): void {
  stopGpu();
  gpuWanted = null;
  post({ type: 'compute', id: 0, state: { gpu: null, note: `The GPU stopped working: ${error.message}. The model computes with WebAssembly again.` } });
}

async function setCompute(id: number, helperUrl: string | null): Promise<void> {
  gpuWanted = helperUrl;
  let note = '';
  if (helperUrl === null) {
    stopGpu();
  } else if (!gpu && loaded) {
    note = await startGpu(helperUrl);
  }
  post({ type: 'compute', id, state: { gpu: gpu?.adapter ?? null, note } });
}

// ---- the built-in model's training history ("How it learned") ----

/** Every history model, built once the reader opened the chapter. */
let history: { source: HistoryModelSource; model: GPT; tokenizer: Tokenizer; kernelBytes: number }[] = [];

async function loadHistory(id: number, sources: HistoryModelSource[]): Promise<void> {
  try {
    const decoder = new TextDecoder();
    const signal = new AbortController().signal;
    const built: typeof history = [];
    for (const source of sources) {
      const progress = (file: string) => (loadedBytes: number, totalBytes: number | null) =>
        post({ type: 'progress', id, file: `${source.name}: ${file}`, loadedBytes, totalBytes });
      const get = (url: string, file: string) => fetchBytes(url, { signal, onProgress: progress(file), readCache: false }).then((r) => r.bytes);
      const configText = decoder.decode(await get(source.configUrl, 'config.json'));
      const weights = await get(source.weightsUrl, 'model.safetensors');
      const metaText = source.metaUrl ? decoder.decode(await get(source.metaUrl, TOKENIZER_FILE)) : null;
      // A snapshot is small: it gets kernels of its own, as the page's own model does.
      const folder = await folderToLoad({ kind: 'bytes', name: source.name, configText, weights, metaText }, signal, progress, () => {}, new Map());
      const config = configFromText(configText, `${source.name}/config.json`);
      const kernels = bestKernels();
      const plan = reserveFor(config, kernels, source.name);
      const { model, tokenizer } = await buildModel(folder, config, kernels, plan, signal, () => {});
      built.push({ source, model, tokenizer, kernelBytes: plan.kernelBytes });
    }
    history = built;
    post({ type: 'history-ready', id, steps: built.map((h) => h.source.step) });
  } catch (error) {
    post({ type: 'error', id, message: (error as Error).message, user: isUserError(error) });
  }
}

async function useHistory(id: number, index: number): Promise<void> {
  const chosen = history[index];
  if (!chosen) {
    post({ type: 'error', id, message: `There is no history model ${index}.`, user: false });
    return;
  }
  loading?.abort.abort(); // the reader's choice replaces a load still under way
  const { model, tokenizer, source, kernelBytes } = chosen;
  setLoaded({ id, model, tokenizer, name: source.name, tableSent: false, kernelBytes });
  await gpuFollows();
  if (loaded?.id !== id) return; // another choice or load replaced this one meanwhile
  // Built when the chapter opened, so this switch itself takes no loading time.
  const timings: LoadTimings = { fetchStartedAt: 0, weightsFirstByteAt: 0, fetchedAt: 0, weightsBytes: 0, workerCreatedAt: 0, workerEvaluatedAt: 0, startedAt: 0, read: 0, build: 0, tokenizerWait: 0, tokenizerTables: 0 };
  post({ type: 'loaded', id, model: loadedModel(source.name, model, tokenizer, false, timings) });
}

function guessHistory(id: number, prompt: string, top: number): void {
  try {
    const guesses = history.map(({ source, model, tokenizer }): HistoryGuess => {
      const guess = nextTokenGuess(model, tokenizer, prompt, top);
      return { step: source.step, ...guess, top: guess.top.map((t) => ({ ...t, piece: pieceOf(tokenizer, t.id) })) };
    });
    post({ type: 'history-guesses', id, guesses });
  } catch (error) {
    post({ type: 'error', id, message: (error as Error).message, user: isUserError(error) });
  }
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'load') void load(message.id, message.source);
  else if (message.type === 'cancel') {
    if (loading?.id === message.id) loading.abort.abort();
  } else if (message.type === 'formula') answerFormula(message.id, message.ids, message.query);
  else if (message.type === 'probe-gpu') void gpuModule().then(async ({ probeGpu }) => post({ type: 'gpu-probe', id: message.id, probe: await probeGpu() }));
  else if (message.type === 'compute') void setCompute(message.id, message.gpu?.helperUrl ?? null);
  else if (message.type === 'load-history') void loadHistory(message.id, message.models);
  else if (message.type === 'use-history') void useHistory(message.id, message.index);
  else if (message.type === 'guess-history') guessHistory(message.id, message.prompt, message.top);
  else explainPrompt(message.id, message.request);
};
