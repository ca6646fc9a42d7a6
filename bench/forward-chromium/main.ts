// Page side of bench/forward-chromium.ts: starts the benchmark's Web Worker and exposes
// window.forwardBench, whose setup(), timeOnce() and freshMemoryOnce() forward to the worker and resolve with its answer.

import type { BenchReady } from './timing.ts';

type Reply = { ok: true; value: unknown } | { ok: false; error: string };

declare global {
  interface Window {
    forwardBench: { setup(): Promise<BenchReady>; timeOnce(): Promise<number>; freshMemoryOnce(): Promise<number> };
  }
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });

/** Sends one request and waits for its reply (the driver sends one at a time). */
function ask<T>(request: 'setup' | 'time' | 'fresh-memory'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<Reply>) => {
      if (event.data.ok) resolve(event.data.value as T);
      else reject(new Error(event.data.error));
    };
    worker.onerror = (event) => reject(new Error(`worker failed: ${event.message}`));
    worker.postMessage(request);
  });
}

window.forwardBench = { setup: () => ask<BenchReady>('setup'), timeOnce: () => ask<number>('time'), freshMemoryOnce: () => ask<number>('fresh-memory') };
