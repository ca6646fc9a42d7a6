// One model's next-token prediction for a prompt, in brief: its most likely tokens with their
// probabilities, and the entropy of the whole distribution (how spread out it is). The page's
// "How it learned" chapter sets these side by side for the model at each point of its training.
// Shape legend: V vocabulary.

import type { GPT } from './gpt.ts';
import { readPrompt } from './explain.ts';
import { softmaxForward } from './ops.ts';
import { mostLikely } from './sampling.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

export interface NextTokenGuess {
  /** The prompt's tokens the model read (the last n_positions at most). */
  tokens: number;
  /** The `top` most likely next tokens, most likely first, with their softmax probabilities. */
  top: { id: number; probability: number }[];
  /** −Σ p log p over all V tokens, in nats: ln V when uniform, 0 when certain. */
  entropy: number;
}

export function nextTokenGuess(model: GPT, tokenizer: Tokenizer, prompt: string, top: number): NextTokenGuess {
  const { ids } = readPrompt(model.config, tokenizer, prompt);
  const probs = model.forward(ids, { lastOnly: true }).logits; // 1 × V
  softmaxForward(probs);
  let entropy = 0;
  for (const p of probs) if (p > 0) entropy -= p * Math.log(p);
  return { tokens: ids.length, top: mostLikely(probs, top).map((id) => ({ id, probability: probs[id] })), entropy };
}
