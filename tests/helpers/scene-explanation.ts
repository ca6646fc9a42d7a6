// Explanations for scene tests: a seeded random-weight GPT with GPT-2's real tokenizer and
// vocabulary, run through explain() exactly as the page does. Wide enough (C = 96, 6 heads)
// that matrices need their "…" columns, small enough to build in well under a second. Each has a
// second prompt (DEFAULT_COMPARE_PROMPT unless the options give another), for the scenes that
// compare two prompts; the others never read it.

import type { GPTConfig } from '../../src/model/config.ts';
import { DEFAULT_COMPARE_PROMPT, explain, type ExplainOptions } from '../../src/model/explain.ts';
import type { Explanation } from '../../src/model/explanation.ts';
import { GPT } from '../../src/model/gpt.ts';
import { parameterShapes, weightsFromNamed } from '../../src/model/weights.ts';
import { bestKernels } from '../../src/kernels/index.ts';
import { gpt2Tokenizer } from '../../src/tokenizer/index.ts';
import { randomModel } from './random-model.ts';

export const SCENE_CONFIG: GPTConfig = {
  nLayer: 3,
  nHead: 6,
  nEmbd: 96,
  vocabSize: 50257,
  nPositions: 24,
  layerNormEpsilon: 1e-5,
  tieWordEmbeddings: true,
};

const memo = new Map<string, Explanation>();

export function sceneExplanation(prompt = 'The robots will bring', options: Partial<ExplainOptions> = {}): Explanation {
  const settings: ExplainOptions = {
    modelName: 'random test GPT',
    layer: 1,
    head: 2,
    generateTokens: 7,
    generationWindow: 8,
    compare: DEFAULT_COMPARE_PROMPT,
    ...options,
  };
  // (No second prompt is a setting of its own, which JSON would leave out.)
  const key = JSON.stringify([prompt, settings, settings.compare ?? null]);
  const hit = memo.get(key);
  if (hit) return hit;
  const ex = explain(randomModel(SCENE_CONFIG, 7, 0.35), gpt2Tokenizer(), prompt, settings);
  memo.set(key, ex);
  return ex;
}

/** GPT-2 small's widths (C = 768, 12 heads of 64, 50,257 tokens) in two random blocks: for screenshots. */
export function wideExplanation(prompt: string): Explanation {
  const config: GPTConfig = { ...SCENE_CONFIG, nLayer: 2, nHead: 12, nEmbd: 768, nPositions: 64 };
  return explain(randomModel(config, 11, 0.08), gpt2Tokenizer(), prompt, { modelName: 'random GPT-2-wide', layer: 1, head: 3, generateTokens: 5, compare: DEFAULT_COMPARE_PROMPT });
}

/** Two blocks of two heads and a prompt of every one of its 160 positions. */
export function fullContextExplanation(): Explanation {
  const config: GPTConfig = { ...SCENE_CONFIG, nLayer: 2, nHead: 2, nEmbd: 32, nPositions: 160 };
  const words = 'the robots will bring the parcels to every house in the town before the sun sets and then';
  const prompt = Array.from({ length: 20 }, () => words).join(' ');
  // The second prompt: the same words but for one, which lands about a hundred tokens into the context.
  const second = prompt.split(' ').map((word, i) => (i === 300 ? 'robots' : word)).join(' ');
  return explain(randomModel(config, 17, 0.5), gpt2Tokenizer(), prompt, { modelName: 'random 2 × 2, full context', layer: 1, head: 0, generateTokens: 1, compare: second });
}

/** GPT-2 small's shape: 12 blocks of 12 heads, C = 768, 1,024 positions, 50,257 tokens. */
export const GPT2_SMALL: GPTConfig = { nLayer: 12, nHead: 12, nEmbd: 768, vocabSize: 50257, nPositions: 1024, layerNormEpsilon: 1e-5, tieWordEmbeddings: true };

/**
 * GPT-2 small's shape with random weights (124M of them, filled by xorshift: SeededRandom would
 * take half a minute), run with the fastest kernels: two-digit blocks and heads, four-digit sizes.
 */
export function gpt2SmallExplanation(prompt: string, compare = DEFAULT_COMPARE_PROMPT): Explanation {
  let x = 2463534242;
  const tensors = new Map(
    parameterShapes(GPT2_SMALL).map(({ name, shape }) => {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      const gain = /ln_\d\.weight|ln_f\.weight/.test(name);
      for (let i = 0; i < data.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        data[i] = (gain ? 1 : 0) + (x / 4294967296) * 0.08;
      }
      return [name, data];
    }),
  );
  const model = new GPT(GPT2_SMALL, weightsFromNamed(GPT2_SMALL, (name) => tensors.get(name)!), bestKernels());
  return explain(model, gpt2Tokenizer(), prompt, { modelName: 'random GPT-2 small', layer: 11, head: 10, generateTokens: 3, generationWindow: 8, compare });
}
