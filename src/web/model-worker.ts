// The model's Web Worker: loads a GPT-2-layout model (from the page's own files, the reader's
// files, or the hub when the reader asks), then answers "explain this prompt" requests, so the
// scenes keep animating while the forward pass runs, and "what is this value made of" requests
// (its formula, from the weights). Protocol in worker-protocol.ts.

/// <reference lib="webworker" />

import { checkWeightsFit, configFromText, modelFromFiles } from '../model/checkpoint.ts';
import { GPT } from '../model/gpt.ts';
import { tokensSharingRow } from '../model/weights.ts';
import { bestKernels } from '../kernels/index.ts';
import { explain, explainGeneration, InputError, lensPositionWithin } from '../model/explain.ts';
import type { Explanation, GenerationStep } from '../model/explanation.ts';
import { formulaOf, type FormulaQuery } from '../model/formula.ts';
import type { Trace } from '../model/trace.ts';
import { SCENES } from '../scenes/index.ts';
import { ModelError } from '../model/config.ts';
import { parseTokenizerDescription, TOKENIZER_FILE } from '../model/tokenizer-file.ts';
import { TokenizerError } from '../tokenizer/errors.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { DownloadCancelled, DownloadError, evict, fetchBytes, hubFileUrl, storeBytes } from './model-download.ts';
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

let loaded: { id: number; model: GPT; tokenizer: Tokenizer; name: string; tableSent: boolean } | null = null;
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

interface ModelFiles {
  name: string;
  configText: string;
  weights: Uint8Array;
  metaText: string | null;
  fromCache: boolean;
  /** For a hub download: where its files live and which came from the cache. */
  hub?: HubFiles;
}

interface HubFiles {
  configUrl: string;
  configBytes: Uint8Array;
  configFromCache: boolean;
  weightsUrl: string;
  weightsFromCache: boolean;
}

/** A load that failed on files already fetched: which files they were, so cached ones can be evicted. */
class LoadFailure extends Error {
  constructor(
    readonly reason: Error,
    readonly hub: HubFiles,
  ) {
    super(reason.message);
  }
}

async function readSource(id: number, source: WorkerModelSource, signal: AbortSignal): Promise<ModelFiles> {
  const decoder = new TextDecoder();
  const progress = (file: string) => (loadedBytes: number, totalBytes: number | null) =>
    post({ type: 'progress', id, file, loadedBytes, totalBytes });
  if (source.kind === 'bytes') {
    return { name: source.name, configText: source.configText, weights: source.weights, metaText: source.metaText, fromCache: false };
  }
  if (source.kind === 'hub') {
    // Hub checkpoints are GPT-2 layout with GPT-2's tokenizer, so only these two files are needed.
    // Nothing is stored until the model has been built from them (load() does it).
    const configUrl = hubFileUrl(source.hubBase, source.repo, 'config.json');
    const weightsUrl = hubFileUrl(source.hubBase, source.repo, 'model.safetensors');
    const config = await fetchBytes(configUrl, { signal, onProgress: progress('config.json'), readCache: true });
    const configText = decoder.decode(config.bytes);
    const files = { configUrl, configBytes: config.bytes, configFromCache: config.fromCache, weightsUrl, weightsFromCache: false };
    let shape;
    try {
      // A wrong config.json is refused before its weights are downloaded or memory is sized from it.
      shape = configFromText(configText, `${source.repo}/config.json`);
    } catch (error) {
      throw new LoadFailure(error as Error, files);
    }
    const weights = await fetchBytes(weightsUrl, {
      signal,
      onProgress: progress('model.safetensors'),
      readCache: true,
      checkSize: (total) => {
        if (total !== null) checkWeightsFit(shape, total, `${source.repo}/model.safetensors`, `${source.repo}/config.json`);
      },
    }).catch((error: Error) => {
      throw error instanceof ModelError ? new LoadFailure(error, files) : error;
    });
    files.weightsFromCache = weights.fromCache;
    return { name: source.repo, configText, weights: weights.bytes, metaText: null, fromCache: weights.fromCache, hub: files };
  }
  const byName = (name: string) => source.files.find((f) => f.name === name);
  const configFile = byName('config.json');
  const weightsFile = byName('model.safetensors');
  const picked = source.files.map((f) => f.name).join(', ') || 'nothing';
  if (!configFile || !weightsFile) {
    throw new ModelError(`A model needs both config.json and model.safetensors; you picked ${picked}. Pick both files (or the folder holding them).`);
  }
  const metaFile = byName(TOKENIZER_FILE);
  const folder = (source.name ?? (weightsFile.webkitRelativePath.split('/')[0] || 'your files')).slice(0, 80);
  return {
    name: folder,
    configText: await configFile.text(),
    weights: new Uint8Array(await weightsFile.arrayBuffer()),
    metaText: metaFile ? await metaFile.text() : null,
    fromCache: false,
  };
}

