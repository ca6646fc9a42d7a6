// The training log: the loss of every step, the train and validation estimates of every
// evaluation, and where the snapshots are, as one JSON file beside the model (training-log.json).
// The trainer keeps all of it in its resume state, so a resumed run's log has no gaps or repeats.
// readTrainingLog checks a log's text for the page, which draws its loss plot from it.

import type { Evaluation, Trainer, TrainSettings } from './trainer.ts';

export const TRAINING_LOG_FILE = 'training-log.json';
export const SNAPSHOTS_DIR = 'snapshots';
const FORMAT = 'animated-transformer training log';
const VERSION = 1;

interface SnapshotEntry {
  /** Optimiser steps taken before the weights were kept (0: the random start). */
  step: number;
  /** The snapshot's model folder, relative to the log's folder. */
  dir: string;
}

export interface TrainingLog {
  format: typeof FORMAT;
  version: typeof VERSION;
  settings: TrainSettings;
  /** Tokens each step trains on (batch × context). */
  tokensPerStep: number;
  /** loss[i]: the training loss of step i + 1 (on its batch, before its update). */
  loss: number[];
  /** Each evaluation: after `iter` steps, the mean loss on the fixed batches of each split. */
  evaluations: Evaluation[];
  snapshots: SnapshotEntry[];
  /** The evaluation with the lowest validation loss (the model saved), or null before the first. */
  best: { step: number; val: number } | null;
}

/** "snapshots/step-000050": zero-padded so the folders sort by step. */
export function snapshotDir(step: number): string {
  return `${SNAPSHOTS_DIR}/step-${String(step).padStart(6, '0')}`;
}

/** The log as it stands after the trainer's last step; `snapshotSteps`: those written so far. */
export function trainingLog(trainer: Trainer, snapshotSteps: readonly number[]): TrainingLog {
  return {
    format: FORMAT,
    version: VERSION,
    settings: trainer.settings,
    tokensPerStep: trainer.tokensPerStep,
    loss: trainer.losses,
    evaluations: trainer.history,
    snapshots: snapshotSteps.map((step) => ({ step, dir: snapshotDir(step) })),
    best: trainer.bestIter >= 0 ? { step: trainer.bestIter, val: trainer.bestVal } : null,
  };
}

export class TrainingLogError extends Error {
  override name = 'TrainingLogError';
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStep = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** Parses and checks a training log's text; `where` names it in the TrainingLogError thrown for anything wrong. */
export function readTrainingLog(text: string, where: string): TrainingLog {
  const bad = (why: string) => new TrainingLogError(`${where}: not a usable training log (${why})`);
  let log: TrainingLog;
  try {
    log = JSON.parse(text) as TrainingLog;
  } catch (e) {
    throw bad(`not valid JSON: ${(e as Error).message}`);
  }
  if (log?.format !== FORMAT || log.version !== VERSION) throw bad(`expected "format": "${FORMAT}", "version": ${VERSION}`);
  if (!Array.isArray(log.loss) || !log.loss.every(finite)) throw bad('"loss" must be a list of numbers');
  const steps = log.loss.length;
  const ascending = <T>(list: T[], key: (x: T) => number) => list.every((x, i) => i === 0 || key(list[i - 1]) < key(x));
  if (!Array.isArray(log.evaluations) || !log.evaluations.every((e) => isStep(e?.iter) && e.iter <= steps && finite(e.train) && finite(e.val)) || !ascending(log.evaluations, (e) => e.iter)) {
    throw bad(`"evaluations" must list {iter, train, val} by ascending step, none after step ${steps}`);
  }
  if (!Array.isArray(log.snapshots) || !log.snapshots.every((s) => isStep(s?.step) && s.step <= steps && typeof s.dir === 'string') || !ascending(log.snapshots, (s) => s.step)) {
    throw bad(`"snapshots" must list {step, dir} by ascending step, none after step ${steps}`);
  }
  return log;
}
