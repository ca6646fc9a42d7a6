// What a scene is, to the page, the player, the exporter and the tests.
// A scene is built once from an Explanation (the model's real numbers for one prompt) and
// then drawn at any time t: every frame is a pure function of t, so seeking is instant.

import type { GPTConfig } from '../model/config.ts';
import type { Trace } from '../model/trace.ts';

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
  config: GPTConfig;
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
  /** Turns an id into its display piece. */
  piece(id: number): TokenPiece;
}

/** A number drawn on screen, with where in the trace it came from. */
export interface ShownNumber {
  /** The exact text drawn, e.g. "−0.42" or "37%". */
  text: string;
  /** The value it stands for before rounding (after any on-screen scaling such as ×100). */
  value: number;
  /** Trace tensor name (or "sampledProbs" / "generation") and flat row-major index. */
  source: { tensor: string; index: number };
  /** On-screen scaling applied to the source value (100 for a percentage); 1 when absent. */
  scale?: number;
  /**
   * For a share like "all other tokens": the value is 1 minus the sum of these flat indices
   * of source.tensor (times scale); source.index is then the first of them.
   */
  complementOf?: number[];
  /** For a total: the value is the sum of these flat indices of source.tensor (times scale). */
  sumOf?: number[];
  /** Where the text is anchored on screen, in CSS px (for tests that check it is on screen). */
  at?: { x: number; y: number };
}

/**
 * A place on screen that stands for one value the model computed (a drawn number, a coloured
 * cell, a heatmap strip), in CSS px: what the player's hover readout names with full precision.
 */
export interface Spot {
  x: number;
  y: number;
  w: number;
  h: number;
  /** The value as the model computed it (before any on-screen scaling such as ×100). */
  value: number;
  source: { tensor: string; index: number };
  /** Why the value stands for more than itself, e.g. a heatmap strip covering several columns. */
  note?: string;
}

export type Theme = 'light' | 'dark';

/** The 2-D drawing calls we use: a browser CanvasRenderingContext2D, or @napi-rs/canvas in Node. */
export type Ctx2D = CanvasRenderingContext2D;

/** A named stretch of a scene with its caption (for chapter marks and tests). */
export interface SceneBeat {
  name: string;
  caption: string;
  startSeconds: number;
  endSeconds: number;
}

export interface Scene {
  readonly name: string;
  /** The scene's beats in order; optional so simple scenes may omit them. */
  readonly beats?: readonly SceneBeat[];
  readonly title: string;
  readonly durationSeconds: number;
  /** Draws the frame at time t (clamped to [0, duration]) on a width × height (CSS px) area. */
  draw(ctx: Ctx2D, timeSeconds: number, width: number, height: number, theme: Theme): void;
  /** Every number visible at time t, with its source, for the test that checks them against the trace. */
  numbersAt(timeSeconds: number, width: number, height: number): ShownNumber[];
  /** Where the values drawn at time t sit on screen, in drawing order (for the hover readout). */
  spotsAt(timeSeconds: number, width: number, height: number): Spot[];
}

export interface SceneDefinition {
  name: string;
  title: string;
  build(explanation: Explanation): Scene;
  /** True for scenes that show the generated tokens, which a page may receive after the rest. */
  usesGeneration?: boolean;
}