async function load(id: number, source: WorkerModelSource): Promise<void> {
  loading?.abort.abort();
  const abort = new AbortController();
  loading = { id, abort };
  let hubFiles: HubFiles | null = null;
  try {
    const started = performance.now();
    const files = await readSource(id, source, abort.signal);
    hubFiles = files.hub ?? null;
    const read = performance.now() - started;
    // The model is built first: GPT-2's tokenizer tables may still be on their way (their chunk
    // loads and compiles in the background meanwhile).
    const { config, weights } = modelFromFiles(files.configText, files.weights, files.name, { compactEmbeddings: true });
    // WebAssembly SIMD kernels when the browser has them; the worker already keeps the page responsive.
    const model = new GPT(config, weights, bestKernels());
    const build = performance.now() - started - read;
    const { loadTokenizer } = await tokenizers;
    const tokenizerWait = performance.now() - started - read - build;
    const tokenizer = loadTokenizer(parseTokenizerDescription(files.metaText, `${files.name}/${TOKENIZER_FILE}`));
    if (tokenizer.vocabSize > model.config.vocabSize) {
      throw new ModelError(
        `${files.name}: the ${tokenizer.kind} tokenizer has ${tokenizer.vocabSize} tokens but the model only ${model.config.vocabSize}; ` +
          `a model trained with another tokenizer needs its ${TOKENIZER_FILE} beside config.json.`,
      );
    }
    if (loading?.id !== id) return; // a newer load replaced this one
    // Only now, with the model built from them, are downloaded files worth keeping.
    let cacheNote: string | undefined;
    if (files.hub) {
      try {
        if (!files.hub.configFromCache) await storeBytes(files.hub.configUrl, files.hub.configBytes);
        if (!files.hub.weightsFromCache) await storeBytes(files.hub.weightsUrl, files.weights);
      } catch (error) {
        await evict([files.hub.configUrl, files.hub.weightsUrl]).catch(() => {});
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
      build,
      tokenizerWait,
      tokenizerTables,
    };
    const info: LoadedModel = {
      name: files.name,
      config: model.config,
      tokenizer: tokenizer.kind,
      fromCache: files.fromCache,
      sharedRowTokens: tokensSharingRow(weights.wte, config.nEmbd),
      kernels: model.kernels.name,
      timings,
      cacheNote,
    };
    post({ type: 'loaded', id, model: info });
  } catch (caught) {
    const failedFiles = caught instanceof LoadFailure ? caught.hub : hubFiles;
    const error = caught instanceof LoadFailure ? caught.reason : (caught as Error);
    const cancelled = error instanceof DownloadCancelled;
    let message = error.message;
    let evicted = false;
    // A cached copy that does not load is removed, so it is never served again.
    const cached = failedFiles && !cancelled && !(error instanceof DownloadError)
      ? [failedFiles.configFromCache && failedFiles.configUrl, failedFiles.weightsFromCache && failedFiles.weightsUrl].filter((u): u is string => !!u)
      : [];
    if (cached.length > 0 && failedFiles) {
      await evict([failedFiles.configUrl, failedFiles.weightsUrl]).catch(() => {});
      evicted = true;
      message = `the copy in your browser's cache could not be loaded (${message}), so it was removed. Press “Download again” to fetch a fresh copy.`;
    }
    post({ type: 'error', id, message, user: cancelled || evicted || isUserError(error), cancelled, evicted });
  } finally {
    if (loading?.id === id) loading = null;
  }
}

function pieceOf(tokenizer: Tokenizer, id: number): string {
  return id < tokenizer.vocabSize ? tokenizer.piece(id) : `<unused ${id}>`;
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
    const window = request.window > 0 ? Math.min(request.window, model.config.nPositions) : model.config.nPositions;
    const layer = Math.min(request.layer, model.config.nLayer - 1);
    const head = Math.min(request.head, model.config.nHead - 1);
    // A position past the end of a shorter prompt reads its last token (explain's default).
    const tokens = request.lensPosition === null ? 0 : Math.min(tokenizer.encode(request.prompt).length, model.config.nPositions);
    const lensPosition = lensPositionWithin(request.lensPosition, tokens);
    // The generated tokens come second: the other scenes are drawn meanwhile.
    const explanation = explain(model, tokenizer, request.prompt, {
      modelName: name, layer, head, sampling: request.sampling, generateTokens: 0, generationWindow: window, lensPosition,
      compare: request.compare ?? undefined,
    });
    const generating = request.generateTokens > 0;
    // The piece function cannot cross to the page: send the pieces the scenes draw.
    const { piece } = explanation;
    const pieces = [...labelledIds(explanation)].map((i): [number, string] => [i, pieceOf(tokenizer, i)]);
    // Every traced tensor has its own array (as has sampledProbs): move their buffers to the page
    // instead of copying them (51 MB of logits and probabilities for GPT-2 small at T = 128).
    // So is any other array the explanation holds (a derived value computed with the model).
    const bare = [explanation, ...(explanation.compare ? [explanation.compare] : [])].map(({ piece: _piece, compare: _compare, ...rest }) => rest);
    const buffers = new Set(bare.flatMap((rest) => [...rest.trace.values()].map((t) => t.data.buffer as ArrayBuffer)));
    for (const rest of bare) for (const value of Object.values(rest)) if (value instanceof Float32Array) buffers.add(value.buffer as ArrayBuffer);
    const ids = explanation.tokens.map((t) => t.id);
    const data = { ...bare[0], pieces, ...(bare[1] && { compare: bare[1] }) };
    post({ type: 'explained', id, explanation: data, generating, milliseconds: performance.now() - started }, [...buffers]);
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
