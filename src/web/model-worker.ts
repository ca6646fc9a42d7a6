// The model's Web Worker: loads a GPT-2-layout or Llama-family model (from the page's own files,
// the reader's files, or the hub when the reader asks), then answers "explain this prompt"
// requests, so the scenes keep animating while the forward pass runs, and "what is this value
// made of" requests (its formula, from the weights). Protocol in worker-protocol.ts; the Llama
// family's files in model-files.ts.

/// <reference lib="webworker" />

import { checkWeightsFit, configFromText, modelFromFiles, WEIGHTS_FILE } from '../model/checkpoint.ts';
import { GPT } from '../model/gpt.ts';
import { Llama } from '../model/llama.ts';
import { architectureOf, type LanguageModel } from '../model/language-model.ts';
import { folderTokenizer, jsonObject, llamaFromFiles } from '../model/llama-checkpoint.ts';
import { tokensSharingRow } from '../model/weights.ts';
import { bestKernels } from '../kernels/index.ts';
import { explain, explainGeneration, InputError, pieceOf } from '../model/explain.ts';
import type { Explanation, GenerationStep } from '../model/explanation.ts';
import { formulaOf, type FormulaQuery } from '../model/formula.ts';
import type { Trace } from '../model/trace.ts';
import { SCENES } from '../scenes/index.ts';
import { ModelError } from '../model/config.ts';
import { parseTokenizerDescription, TOKENIZER_FILE } from '../model/tokenizer-file.ts';
import { TokenizerError } from '../tokenizer/errors.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { DownloadCancelled, DownloadError, evict, fetchBytes, hubFileUrl, storeAbsent, storeBytes } from './model-download.ts';
import { familyOfText, hubLlamaFiles, LoadFailure, pickedLlamaFiles, type FetchedFile, type ModelFiles } from './model-files.ts';
import type { ExplainRequest, FromWorker, LoadedModel, LoadTimings, ToWorker, WorkerModelSource } from './worker-protocol.ts';

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

let loaded: { id: number; model: LanguageModel; tokenizer: Tokenizer; name: string; tableSent: boolean } | null = null;
/** The load in progress, so the reader can cancel it. */
let loading: { id: number; abort: AbortController } | null = null;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** Errors the reader can act on (bad files, bad prompt, failed download) versus bugs. */
function isUserError(error: unknown): boolean {
  return error instanceof ModelError || error instanceof InputError || error instanceof TokenizerError ||
    error instanceof DownloadError || error instanceof RangeError;
}

