// A small GPT with seeded random weights, for tests that need a model but not a trained one.

import type { GPTConfig } from '../../src/model/config.ts';
import { GPT } from '../../src/model/gpt.ts';
import { SeededRandom } from '../../src/model/sampling.ts';
import { parameterShapes, weightsFromNamed } from '../../src/model/weights.ts';

export const TINY_CONFIG: GPTConfig = {
  nLayer: 2,
  nHead: 2,
  nEmbd: 8,
  vocabSize: 23,
  nPositions: 12,
  layerNormEpsilon: 1e-5,
  tieWordEmbeddings: true,
};

export function randomModel(config: GPTConfig = TINY_CONFIG, seed = 1, scale = 0.5): GPT<Float32Array> {
  const random = new SeededRandom(seed);
  const tensors = new Map(
    parameterShapes(config).map(({ name, shape }) => [
      name,
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random.next() - 0.5) * 2 * scale),
    ]),
  );
  return new GPT(config, weightsFromNamed(config, (name) => tensors.get(name)!));
}

/**
 * Like randomModel, with one set of block weights used by every block: a model of GPT-2 small's
 * shape (12 blocks, C = 768) in a seventh of its memory, for tests of what depends on the shape.
 */
export function randomModelSharingBlocks(config: GPTConfig, seed = 1, scale = 0.5): GPT<Float32Array> {
  const random = new SeededRandom(seed);
  const tensors = new Map<string, Float32Array>();
  for (const { name, shape } of parameterShapes(config)) {
    const shared = name.replace(/^h\.\d+\./, 'h.0.');
    if (!tensors.has(shared)) tensors.set(shared, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random.next() - 0.5) * 2 * scale));
  }
  return new GPT(config, weightsFromNamed(config, (name) => tensors.get(name.replace(/^h\.\d+\./, 'h.0.'))!));
}
