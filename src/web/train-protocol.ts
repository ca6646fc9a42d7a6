// Messages between the page's training panel (train-panel.ts) and its training worker
// (train-worker.ts). One worker runs one training run: the panel starts a new worker for each
// run and ends the old one, so a restart never waits for a step to finish.

import type { Evaluation, TrainSettings } from '../train/trainer.ts';

export type ToTrainer =
  | { type: 'start'; text: string; settings: TrainSettings }
  /** Stop after the step in progress; the worker then evaluates and sends 'finished'. */
  | { type: 'stop' };

/** A model folder's three files, as `train` writes them. */
export interface ModelFolderFiles {
  configJson: string;
  weights: Uint8Array;
  tokenizerJson: string;
}

/** The checkpoint with the lowest validation loss so far. */
export interface Checkpoint {
  step: number;
  val: number;
  files: ModelFolderFiles;
}

export interface RunInfo {
  parameters: number;
  /** Characters of each split (each one a token). */
  trainTokens: number;
  valTokens: number;
  /** Distinct characters: the model's vocabulary. */
  vocabulary: number;
  tokensPerStep: number;
  /** The kernels' name, e.g. "wasm-relaxed-simd". */
  kernels: string;
}

export type FromTrainer =
  | { type: 'started'; info: RunInfo }
  /** Step `step` (counting from 1) trained on a batch whose loss was `loss`; the timing is smoothed. */
  | { type: 'step'; step: number; loss: number; tokensPerSecond: number; secondsLeft: number }
  | { type: 'evaluated'; evaluation: Evaluation; best: boolean }
  /** The run ended (`stopped`: by the reader); `best` is the checkpoint the scenes should show. */
  | { type: 'finished'; stopped: boolean; steps: number; seconds: number; best: Checkpoint }
  /** `user`: the reader can fix it (bad text, settings too large, a diverging run). */
  | { type: 'error'; message: string; user: boolean };