async function readSource(id: number, source: WorkerModelSource, signal: AbortSignal): Promise<ModelFiles> {
  const decoder = new TextDecoder();
  const progress = (file: string) => (loadedBytes: number, totalBytes: number | null) =>
    post({ type: 'progress', id, file, loadedBytes, totalBytes });
  const gpt2 = { family: 'gpt2' as const, tokenizer: null };
  if (source.kind === 'bytes') {
    return { ...gpt2, name: source.name, configText: source.configText, weights: new Map([[WEIGHTS_FILE, source.weights]]), metaText: source.metaText, fromCache: false };
  }
  if (source.kind === 'hub') {
    // Nothing is stored until the model has been built from these files (load() does it).
    const configUrl = hubFileUrl(source.hubBase, source.repo, 'config.json');
    const weightsUrl = hubFileUrl(source.hubBase, source.repo, WEIGHTS_FILE);
    const config = await fetchBytes(configUrl, { signal, onProgress: progress('config.json'), readCache: true });
    const configText = decoder.decode(config.bytes);
    const fetched: FetchedFile[] = [{ url: configUrl, ...config }];
    let shape;
    try {
      if (familyOfText(configText, `${source.repo}/config.json`) === 'llama') {
        return await hubLlamaFiles({ repo: source.repo, hubBase: source.hubBase, signal, progress }, fetched[0] as FetchedFile & { bytes: Uint8Array });
      }
      // GPT-2: config.json and model.safetensors, read with GPT-2's tokenizer.
      // A wrong config.json is refused before its weights are downloaded or memory is sized from it.
      shape = configFromText(configText, `${source.repo}/config.json`);
    } catch (error) {
      throw error instanceof LoadFailure || !(error instanceof ModelError) ? error : new LoadFailure(error, fetched);
    }
    const weights = await fetchBytes(weightsUrl, {
      signal,
      onProgress: progress(WEIGHTS_FILE),
      readCache: true,
      checkSize: (total) => {
        if (total !== null) checkWeightsFit(shape, total, `${source.repo}/${WEIGHTS_FILE}`, `${source.repo}/config.json`);
      },
    }).catch((error: Error) => {
      throw error instanceof ModelError ? new LoadFailure(error, fetched) : error;
    });
    fetched.push({ url: weightsUrl, ...weights });
    return { ...gpt2, name: source.repo, configText, weights: new Map([[WEIGHTS_FILE, weights.bytes]]), metaText: null, fromCache: weights.fromCache, hub: fetched };
  }
  const byName = (name: string) => source.files.find((f) => f.name === name);
  const configFile = byName('config.json');
  const picked = source.files.map((f) => f.name).join(', ') || 'nothing';
  if (!configFile) {
    throw new ModelError(`A model needs its config.json and its weights; you picked ${picked}. Pick them (or the folder holding them).`);
  }
  const configText = await configFile.text();
  const folder = (source.name ?? (configFile.webkitRelativePath.split('/')[0] || 'your files')).slice(0, 80);
  if (familyOfText(configText, `${folder}/config.json`) === 'llama') return pickedLlamaFiles(source.files, configText, folder);
  const weightsFile = byName(WEIGHTS_FILE);
  if (!weightsFile) {
    throw new ModelError(`A model needs both config.json and model.safetensors; you picked ${picked}. Pick both files (or the folder holding them).`);
  }
  const metaFile = byName(TOKENIZER_FILE);
  return {
    ...gpt2,
    name: folder,
    configText,
    weights: new Map([[WEIGHTS_FILE, new Uint8Array(await weightsFile.arrayBuffer())]]),
    metaText: metaFile ? await metaFile.text() : null,
    fromCache: false,
  };
}

/**
 * The model and its tokenizer from a folder's files, for either family, and where the time went:
 * building (and, for the Llama family, its tokenizer), then waiting for GPT-2's tokenizer tables.
 */
async function build(files: ModelFiles): Promise<{ model: LanguageModel; tokenizer: Tokenizer; build: number; tokenizerWait: number }> {
  const started = performance.now();
  if (files.family === 'llama') {
    const { config, weights } = llamaFromFiles(jsonObject(files.configText, `${files.name}/config.json`), files.weights, files.name);
    const model = new Llama(config, weights, bestKernels());
    const tokenizer = folderTokenizer(files.tokenizer!.json, files.tokenizer!.config, files.name);
    checkTokenizerFits(files.name, tokenizer, config.vocabSize, 'tokenizer.json');
    return { model, tokenizer, build: performance.now() - started, tokenizerWait: 0 };
  }
  // The model is built first: GPT-2's tokenizer tables may still be on their way (their chunk
  // loads and compiles in the background meanwhile).
  const { config, weights } = modelFromFiles(files.configText, files.weights.get(WEIGHTS_FILE)!, files.name, { compactEmbeddings: true });
  // WebAssembly SIMD kernels when the browser has them; the worker already keeps the page responsive.
  const model = new GPT(config, weights, bestKernels());
  const built = performance.now();
  const { loadTokenizer } = await tokenizers;
  const tokenizerWait = performance.now() - built;
  const tokenizer = loadTokenizer(parseTokenizerDescription(files.metaText, `${files.name}/${TOKENIZER_FILE}`));
  checkTokenizerFits(files.name, tokenizer, config.vocabSize, TOKENIZER_FILE);
  return { model, tokenizer, build: built - started, tokenizerWait };
}

