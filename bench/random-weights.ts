// The random GPT-2-shaped weights the benchmarks against other runtimes share (bench/forward.ts,
// bench/forward-ort-web.ts): GPT-2's own initialisation from a fixed seed, so that every side
// loads the same safetensors file and their logits can be compared.

import type { GPTConfig } from '../src/model/config.ts';
import { SeededRandom } from '../src/model/sampling.ts';
import { parameterShapes, weightsFromNamed, type GPTWeights } from '../src/model/weights.ts';

/** normal(0, 0.02) matrices, layer norms at weight 1 and bias 0, zero biases: GPT-2's init. */
export function randomWeights(config: GPTConfig, seed: number): GPTWeights {
  const random = new SeededRandom(seed);
  const normal = (): number => {
    // Box–Muller; 1 − u keeps the logarithm finite.
    const u = 1 - random.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
  };
  const tensors = new Map<string, Float32Array>();
  for (const { name, shape } of parameterShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) data.fill(1);
    else if (shape.length === 2) for (let i = 0; i < data.length; i++) data[i] = 0.02 * normal();
    tensors.set(name, data);
  }
  return weightsFromNamed(config, (name) => tensors.get(name)!);
}

/** `length` token ids drawn uniformly from the vocabulary with SeededRandom(seed). */
export function randomIds(config: GPTConfig, seed: number, length: number): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length }, () => Math.floor(random.next() * config.vocabSize));
}
