// Our side of bench/forward-ort-web.ts, in a Web Worker as the page runs the model: the same
// folder loaded the way the page's worker loads it (src/web/model-worker.ts: bestKernels(),
// the memory plan, the large matrices held by the kernels, compact embeddings), then untraced
// passes (model.forward, logits of every position) and KV-cached decoding steps.

/// <reference lib="webworker" />

import { bestKernels } from '../../src/kernels/index.ts';
import { CONFIG_FILE, configFromText, modelFromFiles, WEIGHTS_FILE } from '../../src/model/checkpoint.ts';
import { GPT, KVCache } from '../../src/model/gpt.ts';
import { reserveFor } from '../../src/model/memory.ts';
import { fetchFile, lastRow, serve, THREADS } from './protocol.ts';

serve(async ({ folderUrl, ids, prompt }) => {
  const started = performance.now();
  const kernels = bestKernels();
  const configText = await (await fetchFile(folderUrl + CONFIG_FILE)).text();
  const config = configFromText(configText, CONFIG_FILE);
  const plan = reserveFor(config, kernels, folderUrl);
  const bytes = new Uint8Array(await (await fetchFile(folderUrl + WEIGHTS_FILE)).arrayBuffer());
  const { weights } = modelFromFiles(configText, bytes, folderUrl, { kernels, precision: plan.precision, compactEmbeddings: true });
  const model = new GPT(config, weights, kernels);
  const setupMs = performance.now() - started;

  // The prompt's keys and values, made once; each decoding step rewinds the cache to them.
  const cache = new KVCache(config, prompt + 1);
  model.forward(ids.slice(0, prompt), { cache, lastOnly: true });
  const step = () => {
    cache.length = prompt;
    return model.forward([ids[prompt]], { cache, lastOnly: true }).logits; // 1 × V
  };
  const timed = (work: () => unknown): number => {
    const start = performance.now();
    work();
    return performance.now() - start;
  };
  const side = {
    forward: async (T: number) => {
      const input = ids.slice(0, T);
      return timed(() => model.forward(input));
    },
    decode: async () => timed(step),
    logits: async (of: 'decode' | number) => lastRow(of === 'decode' ? step() : model.forward(ids.slice(0, of)).logits, config.vocabSize),
  };
  return [side, { engine: `${kernels.name} kernels, weight matrices held as ${plan.precision}`, threads: THREADS, crossOriginIsolated: self.crossOriginIsolated, setupMs }];
});
