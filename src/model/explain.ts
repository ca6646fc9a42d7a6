// Everything the scenes show for one prompt, computed once: the traced forward pass, the
// next-token distribution under the reader's sampling rule, and a few generated tokens.
// Scenes read this and never compute model math themselves.

import type { ModelConfig } from './architecture.ts';
import { explanationBytes, roughSize, tokensWithin } from './memory.ts';
import { generate } from './generate.ts';
import { architectureOf, parameterCountOf, type LanguageModel } from './language-model.ts';
import { lensAt } from './lens.ts';
import { samplingDistribution } from './sampling.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { TokenizerError } from '../tokenizer/errors.ts';
import type { Explanation, GenerationStep, SamplingSettings, TokenPiece } from './explanation.ts';

export interface ExplainOptions {
  modelName: string;
  /** Attention layer and head to show (default 0, 0). */
  layer?: number;
  head?: number;
  sampling?: SamplingSettings;
  /** Tokens to generate for the generation scene (default 8). */
  generateTokens?: number;
  /** Context window for the generation scene (default n_positions; smaller to see it slide). */
  generationWindow?: number;
  /** The position the logit lens reads, from 0 (default: the last token). */
  lensPosition?: number;
  /**
   * Refuse a prompt whose explanation would allocate more than this many bytes (default: no
   * limit), saying how many tokens fit: the page keeps a tab within what a machine can give it.
   * A second prompt gets what the first leaves of it.
   */
  maxExplanationBytes?: number;
  /** A second prompt to compare with this one (Explanation.compare); none by default. */
  compare?: string;
}

/** The article's example prompt, used by the page and the exporter unless the reader types another. */
export const DEFAULT_PROMPT = 'The robots will bring';

/** The second prompt the page offers to compare with the example one. */
export const DEFAULT_COMPARE_PROMPT = 'The robots will destroy';

/** Tokens generated for the generation scene. */
export const DEFAULT_GENERATED_TOKENS = 8;

export const DEFAULT_SAMPLING: SamplingSettings = { temperature: 0.8, topK: 40, topP: 0.95, seed: 42 };

/** A reader's mistake in the prompt or settings: shown as a message, never as a crash. */
export class InputError extends Error {
  override name = 'InputError';
}

export function explain(model: LanguageModel, tokenizer: Tokenizer, prompt: string, options: ExplainOptions): Explanation {
  const config = architectureOf(model);
  const layer = options.layer ?? 0;
  const head = options.head ?? 0;
  if (!Number.isInteger(layer) || layer < 0 || layer >= config.nLayer) {
    throw new InputError(`layer must be between 0 and ${config.nLayer - 1}, got ${layer}`);
  }
  if (!Number.isInteger(head) || head < 0 || head >= config.nHead) {
    throw new InputError(`head must be between 0 and ${config.nHead - 1}, got ${head}`);
  }
  const sampling = options.sampling ?? DEFAULT_SAMPLING;
  const window = options.generationWindow ?? config.nPositions;
  if (!Number.isInteger(window) || window < 1 || window > config.nPositions) {
    throw new InputError(`the generation window must be between 1 and ${config.nPositions}, got ${window}`);
  }

  const { ids, dropped } = readPrompt(config, tokenizer, prompt);
  const budget = options.maxExplanationBytes ?? Infinity;
  if (explanationBytes(config, ids.length) > budget) {
    throw new InputError(
      `A prompt of ${ids.length.toLocaleString('en-US')} tokens would need ${roughSize(explanationBytes(config, ids.length))} for every number the scenes show with this model, ` +
        `more than the ${roughSize(budget)} this page allows itself: shorten it to ${tokensWithin(config, budget).toLocaleString('en-US')} tokens or fewer.`,
    );
  }
  const piece = (id: number): TokenPiece => ({ id, text: pieceOf(tokenizer, id) });

  const lensPosition = options.lensPosition ?? ids.length - 1;
  if (!Number.isInteger(lensPosition) || lensPosition < 0 || lensPosition >= ids.length) {
    throw new InputError(`the lens position must be from 0 to ${ids.length - 1} (the prompt has ${ids.length} tokens), got ${lensPosition}`);
  }

  const trace = model.trace(ids);
  const V = config.vocabSize;
  const lastLogits = trace.get('logits')!.data.subarray((ids.length - 1) * V, ids.length * V);
  const sampledProbs = samplingDistribution(lastLogits, sampling);

  const generation = explainGeneration(model, ids, sampling, options.generateTokens ?? DEFAULT_GENERATED_TOKENS, window, piece);

  return {
    modelName: options.modelName,
    config,
    parameterCount: parameterCountOf(model),
    prompt,
    tokens: ids.map(piece),
    droppedPromptTokens: dropped,
    trace,
    layer,
    head,
    sampling,
    sampledProbs,
    generation,
    generationWindow: window,
    lens: lensAt(model, trace, lensPosition),
    piece,
    ...(options.compare !== undefined &&
      explainSecondPrompt(model, tokenizer, options.compare, { ...options, layer, head, sampling, generationWindow: window }, ids.length)),
  };
}

