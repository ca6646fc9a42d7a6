// Browser only: starts the helper thread for ThreadedWasmKernels as a Web Worker, so the model's
// products use two cores. A browser shares memory between threads only with a cross-origin-isolated
// page (its server sends the headers in vite.config.ts); elsewhere this gives null, and the caller
// runs on one thread. Node starts its helper in node.ts.

import { fastestBuild, wasmSimdSupported } from '../wasm/wasm-kernels.ts';
import { HELPER_LOOP, ThreadedWasmKernels, type HelperStart } from './threaded.ts';

/** The helper's whole program: instantiate the kernels on the shared memory, serve jobs, then end. */
const WORKER_SOURCE = `onmessage = ({ data }) => {
  const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  (${HELPER_LOOP})(instance.exports, data.control);
  close();
};`;

/**
 * WebAssembly SIMD kernels that split large products with a helper Web Worker, or null where the
 * browser gives no shared memory (a page that is not cross-origin isolated) or no SIMD. Products
 * run on the calling thread alone until the helper has started; `stop()` ends the helper. Call it
 * from a worker: the calling thread waits for the helper's half with Atomics.wait, which a page's
 * main thread may not do.
 */
export function browserThreadedKernels(): ThreadedWasmKernels | null {
  const scope = globalThis as { crossOriginIsolated?: boolean };
  if (scope.crossOriginIsolated !== true || typeof Worker !== 'function' || !wasmSimdSupported()) return null;
  let kernels: ThreadedWasmKernels;
  try {
    kernels = new ThreadedWasmKernels({ build: fastestBuild() });
  } catch {
    return null; // no room for a shared memory here (a 32-bit browser, say): one thread it is
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  try {
    const helper = new Worker(url, { name: 'kernels-helper' });
    helper.onerror = () => kernels.stop();
    helper.postMessage(kernels.start satisfies HelperStart);
  } catch {
    kernels.stop();
  } finally {
    URL.revokeObjectURL(url); // the worker holds on to the script it was created from
  }
  return kernels;
}
