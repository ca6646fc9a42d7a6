// Progress of a training run, shared by the command line's loop and the page's training worker:
// when an evaluation is due, and a smoothed step time that gives tokens per second and the time
// left.

import type { TrainSettings } from './trainer.ts';

/** Evaluations come every evalInterval steps, at step 0 (the random start) and at the end. */
export function evaluationDue(iter: number, s: Pick<TrainSettings, 'evalInterval' | 'maxIters'>): boolean {
  return iter % s.evalInterval === 0 || iter === s.maxIters;
}

/** A moving average of one step's time (the last ten steps weigh most), from the steps timed so far. */
export class StepClock {
  /** Seconds per step; NaN before the first. */
  private stepSeconds = NaN;

  constructor(private readonly tokensPerStep: number) {}

  record(seconds: number): void {
    this.stepSeconds = Number.isNaN(this.stepSeconds) ? seconds : 0.9 * this.stepSeconds + 0.1 * seconds;
  }

  get tokensPerSecond(): number {
    return this.tokensPerStep / this.stepSeconds;
  }

  secondsLeft(stepsLeft: number): number {
    return stepsLeft * this.stepSeconds;
  }
}

/** "42s", "3m07s", "1h05m"; "?" for a time not known yet. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
