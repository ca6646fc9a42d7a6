// The training loop around a Trainer: evaluate every evalInterval steps (and at the end),
// keep the best model by validation loss in the output folder, keep snapshot folders at the
// chosen steps, save the resume state and the training log beside it, print progress, and
// stop cleanly (state saved) when asked to, e.g. on Ctrl-C.

import { join } from 'node:path';
import { saveModelDir, writeAtomically } from '../model/checkpoint-node.ts';
import { describeTokenizer, type Tokenizer } from '../tokenizer/index.ts';
import { evaluationDue, formatDuration, StepClock } from './progress.ts';
import { TRAINING_LOG_FILE, snapshotDir, trainingLog } from './log.ts';
import { RESUME_FILE, saveState, type RunRecord } from './state.ts';
import type { Trainer } from './trainer.ts';

/** Training diverged: the loss stopped being a finite number (the state is saved first). */
export class DivergedError extends Error {
  override name = 'DivergedError';
}

export interface LoopOptions {
  outDir: string;
  tokenizer: Tokenizer;
  /** dataFingerprint() of the run's data, stored in the resume file. */
  fingerprint: string;
  dtype: 'F32' | 'F16';
  /** Steps (ascending) whose weights are kept in snapshots/step-NNNNNN, in the shared-row layout. */
  snapshots: readonly number[];
  /** Progress output (stderr in the command); `transient` lines may be overwritten in place. */
  report(line: string, transient: boolean): void;
  /** Polled after every step: true asks the loop to save and stop. */
  stopRequested(): boolean;
  /** Whether progress lines are redrawn in place (a terminal) or printed every few steps. */
  live: boolean;
}

export interface LoopResult {
  stopped: boolean;
  steps: number;
  seconds: number;
}

export async function runTraining(trainer: Trainer, o: LoopOptions): Promise<LoopResult> {
  const s = trainer.settings;
  const statePath = join(o.outDir, RESUME_FILE);
  const run: RunRecord = { tokenizer: describeTokenizer(o.tokenizer), dataFingerprint: o.fingerprint, snapshots: [...o.snapshots], dtype: o.dtype };
  let savedModel = false;
  const saveModel = async () => {
    const { config, weights } = trainer.fullModel();
    await saveModelDir(o.outDir, config, weights, { dtype: o.dtype, tokenizer: o.tokenizer });
    savedModel = true;
  };
  // Snapshots due at steps up to this one are on disk (a resumed run wrote those before its state).
  let snapshotsThrough = trainer.iter - 1;
  const saveSnapshot = async () => {
    const { config, weights } = trainer.fullModel();
    await saveModelDir(join(o.outDir, snapshotDir(trainer.iter)), config, weights, { dtype: o.dtype, tokenizer: o.tokenizer, sharedRows: true });
    snapshotsThrough = trainer.iter;
  };
  // The log is written with the state, so the two always describe the same step.
  const saveStateAndLog = async () => {
    await saveState(statePath, trainer, run);
    await writeAtomically(join(o.outDir, TRAINING_LOG_FILE), JSON.stringify(trainingLog(trainer, o.snapshots.filter((step) => step <= snapshotsThrough))) + '\n');
  };
  const started = performance.now();
  const firstIter = trainer.iter;
  const clock = new StepClock(trainer.tokensPerStep);
  const logEvery = Math.max(1, Math.min(10, Math.floor(s.maxIters / 100)));

  while (true) {
    const it = trainer.iter;
    // A run resumed from the state saved right after an evaluation does not repeat it.
    const evaluating = evaluationDue(it, s) && trainer.history.at(-1)?.iter !== it;
    // A resumed run redoes its step's snapshot (the same bytes) rather than trust a folder a kill may have cut short.
    const snapshot = o.snapshots.includes(it);
    if (snapshot) await saveSnapshot();
    if (evaluating) {
      const e = trainer.evaluate();
      const best = trainer.isNewBest(e);
      if (best) await saveModel();
      o.report(`eval step ${it}: train loss ${e.train.toFixed(4)}, val loss ${e.val.toFixed(4)}${best ? ' (best so far, saved)' : ''}`, false);
    }
    if (evaluating || snapshot) await saveStateAndLog();
    if (it >= s.maxIters) break;

    const t0 = performance.now();
    const r = trainer.step();
    clock.record((performance.now() - t0) / 1000);
    if (!Number.isFinite(r.loss)) {
      await saveStateAndLog();
      throw new DivergedError(`the loss became ${r.loss} at step ${it + 1}; try a lower --lr`);
    }
    const done = trainer.iter;
    if (o.live || done % logEvery === 0 || done === s.maxIters) {
      o.report(
        `step ${done}/${s.maxIters} | loss ${r.loss.toFixed(4)} | lr ${r.lr.toExponential(2)} | ` +
          `${Math.round(clock.tokensPerSecond)} tok/s | ${formatDuration(clock.secondsLeft(s.maxIters - done))} left`,
        o.live,
      );
    }
    // Let a pending Ctrl-C reach its handler between steps.
    await new Promise((resolve) => setImmediate(resolve));
    if (o.stopRequested()) {
      await saveStateAndLog();
      if (!savedModel && trainer.bestIter < 0) await saveModel();
      o.report(`stopped at step ${trainer.iter}; the training state is in ${statePath} (continue with --resume)`, false);
      return { stopped: true, steps: trainer.iter - firstIter, seconds: (performance.now() - started) / 1000 };
    }
  }
  return { stopped: false, steps: trainer.iter - firstIter, seconds: (performance.now() - started) / 1000 };
}
