// Either kind of model this program runs, GPT-2 (gpt.ts) or the Llama family (llama.ts), as
// explain() and generation use it: what it is, how many parameters it has, and a forward pass
// that keeps its own kind of KV cache.

import { parameterCount } from './config.ts';
import { describeGpt2, describeLlama, type ModelConfig } from './architecture.ts';
import { GPT, KVCache } from './gpt.ts';
import { Llama, LlamaKVCache } from './llama.ts';
import { llamaParameterCount } from './llama-config.ts';

export type LanguageModel = GPT | Llama;

/** The model's shape and the variant of each step it has (architecture.ts). */
export function architectureOf(model: LanguageModel): ModelConfig {
  return model instanceof Llama ? describeLlama(model.config) : describeGpt2(model.config);
}

/** The parameter count, a tied head counted once (as GPT-2's "124M" does). */
export function parameterCountOf(model: LanguageModel): number {
  return model instanceof Llama ? llamaParameterCount(model.config) : parameterCount(model.config);
}

/** A forward pass over new tokens that remembers the keys and values of the earlier ones. */
export interface CachedForward {
  /** Positions already in the cache. */
  readonly length: number;
  /** Logits of the last of `ids` (1 × V), after the cached positions. */
  next(ids: readonly number[]): Float32Array;
  /** Empties the cache (the positions of the tokens changed). */
  reset(): void;
}

/** `capacity`: the most positions it will hold (GPT-2's cache is that size; the Llama family's grows as positions arrive, up to it). */
export function cachedForward(model: LanguageModel, capacity = architectureOf(model).nPositions): CachedForward {
  if (model instanceof Llama) {
    return withCache(() => new LlamaKVCache(model.config, capacity), (ids, cache) => model.forward(ids, { cache, lastOnly: true }).logits);
  }
  return withCache(() => new KVCache(model.config, capacity), (ids, cache) => model.forward(ids, { cache, lastOnly: true }).logits);
}

function withCache<Cache extends { length: number }>(make: () => Cache, forward: (ids: readonly number[], cache: Cache) => Float32Array): CachedForward {
  let cache = make();
  return {
    get length() {
      return cache.length;
    },
    next: (ids) => forward(ids, cache),
    reset() {
      cache = make();
    },
  };
}