/**
 * The prompt's token ids as the model reads them: at most n_positions, the last ones (as
 * generation keeps them); `dropped` counts those left out. Throws InputError for an empty
 * prompt or ids the model has no row for.
 */
export function readPrompt(config: Pick<ModelConfig, 'vocabSize' | 'nPositions'>, tokenizer: Tokenizer, prompt: string): { ids: number[]; dropped: number } {
  const allIds = tokenizer.encode(prompt);
  if (allIds.length === 0) throw new InputError('The prompt is empty: type a few words for the model to continue.');
  checkVocabulary(allIds, config.vocabSize, tokenizer);
  const dropped = Math.max(0, allIds.length - config.nPositions);
  return { ids: allIds.slice(dropped), dropped };
}

/**
 * The second prompt of a comparison, under the first's rules (`options`, the first's, which read
 * `firstTokens` tokens): the same block, head, sampling and window; the lens at the same position
 * from the start (the last token of a shorter prompt, and the last when the first reads its last);
 * no generated tokens, as no scene shows them for it; what the first leaves of the memory budget.
 * A reader's mistake in it does not take the first prompt's explanation with it: it is said why.
 * explain() calls this for options.compare. The page's worker calls it with a `memo`, to keep
 * the result while only the first prompt changes: the last result is taken again when the same
 * model made it from the same prompt under the same rules, and it still fits the budget.
 */
export function explainSecondPrompt(
  model: LanguageModel, tokenizer: Tokenizer, prompt: string, options: ExplainOptions, firstTokens: number, memo?: SecondPromptMemo,
): Pick<Explanation, 'compare' | 'secondPromptError'> {
  const config = architectureOf(model);
  const budget = (options.maxExplanationBytes ?? Infinity) - explanationBytes(config, firstTokens);
  try {
    const tokens = Math.min(tokenizer.encode(prompt).length, config.nPositions);
    const settings: ExplainOptions = { ...options, compare: undefined, generateTokens: 0, lensPosition: lensPositionWithin(options.lensPosition, tokens) };
    const key = JSON.stringify([prompt, settings]); // the budget apart: it changes with the first prompt
    const last = memo?.last;
    if (last?.model === model && last.key === key && explanationBytes(config, last.explanation.tokens.length) <= budget) return { compare: last.explanation };
    const compare = explain(model, tokenizer, prompt, { ...settings, maxExplanationBytes: budget });
    if (memo) memo.last = { model, key, explanation: compare };
    return { compare };
  } catch (error) {
    // (A character the model's tokenizer has no token for is the reader's mistake too.)
    if (error instanceof InputError || error instanceof TokenizerError) return { secondPromptError: `Second prompt: ${error.message}` };
    throw error;
  }
}

/** The last second prompt explained, and what it was made from (explainSecondPrompt). */
export interface SecondPromptMemo {
  last?: { model: LanguageModel; key: string; explanation: Explanation };
}

/**
 * Where the lens reads a prompt of `tokens` tokens asked for `position`: there when the prompt
 * has it, else at its last token (undefined, explain's default). The page's worker reads a
 * shorter prompt, and explain() a second prompt, this way.
 */
export function lensPositionWithin(position: number | null | undefined, tokens: number): number | undefined {
  return position !== null && position !== undefined && position < tokens ? position : undefined;
}

/**
 * The generation scene's steps: `tokens` tokens generated after the prompt's ids under the
 * sampling rule, with the context window `window`. explain() calls this; the page's worker
 * calls it separately, after sending the rest, so the other scenes need not wait for it.
 */
export function explainGeneration(
  model: LanguageModel, ids: readonly number[], sampling: SamplingSettings, tokens: number, window: number, piece: (id: number) => TokenPiece,
): GenerationStep[] {
  const steps = [...generate(model, ids, { ...sampling, maxNewTokens: tokens, seed: sampling.seed, window })];
  return steps.map((s) => ({
    context: s.context,
    dropped: s.dropped,
    chosen: piece(s.id),
    probability: s.probability,
    top: s.top.map((t) => ({ token: piece(t.id), probability: t.probability })),
  }));
}

/**
 * A token's display piece. A model's vocabulary may be larger than its tokenizer's (Qwen2 pads
 * its embedding table): ids past the tokenizer's end have no text, and are named as unused.
 */
export function pieceOf(tokenizer: Tokenizer, id: number): string {
  return id < tokenizer.vocabSize ? tokenizer.piece(id) : `<unused ${id}>`;
}

/** A tokenizer that makes ids the model has no row for means the two do not belong together. */
export function checkVocabulary(ids: readonly number[], vocabSize: number, tokenizer: Tokenizer): void {
  const bad = ids.find((id) => id >= vocabSize);
  if (bad !== undefined) {
    throw new InputError(
      `token ${tokenizer.piece(bad)} has id ${bad}, but this model's vocabulary has only ${vocabSize} tokens: its tokenizer does not match the model (check animated-transformer.json in the model folder)`,
    );
  }
}
