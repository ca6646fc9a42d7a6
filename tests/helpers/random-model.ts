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

export function randomModel(config: GPTConfig = TINY_CONFIG, seed = 1, scale = 0.5): GPT<Float32Array, Float32Array> {
  const random = new SeededRandom(seed);
  const tensors = new Map(
    parameterShapes(config).map(({ name, shape }) => [
      name,
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random.next() - 0.5) * 2 * scale),
    ]),
  );
  return new GPT(config, weightsFromNamed(config, (name) => tensors.get(name)!));
}
