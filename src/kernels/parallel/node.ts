// Node only (uses node:worker_threads): starts the helper thread for ThreadedWasmKernels, so a
// product uses both cores. The page starts its helper as a Web Worker instead (browser.ts).

import { Worker } from 'node:worker_threads';
import { plainTrainingKernels, type TrainingKernels } from '../training.ts';
import { wasmSimdSupported } from '../wasm/wasm-kernels.ts';
import { HELPER_LOOP, ThreadedWasmKernels, type ThreadedOptions } from './threaded.ts';

/** The worker's whole program: instantiate the kernels on the shared memory, then serve jobs. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
(${HELPER_LOOP})(instance.exports, control);
`;

/**
 * WebAssembly SIMD kernels that split large products with one worker thread. The worker does
 * not keep the process alive; call stop() to end it early. Products run on the calling thread
 * alone until the worker has started (a few milliseconds).
 */
export function nodeThreadedKernels(options: ThreadedOptions = {}): ThreadedWasmKernels {
  const kernels = new ThreadedWasmKernels(options);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: kernels.start });
  worker.on('error', () => kernels.stop());
  worker.unref();
  return kernels;
}

/** Training kernels for Node using both cores (weights copied in on each call, as they change every step). */
export function nodeTrainingKernels(): TrainingKernels {
  return wasmSimdSupported() ? nodeThreadedKernels({ resident: false }) : plainTrainingKernels;
}
