// What bench/forward-ort-web.ts asks of its two Web Workers (ours-worker.ts: our engine;
// ort-worker.ts: onnxruntime-web), and the loop each worker answers with. Both sides answer
// the same requests, so the driver can take turns between them pass by pass.

/**
 * Threads on each side. The page's kernels (bestKernels) run on one thread, so onnxruntime-web
 * is given one too; more would need the page cross-origin isolated (SharedArrayBuffer).
 */
export const THREADS = 1;

/** What both sides are given: where the files are, and the tokens to run. */
export interface SetupRequest {
  op: 'setup';
  /** The model folder's URL, ending in "/": config.json and model.safetensors (ours), onnx/*.onnx (ORT). */
  folderUrl: string;
  /** Token ids: a pass at T runs ids[:T]; decoding runs ids[prompt] after ids[:prompt]. */
  ids: number[];
  prompt: number;
  /** onnxruntime-web's WebAssembly binary, served by Vite from node_modules (ORT only). */
  ortWasmUrl: string;
}

export type Request =
  | SetupRequest
  /** One untraced pass over ids[:T] (logits of every position); answers its milliseconds. */
  | { op: 'forward'; T: number }
  /** One cached decoding step, ids[prompt] on the prompt's cache; answers its milliseconds. */
  | { op: 'decode' }
  /** The last row of the logits of { op: 'forward', T } or of { op: 'decode' }, for the check. */
  | { op: 'logits'; of: 'decode' | number };

/** What a side says about itself once set up. */
export interface SideReady {
  /** Engine and build, e.g. "ours, relaxed-simd kernels" or "onnxruntime-web 1.31.1, wasm". */
  engine: string;
  threads: number;
  /** Whether the worker may share memory between threads (SharedArrayBuffer), which threads need. */
  crossOriginIsolated: boolean;
  /** Time to load the weights and warm nothing up (ms), for information. */
  setupMs: number;
}

/** One side: answers each request; times are measured inside the worker. */
export interface Side {
  forward(T: number): Promise<number>;
  decode(): Promise<number>;
  logits(of: 'decode' | number): Promise<number[]>;
}

export type Reply = { ok: true; value: unknown } | { ok: false; error: string };

/** Serves requests in this worker: "setup" makes the side with `make`, the rest go to it. */
export function serve(make: (setup: SetupRequest) => Promise<[Side, SideReady]>): void {
  const scope = self as unknown as { onmessage: ((event: MessageEvent<Request>) => void) | null; postMessage(reply: Reply): void };
  let side: Side | null = null;
  const answer = async (request: Request): Promise<unknown> => {
    if (request.op === 'setup') {
      const [made, ready] = await make(request);
      side = made;
      return ready;
    }
    if (!side) throw new Error(`"${request.op}" before "setup"`);
    if (request.op === 'forward') return side.forward(request.T);
    if (request.op === 'decode') return side.decode();
    return side.logits(request.of);
  };
  scope.onmessage = (event) => {
    answer(event.data).then(
      (value) => scope.postMessage({ ok: true, value }),
      (error: unknown) => scope.postMessage({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
    );
  };
}

/** The response for `url`, or an error naming it if the server has no such file. */
export async function fetchFile(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

/** The last row (V values) of a T × V array. */
export function lastRow(logits: Float32Array, V: number): number[] {
  return Array.from(logits.subarray(logits.length - V));
}
