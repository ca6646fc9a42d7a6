// Page side of bench/forward-chromium.ts: window.runForwardBench(reps) starts the worker, which makes
// the random model and times the traced passes; the result (or the error) comes back as a promise.

import type { ForwardTiming } from './timing.ts';

declare global {
  interface Window {
    runForwardBench(reps: number): Promise<ForwardTiming>;
  }
}

window.runForwardBench = (reps: number) =>
  new Promise<ForwardTiming>((resolve, reject) => {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<{ ok: true; timing: ForwardTiming } | { ok: false; error: string }>) => {
      worker.terminate();
      document.getElementById('status')!.textContent = 'done';
      if (event.data.ok) resolve(event.data.timing);
      else reject(new Error(event.data.error));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`worker failed: ${event.message}`));
    };
    worker.postMessage({ reps });
  });
