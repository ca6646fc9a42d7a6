// onnxruntime-web's side of bench/forward-ort-web.ts, in a Web Worker: its WebAssembly backend
// on the graphs bench/onnx_export.py wrote from the same safetensors file our side loads.
// logits.onnx runs the untraced pass (ids → logits of every position); step.onnx decodes one
// token on a cache of keys and values that it filled itself, one prompt token at a time from
// an empty cache (untimed), as its own KV cache. The .wasm comes from node_modules through
// Vite (ortWasmUrl): nothing is fetched from a CDN.

/// <reference lib="webworker" />

import * as ort from 'onnxruntime-web/wasm';
import { fetchFile, lastRow, serve, THREADS } from './protocol.ts';

/** The int64 ids tensor both graphs take. */
const idsTensor = (ids: number[]) => new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [ids.length]);

serve(async ({ folderUrl, ids, prompt, ortWasmUrl }) => {
  ort.env.wasm.numThreads = THREADS;
  ort.env.wasm.wasmPaths = { wasm: ortWasmUrl };
  ort.env.wasm.proxy = false; // already off the page's main thread
  const started = performance.now();
  const config = (await (await fetchFile(`${folderUrl}config.json`)).json()) as { n_embd: number; vocab_size: number };
  // The exporter keeps the weights beside each graph in "<graph>.onnx.data"; ORT fetches both.
  const open = (graph: string) =>
    ort.InferenceSession.create(`${folderUrl}onnx/${graph}.onnx`, {
      executionProviders: ['wasm'],
      externalData: [{ path: `${graph}.onnx.data`, data: `${folderUrl}onnx/${graph}.onnx.data` }],
    });
  const logits = await open('logits');
  const step = await open('step');
  const setupMs = performance.now() - started;

  // step.onnx's inputs: "ids", then each layer's keys and values (P × C); its outputs: "logits",
  // then the same with the new position appended, in the same order.
  const [, ...pastNames] = step.inputNames;
  const [, ...presentNames] = step.outputNames;
  const feedsAfter = (token: number, past: ort.Tensor[]): Record<string, ort.Tensor> =>
    Object.fromEntries([['ids', idsTensor([token])], ...pastNames.map((name, i) => [name, past[i]])]);
  let past: ort.Tensor[] = pastNames.map(() => new ort.Tensor('float32', new Float32Array(0), [0, config.n_embd]));
  for (const token of ids.slice(0, prompt)) {
    const out = await step.run(feedsAfter(token, past));
    past = presentNames.map((name) => out[name]);
  }
  const decodeFeeds = feedsAfter(ids[prompt], past);
  const run = async (session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<[number, Float32Array]> => {
    const start = performance.now();
    const out = await session.run(feeds);
    const ms = performance.now() - start;
    return [ms, out.logits.data as Float32Array];
  };
  const forwardFeeds = (T: number) => ({ ids: idsTensor(ids.slice(0, T)) });
  const side = {
    forward: async (T: number) => (await run(logits, forwardFeeds(T)))[0],
    decode: async () => (await run(step, decodeFeeds))[0],
    logits: async (of: 'decode' | number) => lastRow((await (of === 'decode' ? run(step, decodeFeeds) : run(logits, forwardFeeds(of))))[1], config.vocab_size),
  };
  return [side, { engine: `onnxruntime-web ${ort.env.versions.web}, WebAssembly backend`, threads: ort.env.wasm.numThreads ?? THREADS, crossOriginIsolated: self.crossOriginIsolated, setupMs }];
});