function checkTokenizerFits(name: string, tokenizer: Tokenizer, vocabSize: number, file: string): void {
  if (tokenizer.vocabSize > vocabSize) {
    throw new ModelError(
      `${name}: the ${tokenizer.kind} tokenizer has ${tokenizer.vocabSize} tokens but the model only ${vocabSize}; ` +
        `a model trained with another tokenizer needs its ${file} beside config.json.`,
    );
  }
}

async function load(id: number, source: WorkerModelSource): Promise<void> {
  loading?.abort.abort();
  const abort = new AbortController();
  loading = { id, abort };
  let hubFiles: FetchedFile[] | null = null;
  try {
    const started = performance.now();
    const files = await readSource(id, source, abort.signal);
    hubFiles = files.hub ?? null;
    const read = performance.now() - started;
    const { model, tokenizer, build: buildTime, tokenizerWait } = await build(files);
    if (loading?.id !== id) return; // a newer load replaced this one
    // Only now, with the model built from them, are downloaded files worth keeping.
    let cacheNote: string | undefined;
    if (files.hub) {
      try {
        for (const file of files.hub) {
          if (!file.fromCache) await (file.bytes === null ? storeAbsent(file.url) : storeBytes(file.url, file.bytes));
        }
      } catch (error) {
        await evict(files.hub.map((f) => f.url)).catch(() => {});
        cacheNote = `No copy was kept in your browser's cache (${(error as Error).message}); it will be downloaded again next time.`;
      }
    }
    loaded = { id, model, tokenizer, name: files.name, tableSent: false };
    const timings: LoadTimings = {
      fetchStartedAt: 0, weightsFirstByteAt: 0, fetchedAt: 0, weightsBytes: 0, // the page fills these in
      workerCreatedAt: performance.timeOrigin,
      workerEvaluatedAt: performance.timeOrigin + evaluatedAt,
      startedAt: performance.timeOrigin + started,
      read,
      build: buildTime,
      tokenizerWait,
      tokenizerTables,
    };
    const config = architectureOf(model);
    const table = model instanceof Llama ? model.weights.embed_tokens : model.weights.wte;
    const info: LoadedModel = {
      name: files.name,
      config,
      tokenizer: tokenizer.kind,
      fromCache: files.fromCache,
      sharedRowTokens: tokensSharingRow(table, config.nEmbd),
      kernels: model.kernels.name,
      timings,
      cacheNote,
    };
    post({ type: 'loaded', id, model: info });
  } catch (caught) {
    const failedFiles = caught instanceof LoadFailure ? caught.fetched : hubFiles;
    const error = caught instanceof LoadFailure ? caught.reason : (caught as Error);
    const cancelled = error instanceof DownloadCancelled;
    let message = error.message;
    let evicted = false;
    // A cached copy that does not load is removed, so it is never served again.
    const cached = failedFiles && !cancelled && !(error instanceof DownloadError) && failedFiles.some((f) => f.fromCache);
    if (cached && failedFiles) {
      await evict(failedFiles.map((f) => f.url)).catch(() => {});
      evicted = true;
      message = `the copy in your browser's cache could not be loaded (${message}), so it was removed. Press “Download again” to fetch a fresh copy.`;
    }
    post({ type: 'error', id, message, user: cancelled || evicted || isUserError(error), cancelled, evicted });
  } finally {
    if (loading?.id === id) loading = null;
  }
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
let lastGeneration: { key: string; steps: GenerationStep[] } | null = null;

function explainPrompt(id: number, request: ExplainRequest): void {
  if (!loaded) {
    post({ type: 'error', id, message: 'No model is loaded yet.', user: true });
    return;
  }
  try {
    const { model, tokenizer, name } = loaded;
    let started = performance.now();
    const { nPositions, nLayer, nHead } = architectureOf(model);
    const window = request.window > 0 ? Math.min(request.window, nPositions) : nPositions;
    const layer = Math.min(request.layer, nLayer - 1);
    const head = Math.min(request.head, nHead - 1);
    // A position past the end of a shorter prompt reads its last token (explain's default).
    const tokens = request.lensPosition === null ? 0 : tokenizer.encode(request.prompt).length;
    const lensPosition = request.lensPosition !== null && request.lensPosition < Math.min(tokens, nPositions) ? request.lensPosition : undefined;
    // The generated tokens come second: the other scenes are drawn meanwhile.
    const explanation = explain(model, tokenizer, request.prompt, {
      modelName: name, layer, head, sampling: request.sampling, generateTokens: 0, generationWindow: window, lensPosition,
    });
    const generating = request.generateTokens > 0;
    // The piece function cannot cross to the page: send the pieces the scenes draw.
    const { piece, ...rest } = explanation;
    const pieces = [...labelledIds(explanation)].map((i): [number, string] => [i, pieceOf(tokenizer, i)]);
    // Every traced tensor has its own array (as has sampledProbs): move their buffers to the page
    // instead of copying them (51 MB of logits and probabilities for GPT-2 small at T = 128).
    // So is any other array the explanation holds (a derived value computed with the model).
    const buffers = new Set([...rest.trace.values()].map((t) => t.data.buffer as ArrayBuffer));
    for (const value of Object.values(rest)) if (value instanceof Float32Array) buffers.add(value.buffer as ArrayBuffer);
    const ids = explanation.tokens.map((t) => t.id);
    post({ type: 'explained', id, explanation: { ...rest, pieces }, generating, milliseconds: performance.now() - started }, [...buffers]);
    if (generating) {
      started = performance.now();
      // The same prompt and rule generate the same tokens: a request that changed only what is
      // read of the trace (the lens's position) gets the last ones again.
      const key = JSON.stringify([loaded.id, ids, request.sampling, request.generateTokens, window]);
      if (lastGeneration?.key !== key) lastGeneration = { key, steps: explainGeneration(model, ids, request.sampling, request.generateTokens, window, piece) };
      const generation = lastGeneration.steps;
      const named = new Set(generation.flatMap((step) => [step.chosen.id, ...step.context, ...step.top.map((t) => t.token.id)]));
      const generatedPieces = [...named].map((i): [number, string] => [i, pieceOf(tokenizer, i)]);
      post({ type: 'generated', id, generation, pieces: generatedPieces, milliseconds: performance.now() - started });
    }
    schedulePieceTable();
  } catch (error) {
    post({ type: 'error', id, message: (error as Error).message, user: isUserError(error) });
  }
}

/**
 * The trace formulas read: the explanation's own arrays moved to the page, so the worker runs
 * the prompt again when the reader first inspects one of its numbers (the same kernels on the
 * same ids give the same numbers), and keeps that one trace until another prompt's is asked for.
 */
let formulaTrace: { model: GPT; ids: string; trace: Trace } | null = null;

function answerFormula(id: number, ids: number[], query: FormulaQuery): void {
  if (!loaded) {
    post({ type: 'error', id, message: 'No model is loaded yet.', user: true });
    return;
  }
  try {
    const { model, tokenizer } = loaded;
    if (!(model instanceof GPT)) {
      post({ type: 'error', id, message: 'Formulas are written for GPT-2’s steps; this model’s values are named, not broken down.', user: true });
      return;
    }
    const key = ids.join(',');
    if (formulaTrace?.model !== model || formulaTrace.ids !== key) formulaTrace = { model, ids: key, trace: model.trace(ids) };
    const formula = formulaOf(model, formulaTrace.trace, ids, query, (i) => pieceOf(tokenizer, i));
    post({ type: 'formula', id, formula });
  } catch (error) {
    post({ type: 'error', id, message: (error as Error).message, user: false });
  }
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'load') void load(message.id, message.source);
  else if (message.type === 'cancel') {
    if (loading?.id === message.id) loading.abort.abort();
  } else if (message.type === 'formula') answerFormula(message.id, message.ids, message.query);
  else explainPrompt(message.id, message.request);
};
