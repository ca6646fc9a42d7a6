// Web Worker of bench/forward-chromium/: runs the timed forward passes off the page's main
// thread, as the real page does (src/web/model-worker.ts), and posts the figures back.

/// <reference lib="webworker" />

import { timeTracedForward } from './timing.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (event: MessageEvent<{ reps: number }>) => {
  try {
    scope.postMessage({ ok: true, timing: timeTracedForward(event.data.reps) });
  } catch (error) {
    scope.postMessage({ ok: false, error: String(error) });
  }
};
