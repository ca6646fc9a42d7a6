// The page's side of the model worker: promises for "load a model" and "explain a prompt".
// Explain requests coalesce: while one runs, only the latest waiting request is kept, so typing
// fast never queues stale forward passes. Rebuilds each Explanation's piece function.

import type { Explanation, TokenPiece } from '../model/explanation.ts';
import type { Formula, FormulaQuery } from '../model/formula.ts';
import type { ComputeState, ExplainRequest, ExplanationData, FromWorker, GpuProbe, HistoryGuess, HistoryModelSource, LoadedModel, ModelSource, ToWorker, WorkerModelSource } from './worker-protocol.ts';
import { DownloadCancelled, DownloadError, fetchModelFolder } from './model-download.ts';
import workerUrl from './model-worker.ts?worker&url';

/** An error from the worker; `user` says whether the reader can fix it (bad file, bad prompt). */
export class WorkerError extends Error {
  override name = 'WorkerError';
  constructor(
    message: string,
    readonly user: boolean,
    readonly cancelled = false,
    /** A cached copy failed to load and was removed from the cache. */
    readonly evicted = false,
  ) {
    super(message);
  }
}

/** A request superseded by a newer one before it ran. */
export class Superseded extends Error {
  override name = 'Superseded';
}

/**
 * The model's worker. A browser starts a worker only from a script of the page's own origin; when
 * the script lives elsewhere (the element loaded from a CDN), a one-line script of the page's
 * origin imports it, which the other server's CORS headers allow.
 */
function startWorker(): Worker {
  const url = new URL(workerUrl, location.href);
  if (url.origin === location.origin) return new Worker(url, { type: 'module', name: 'model' });
  const stub = `import ${JSON.stringify(url.href)}; URL.revokeObjectURL(import.meta.url);`;
  return new Worker(URL.createObjectURL(new Blob([stub], { type: 'text/javascript' })), { type: 'module', name: 'model' });
}

type Pending = { resolve: (value: FromWorker) => void; reject: (error: Error) => void; events?: LoadEvents };

/** What a load reports while it runs. */
export interface LoadEvents {
  progress(file: string, loadedBytes: number, totalBytes: number | null): void;
  /** What the model needs in memory (before any weight is read). */
  plan(text: string): void;
}

