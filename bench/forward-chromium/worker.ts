// Web Worker of bench/forward-chromium/: holds the benchmark's model off the page's main
// thread, as the real page does (src/web/model-worker.ts). "setup" makes and warms up the
// model and answers with BenchReady; each "time" answers with one pass's milliseconds, each
// "fresh-memory" with the milliseconds of allocating arrays the size of one trace.

/// <reference lib="webworker" />

import { ForwardBench } from './timing.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let bench: ForwardBench | null = null;

scope.onmessage = (event: MessageEvent<'setup' | 'time' | 'fresh-memory'>) => {
  try {
    if (event.data === 'setup') {
      bench = new ForwardBench();
      scope.postMessage({ ok: true, value: bench.ready });
    } else {
      if (!bench) throw new Error(`"${event.data}" before "setup"`);
      scope.postMessage({ ok: true, value: event.data === 'time' ? bench.timeOnce() : bench.freshMemoryOnce() });
    }
  } catch (error) {
    scope.postMessage({ ok: false, error: String(error) });
  }
};
