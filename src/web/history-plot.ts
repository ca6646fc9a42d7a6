// The step marker of "How it learned"'s loss plot (loss-plot.ts draws the plot): what the log
// says about the chosen snapshot's step, and the marker moved there.

import { formatCount, formatFixed } from '../render/frame.ts';
import type { TrainingLog } from '../train/log.ts';
import type { LossPlot } from './loss-plot.ts';

/** What the plot says about a step: its evaluation when it has one, else its batch's training loss. */
export function stepLosses(log: TrainingLog, step: number): { train: number | null; val: number | null; evaluated: boolean } {
  const e = log.evaluations.find((x) => x.iter === step);
  if (e) return { train: e.train, val: e.val, evaluated: true };
  return { train: step >= 1 && step <= log.loss.length ? log.loss[step - 1] : null, val: null, evaluated: false };
}

/** The text beside the marker for `step`, from the log: its validation loss if evaluated there, else its batch's loss. */
export function markerText(log: TrainingLog, step: number): string {
  const losses = stepLosses(log, step);
  if (losses.val !== null) return `step ${formatCount(step)}: validation ${formatFixed(losses.val, 2)}`;
  if (losses.train !== null) return `step ${formatCount(step)}: batch ${formatFixed(losses.train, 2)}`;
  return `step ${formatCount(step)}`;
}

/** Moves the marker to `step` (null hides it). */
export function markStep(svg: SVGSVGElement, plot: LossPlot, log: TrainingLog, step: number | null): void {
  const marker = svg.querySelector<SVGGElement>('g.marker');
  if (!marker) return;
  marker.setAttribute('visibility', step === null ? 'hidden' : 'visible');
  if (step === null) return;
  const x = plot.area.left + (step / plot.steps) * (plot.area.right - plot.area.left);
  const line = marker.querySelector('line')!;
  line.setAttribute('x1', x.toFixed(2));
  line.setAttribute('x2', x.toFixed(2));
  const label = marker.querySelector('text')!;
  // Keep the label inside the plot: left of the line in the plot's right half.
  const right = x > (plot.area.left + plot.area.right) / 2;
  label.setAttribute('x', (right ? x - 6 : x + 6).toFixed(2));
  label.setAttribute('text-anchor', right ? 'end' : 'start');
  label.textContent = markerText(log, step);
  marker.dataset.step = String(step);
}