export class ModelClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private running = false;
  private waiting: { request: ExplainRequest; resolve: (e: Explanation) => void; reject: (e: Error) => void; onFirst?: (e: Explanation) => void } | null = null;
  /** Every token's piece for the current model, once the worker has sent the table. */
  private pieceTable: string[] = [];
  private modelLoadId = 0;
  model: LoadedModel | null = null;
  /** Called when the worker goes back to WebAssembly on its own (the GPU failed), with why. */
  onComputeChange: ((state: ComputeState) => void) | null = null;
  /** The worker's time for the last explanation, in milliseconds (for the benchmark): all of it, and its first part alone. */
  lastExplainMilliseconds = 0;
  lastFirstPartMilliseconds = 0;

  constructor() {
    this.worker = startWorker();
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    this.worker.onerror = (event) => {
      const error = new WorkerError(`The model worker failed: ${event.message}`, false);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
  }

  /** Ends the worker (a model that failed to load is not kept); pending requests never settle. */
  close(): void {
    this.worker.terminate();
  }

  private receive(message: FromWorker): void {
    if (message.type === 'pieces') {
      if (message.id === this.modelLoadId) message.pieces.forEach((piece, i) => (this.pieceTable[message.start + i] = piece));
      return;
    }
    if (message.type === 'compute' && message.id === 0) {
      this.onComputeChange?.(message.state);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') {
      pending.events?.progress(message.file, message.loadedBytes, message.totalBytes);
      return;
    }
    if (message.type === 'plan') {
      pending.events?.plan(message.text);
      return;
    }
    if (message.type === 'unloaded') {
      this.model = null;
      return;
    }
    // An explanation whose generated tokens are still to come keeps its request open.
    if (message.type !== 'explained' || !message.generating) this.pending.delete(message.id);
    if (message.type === 'error') pending.reject(new WorkerError(message.message, message.user, message.cancelled, message.evicted));
    else pending.resolve(message);
  }

  private send(message: ToWorker, pending: Pending, transfer: Transferable[] = []): void {
    this.pending.set(message.id, pending);
    this.worker.postMessage(message, transfer);
  }

  /**
   * Loads a model; returns a cancel function alongside the promise. Files at plain URLs (the
   * built-in model) are fetched here, by the page, and handed over: the page can start at once,
   * while a new worker takes half a second or more to start.
   */
  load(source: ModelSource, events: LoadEvents): { done: Promise<LoadedModel>; cancel: () => void } {
    const id = this.nextId++;
    const abort = new AbortController();
    const done = (async () => {
      if (source.kind !== 'url') return this.loadInWorker(id, source, events);
      const fetchStartedAt = performance.timeOrigin + performance.now();
      let folder;
      try {
        folder = await fetchModelFolder(source, abort.signal, (file) => (loaded, total) => events.progress(file, loaded, total));
      } catch (error) {
        const cancelled = error instanceof DownloadCancelled;
        throw new WorkerError((error as Error).message, cancelled || error instanceof DownloadError, cancelled);
      }
      const fetchedAt = performance.timeOrigin + performance.now();
      const weightsBytes = folder.weights.length; // read before the bytes move to the worker
      const model = await this.loadInWorker(id, { kind: 'bytes', name: source.name, ...folder }, events);
      const weightsFetch = performance.getEntriesByName(source.weightsUrl).pop() as PerformanceResourceTiming | undefined;
      model.timings = {
        ...model.timings,
        fetchStartedAt,
        fetchedAt,
        weightsFirstByteAt: weightsFetch ? performance.timeOrigin + weightsFetch.responseStart : 0,
        weightsBytes,
      };
      return model;
    })();
    const cancel = () => {
      abort.abort();
      this.worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
    };
    return { done, cancel };
  }

  private loadInWorker(id: number, source: WorkerModelSource, events: LoadEvents): Promise<LoadedModel> {
    // Fetched bytes move to the worker instead of being copied.
    return this.switchModel({ type: 'load', id, source }, events, source.kind === 'bytes' ? [source.weights.buffer as ArrayBuffer] : []);
  }

  /** Sends a message the worker answers with 'loaded' (a new model to explain with). */
  private switchModel(message: ToWorker, events?: LoadEvents, transfer: Transferable[] = []): Promise<LoadedModel> {
    return new Promise<LoadedModel>((resolve, reject) => {
      this.send(
        message,
        {
          resolve: (m) => {
            if (m.type !== 'loaded') return;
            this.model = m.model;
            this.modelLoadId = message.id;
            this.pieceTable = [];
            resolve(m.model);
          },
          reject,
          events,
        },
        transfer,
      );
    });
  }

  /** Has the worker fetch and build every model of the training history; resolves with their steps. */
  loadHistory(models: HistoryModelSource[], progress: LoadEvents['progress']): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.send(
        { type: 'load-history', id: this.nextId++, models },
        { resolve: (m) => m.type === 'history-ready' && resolve(m.steps), reject, events: { progress, plan: () => {} } },
      );
    });
  }

  /** Makes history model `index` the one every scene shows (explain() then runs it). */
  useHistory(index: number): Promise<LoadedModel> {
    return this.switchModel({ type: 'use-history', id: this.nextId++, index });
  }

  /** Every history model's next-token prediction for `prompt`. */
  guessHistory(prompt: string, top: number): Promise<HistoryGuess[]> {
    return new Promise((resolve, reject) => {
      this.send({ type: 'guess-history', id: this.nextId++, prompt, top }, { resolve: (m) => m.type === 'history-guesses' && resolve(m.guesses), reject });
    });
  }

  /**
   * Runs the model on a prompt; resolves with the whole Explanation. `onFirst`, if given, gets
   * it earlier without its generated tokens (an empty `generation`), which come last. A request
   * still waiting when a newer one arrives rejects with Superseded.
   */
  explain(request: ExplainRequest, onFirst?: (e: Explanation) => void): Promise<Explanation> {
    return new Promise((resolve, reject) => {
      this.waiting?.reject(new Superseded('a newer prompt replaced this one'));
      this.waiting = { request, resolve, reject, onFirst };
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || !this.waiting) return;
    const { request, resolve, reject, onFirst } = this.waiting;
    this.waiting = null;
    this.running = true;
    const id = this.nextId++;
    let first: ExplanationData | null = null;
    const finish = () => {
      this.running = false;
      this.pump();
    };
    this.send(
      { type: 'explain', id, request },
      {
        resolve: (m) => {
          if (m.type === 'explained') {
            this.lastFirstPartMilliseconds = this.lastExplainMilliseconds = m.milliseconds;
            first = m.explanation;
            if (m.generating) {
              onFirst?.(this.withPieces(first));
              return; // the request stays open until its generation arrives
            }
            resolve(this.withPieces(first));
          } else if (m.type === 'generated' && first) {
            this.lastExplainMilliseconds += m.milliseconds;
            resolve(this.withPieces({ ...first, generation: m.generation, pieces: [...first.pieces, ...m.pieces] }));
          }
          finish();
        },
        reject: (e) => {
          reject(e);
          finish();
        },
      },
    );
  }

  /**
   * The formula of one value of an explanation (null for a value derived from it), computed by
   * the worker, which has the weights. A function of its own, so the player can be handed it.
   */
  readonly formula = (query: FormulaQuery, explanation: Explanation): Promise<Formula | null> => {
    const { source, masked, sumOf, complementOf } = query; // a spot also carries where it is drawn
    const ids = explanation.tokens.map((t) => t.id);
    return new Promise((resolve, reject) => {
      this.send(
        { type: 'formula', id: this.nextId++, ids, query: { source: { ...source }, masked, sumOf, complementOf } },
        { resolve: (m) => m.type === 'formula' && resolve(m.formula), reject },
      );
    });
  };

  /** Whether the worker could compute on the GPU here, and if not, why. */
  probeGpu(): Promise<GpuProbe> {
    return new Promise((resolve, reject) => {
      this.send({ type: 'probe-gpu', id: this.nextId++ }, { resolve: (m) => m.type === 'gpu-probe' && resolve(m.probe), reject });
    });
  }

  /** Asks the worker to compute on the GPU (its worker's script at `helperUrl`), or (null) with WebAssembly. */
  compute(gpu: { helperUrl: string } | null): Promise<ComputeState> {
    return new Promise((resolve, reject) => {
      this.send({ type: 'compute', id: this.nextId++, gpu }, { resolve: (m) => m.type === 'compute' && resolve(m.state), reject });
    });
  }

  /** Gives an Explanation from the worker (and its second prompt's) back its piece function. */
  withPieces(data: ExplanationData): Explanation {
    const { pieces: likely, compare, ...rest } = data;
    const known = new Map(likely);
    const piece = (id: number): TokenPiece => ({ id, text: known.get(id) ?? this.pieceTable[id] ?? `<token ${id}>` });
    return { ...rest, piece, ...(compare && { compare: { ...compare, piece } }) };
  }
}
