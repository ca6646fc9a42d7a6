// Browser only: starts the helper thread for ThreadedWasmKernels as a Web Worker built from a
// Blob (no file to fetch). Needs a cross-origin-isolated page (COOP + COEP headers) for
// SharedArrayBuffer, and must be used from inside a Worker: the calling thread waits on
// Atomics, which a page's main thread may not do.

import { HELPER_LOOP, ThreadedWasmKernels, type ThreadedOptions } from './threaded.ts';

const WORKER_SOURCE = `self.onmessage = (event) => {
  const { module, memory, control } = event.data;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  (${HELPER_LOOP})(instance.exports, control);
};`;

/** True when this context can run the two-thread kernels: shared memory, and a Worker to wait in. */
export function browserThreadsAvailable(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown; Worker?: unknown };
  return typeof SharedArrayBuffer === 'function' && g.crossOriginIsolated === true && g.document === undefined && typeof g.Worker === 'function';
}

/**
 * Two-thread WebAssembly SIMD kernels for a Web Worker, or null when the context cannot
 * support them (then use bestKernels()). Products run on one thread until the helper starts.
 */
export function browserThreadedKernels(options: ThreadedOptions = {}): ThreadedWasmKernels | null {
  if (!browserThreadsAvailable()) return null;
  const kernels = new ThreadedWasmKernels(options);
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  worker.onerror = () => kernels.stop();
  worker.postMessage(kernels.start);
  return kernels;
}
