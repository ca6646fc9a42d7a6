// What a forward pass hands to everything that shows it: the model's own numbers for one prompt,
// computed once by explain() (explain.ts). Scenes, the page and the exporter read it; nothing
// in it is made up (docs/ARCHITECTURE.md, "The registry of named values").

import type { ModelConfig } from './architecture.ts';
import type { LensReading } from './lens.ts';
import type { Trace } from './trace.ts';

/** A token as the reader sees it: its id and a display piece ("␣robots", "<0xE2>"). */
export interface TokenPiece {
  id: number;
  /** The piece for display: leading space made visible, partial UTF-8 shown as bytes. */
  text: string;
}

/** One step of generation: the context the model saw and the token the rule chose. */
export interface GenerationStep {
  /** Token ids the model read (the last n_positions at most, or the small window). */
  context: number[];
  /** How many tokens were dropped from the front to fit the window. */
  dropped: number;
  chosen: TokenPiece;
  /** The chosen token's probability under the sampling rule in force. */
  probability: number;
  /** The five most likely candidates under the rule, for display. */
  top: { token: TokenPiece; probability: number }[];
}

export interface SamplingSettings {
  /** 0 means greedy (always the most likely token). */
  temperature: number;
  /** Keep only the k most likely tokens; 0 turns it off. */
  topK: number;
  /** Keep the smallest set whose probabilities reach p; 1 turns it off. */
  topP: number;
  seed: number;
}

/** Everything a scene may show for one prompt: the model's own numbers, nothing made up. */
export interface Explanation {
  modelName: string;
  /** The model's sizes and which variant of each step it has (GPT-2's or the Llama family's). */
  config: ModelConfig;
  parameterCount: number;
  prompt: string;
  /** Tokens of the prompt actually run (after keeping the last n_positions). */
  tokens: TokenPiece[];
  /** Prompt tokens dropped from the front because the prompt was longer than the context. */
  droppedPromptTokens: number;
  trace: Trace;
  /** Layer and head the attention scenes show, chosen by the reader. */
  layer: number;
  head: number;
  sampling: SamplingSettings;
  /** Next-token distribution for the last position after temperature, top-k and top-p (length V). */
  sampledProbs: Float32Array;
  generation: GenerationStep[];
  /** Context window used in the generation scene (n_positions, or a small one to see it slide). */
  generationWindow: number;
  /** The logit lens at the position the reader picked (the last by default): each stage's most likely tokens. */
  lens: LensReading;
  /** Turns an id into its display piece. */
  piece(id: number): TokenPiece;
  /**
   * A second prompt to compare with this one, run by the same model under the same rules (the
   * same block, head and sampling; the lens at the same position from the start, or its last token
   * when it is shorter; no generated tokens). The scenes that compare show both; its values are
   * named `compare.NAME` in the registry, and their differences `diff.*`.
   */
  compare?: Explanation;
  /**
   * Why the second prompt asked for has no explanation, when it has none: a reader's mistake in
   * it ("Second prompt: The prompt is empty: …"), which the comparing scenes show instead.
   */
  secondPromptError?: string;
}

