// A tiny GPT-2-vocabulary model with seeded random weights, written to a folder at test time,
// so the browser tests can stand in for the hub (and for models/default/ when it is absent)
// without a binary fixture in the repo. Its numbers mean nothing; the page shows them faithfully.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GPTConfig } from '../../src/model/config.ts';
import { modelToFiles } from '../../src/model/checkpoint.ts';
import { parameterShapes, weightsFromNamed } from '../../src/model/weights.ts';
import { SeededRandom } from '../../src/model/sampling.ts';
import { tokenizerDescriptionText } from '../../src/model/tokenizer-file.ts';

export const TINY_CONFIG: GPTConfig = {
  nLayer: 2,
  nHead: 4,
  nEmbd: 16,
  vocabSize: 50257,
  nPositions: 64,
  layerNormEpsilon: 1e-5,
  tieWordEmbeddings: true,
};

/**
 * Large enough for the page to compute it on two threads (32 million parameters, 64 MB as halves;
 * see model-worker.ts), and small enough to write in a test.
 */
export const TWO_THREAD_CONFIG: GPTConfig = { ...TINY_CONFIG, nHead: 8, nEmbd: 512, nPositions: 128 };

/** Writes config.json, model.safetensors (F16) and animated-transformer.json into `dir`; returns `dir`. */
export function writeTinyModel(dir: string, seed = 1, config = TINY_CONFIG): string {
  const random = new SeededRandom(seed);
  const arrays = new Map<string, Float32Array>();
  for (const { name, shape } of parameterShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    // Layer-norm gains near 1, everything else small and centred on 0.
    const gain = /ln_\d\.weight|ln_f\.weight/.test(name);
    for (let i = 0; i < data.length; i++) data[i] = (gain ? 1 : 0) + (random.next() - 0.5) * (gain ? 0.2 : 0.4);
    arrays.set(name, data);
  }
  const { configJsonText, safetensorsBytes } = modelToFiles(config, weightsFromNamed(config, (n) => arrays.get(n)!), 'F16');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), configJsonText);
  writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes);
  writeFileSync(join(dir, 'animated-transformer.json'), tokenizerDescriptionText({ tokenizer: 'gpt2' }));
  return dir;
}
