// Explanations for scene tests: a seeded random-weight GPT with GPT-2's real tokenizer and
// vocabulary, run through explain() exactly as the page does. Wide enough (C = 96, 6 heads)
// that matrices need their "…" columns, small enough to build in well under a second.

import type { GPTConfig } from '../../src/model/config.ts';
import { explain, type ExplainOptions } from '../../src/model/explain.ts';
import type { Explanation } from '../../src/model/explanation.ts';
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
  const key = JSON.stringify([prompt, options]);
  const hit = memo.get(key);
  if (hit) return hit;
  const model = randomModel(SCENE_CONFIG, 7, 0.35);
  const ex = explain(model, gpt2Tokenizer(), prompt, {
    modelName: 'random test GPT',
    layer: 1,
    head: 2,
    generateTokens: 7,
    generationWindow: 8,
    ...options,
  });
  memo.set(key, ex);
  return ex;
}

/** GPT-2 small's widths (C = 768, 12 heads of 64, 50,257 tokens) in two random blocks: for screenshots. */
export function wideExplanation(prompt: string): Explanation {
  const config: GPTConfig = { ...SCENE_CONFIG, nLayer: 2, nHead: 12, nEmbd: 768, nPositions: 64 };
  return explain(randomModel(config, 11, 0.08), gpt2Tokenizer(), prompt, { modelName: 'random GPT-2-wide', layer: 1, head: 3, generateTokens: 5 });
}
