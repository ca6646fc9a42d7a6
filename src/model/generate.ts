// Generation: run the model, pick a token by the sampling rule, append it, repeat.
// A KV cache makes each new token cost one position; once the context is full, only the last
// `window` tokens are kept, so every later step reruns the model over the sliding window.

import { architectureOf, cachedForward, type LanguageModel } from './language-model.ts';
import { drawFrom, samplingDistribution, SeededRandom, topEntries, type SamplingOptions } from './sampling.ts';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  seed: number;
  /** Stop after this token is produced (e.g. <|endoftext|>); null never stops early. */
  stopToken?: number | null;
  /** Tokens the model may see at once; defaults to (and may not exceed) n_positions. */
  window?: number;
}

export interface GeneratedToken {
  id: number;
  /** Probability of the chosen token under the sampling rule in force. */
  probability: number;
  /** The token ids the model read to predict it. */
  context: number[];
  /** Tokens dropped from the front so the context fits the window. */
  dropped: number;
  /** The five most likely candidates under the rule. */
  top: { id: number; probability: number }[];
}

export function* generate(model: LanguageModel, promptIds: readonly number[], options: GenerateOptions): Generator<GeneratedToken> {
  const context = architectureOf(model).nPositions;
  const window = options.window ?? context;
  if (!Number.isInteger(window) || window < 1 || window > context) {
    throw new RangeError(`window must be between 1 and ${context}, got ${window}`);
  }
  if (promptIds.length === 0) throw new RangeError('the prompt has no tokens; type some text first');
  const random = new SeededRandom(options.seed);
  const ids = [...promptIds];
  // The cache never holds more than the window, nor more than the prompt and the new tokens.
  const capacity = Math.min(window, promptIds.length + options.maxNewTokens);
  const cache = cachedForward(model, capacity);
  let cacheStart = -1; // index in ids of the first cached position, or -1 when the cache is empty

  for (let n = 0; n < options.maxNewTokens; n++) {
    const start = Math.max(0, ids.length - window);
    const read = ids.slice(start);
    let logits: Float32Array;
    if (cacheStart === start && cache.length > 0) {
      // The window has not moved: feed only the tokens the cache has not seen.
      logits = cache.next(ids.slice(start + cache.length));
    } else {
      // First step, or the window slid: positions changed, so recompute from scratch.
      cache.reset();
      cacheStart = start;
      logits = cache.next(read);
    }
    const probs = samplingDistribution(logits, options);
    const id = drawFrom(probs, random);
    yield { id, probability: probs[id], context: read, dropped: start, top: topEntries(probs, 5) };
    ids.push(id);
    if (options.stopToken !== undefined && options.stopToken !== null && id === options.stopToken) return;
  }
}
