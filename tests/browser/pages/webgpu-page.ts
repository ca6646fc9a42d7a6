// The test page's side: starts the checking worker (webgpu-check.ts) and hands its answers to
// the test through window.gpuCheck. The products must run in a worker: they wait with Atomics.wait.

import type { CheckRequest, CheckAnswer } from './webgpu-check.ts';
import checkUrl from './webgpu-check.ts?worker&url';

const worker = new Worker(new URL(checkUrl, location.href), { type: 'module' });
let next = 1;
const pending = new Map<number, (answer: CheckAnswer) => void>();
worker.onmessage = (event: MessageEvent<{ id: number; answer: CheckAnswer }>) => {
  pending.get(event.data.id)?.(event.data.answer);
  pending.delete(event.data.id);
};

declare global {
  interface Window {
    gpuCheck(request: CheckRequest): Promise<CheckAnswer>;
  }
}

window.gpuCheck = (request) =>
  new Promise((resolve) => {
    const id = next++;
    pending.set(id, resolve);
    worker.postMessage({ id, request });
  });
