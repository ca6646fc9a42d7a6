// What a scene is, to the page, the player, the exporter and the tests.
// A scene is built once from an Explanation (the model's real numbers for one prompt) and
// then drawn at any time t: every frame is a pure function of t, so seeking is instant.

import type { Explanation } from '../model/explanation.ts';
import type { ModelConfig } from '../model/architecture.ts';
import type { Ctx2D } from '../render/canvas.ts';
import type { ShownNumber, Spot } from '../render/frame.ts';
import type { DrawnText } from '../render/said.ts';
import type { Theme } from '../render/theme.ts';

/** A named stretch of a scene with its caption (for chapter marks and tests). */
interface SceneBeat {
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
  /** Every text drawn at time t (title, captions, labels, numbers), with its declared parts (said.ts). */
  textAt(timeSeconds: number, width: number, height: number): DrawnText[];
}

export interface SceneDefinition {
  name: string;
  title: string;
  build(explanation: Explanation): Scene;
  /** True for scenes that show the generated tokens, which a page may receive after the rest. */
  usesGeneration?: boolean;
  /** Whether the scene shows a step this model has (RoPE, a position table); every model when absent. */
  appliesTo?(config: ModelConfig): boolean;
  /**
   * True for scenes that set a second prompt beside the first (Explanation.compare), which they
   * need: built only from an explanation that has one.
   */
  comparesPrompts?: boolean;
  /**
   * The ids of the tokens whose pieces the scene draws for this explanation, besides the prompt's
   * and the generated ones (a worker sends their pieces with the explanation, so none is guessed).
   */
  labelledIds?(explanation: Explanation): number[];
}
