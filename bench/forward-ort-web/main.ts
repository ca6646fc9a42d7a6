// Page side of bench/forward-ort-web.ts, opened once per side (?side=ours or ?side=ort, each
// tab in a renderer process of its own): starts that side's Web Worker and exposes
// window.ortWebBench.ask(request), which forwards the request to the worker and resolves with
// its answer (the driver sends one request at a time).

import type { Reply, Request } from './protocol.ts';

export type SideName = 'ours' | 'ort';

declare global {
  interface Window {
    ortWebBench: { ask(request: Request): Promise<unknown> };
  }
}

const side = new URLSearchParams(location.search).get('side');
if (side !== 'ours' && side !== 'ort') throw new Error(`open this page with ?side=ours or ?side=ort, not ${JSON.stringify(side)}`);
const worker =
  side === 'ours'
    ? new Worker(new URL('./ours-worker.ts', import.meta.url), { type: 'module' })
    : new Worker(new URL('./ort-worker.ts', import.meta.url), { type: 'module' });

function ask(request: Request): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<Reply>) => {
      if (event.data.ok) resolve(event.data.value);
      else reject(new Error(`${side}: ${event.data.error}`));
    };
    worker.onerror = (event) => reject(new Error(`${side}'s worker failed: ${event.message}`));
    worker.postMessage(request);
  });
}

window.ortWebBench = { ask };
