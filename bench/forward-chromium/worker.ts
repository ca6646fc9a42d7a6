// Web Worker of bench/forward-chromium/: holds the benchmark's model off the page's main
// thread, as the real page does (src/web/model-worker.ts). "setup" makes and warms up the
// model and answers with BenchReady; each "time" answers with one pass's milliseconds.

/// <reference lib="webworker" />

import { ForwardBench } from './timing.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let bench: ForwardBench | null = null;

scope.onmessage = (event: MessageEvent<'setup' | 'time'>) => {
  try {
    if (event.data === 'setup') {
      bench = new ForwardBench();
      scope.postMessage({ ok: true, value: bench.ready });
    } else {
      if (!bench) throw new Error('"time" before "setup"');
      scope.postMessage({ ok: true, value: bench.timeOnce() });
    }
  } catch (error) {
    scope.postMessage({ ok: false, error: String(error) });
  }
};
