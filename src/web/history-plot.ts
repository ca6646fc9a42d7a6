// The loss plot of "How it learned": the training loss of every step and the validation loss of
// every evaluation, as the training log holds them, against steps, with the chosen snapshot
// marked. lossPlot() is the geometry (pure, so tests map every drawn point back to the log);
// drawLossPlot() and markStep() build and update the SVG, all text set as text.

import { formatFixed } from '../render/frame.ts';
import type { TrainingLog } from '../train/log.ts';

/** A point drawn from the log: the step and loss it stands for, and where it is drawn (SVG units). */
interface PlotPoint {
  step: number;
  loss: number;
  x: number;
  y: number;
}

export interface LossPlot {
  width: number;
  height: number;
  /** The plotting area inside the axes. */
  area: { left: number; top: number; right: number; bottom: number };
  /** Step and loss at the area's edges (x: 0 … last step; y: bottom … top). */
  steps: number;
  lossRange: [number, number];
  /** loss[i] drawn at step i + 1. */
  train: PlotPoint[];
  /** Each evaluation's validation loss at its step. */
  val: PlotPoint[];
  xTicks: { step: number; x: number }[];
  yTicks: { loss: number; y: number }[];
}

/** Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten, about `count` of them. */
function ticks(low: number, high: number, count: number): number[] {
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(low / step) * step; v <= high + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

export function lossPlot(log: TrainingLog, width = 640, height = 280): LossPlot {
  const area = { left: 48, top: 12, right: width - 12, bottom: height - 36 };
  const steps = Math.max(1, log.loss.length);
  const all = [...log.loss, ...log.evaluations.map((e) => e.val)];
  const low = Math.floor(Math.min(...all));
  const high = Math.ceil(Math.max(...all));
  const lossRange: [number, number] = [low, Math.max(high, low + 1)];
  const x = (step: number) => area.left + (step / steps) * (area.right - area.left);
  const y = (loss: number) => area.bottom - ((loss - lossRange[0]) / (lossRange[1] - lossRange[0])) * (area.bottom - area.top);
  const point = (step: number, loss: number): PlotPoint => ({ step, loss, x: x(step), y: y(loss) });
  return {
    width,
    height,
    area,
    steps,
    lossRange,
    train: log.loss.map((loss, i) => point(i + 1, loss)),
    val: log.evaluations.map((e) => point(e.iter, e.val)),
    xTicks: ticks(0, steps, 5).map((step) => ({ step, x: x(step) })),
    yTicks: ticks(lossRange[0], lossRange[1], 4).map((loss) => ({ loss, y: y(loss) })),
  };
}

/** What the plot says about a step: its evaluation when it has one, else its batch's training loss. */
export function stepLosses(log: TrainingLog, step: number): { train: number | null; val: number | null; evaluated: boolean } {
  const e = log.evaluations.find((x) => x.iter === step);
  if (e) return { train: e.train, val: e.val, evaluated: true };
  return { train: step >= 1 && step <= log.loss.length ? log.loss[step - 1] : null, val: null, evaluated: false };
}

const SVG = 'http://www.w3.org/2000/svg';

function svgElement<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

const pointsAttribute = (points: PlotPoint[]) => points.map((p) => `${p.x.toFixed(2)},${p.y.toFixed(2)}`).join(' ');

/** Fills `svg` with the plot: axes, ticks, the two curves, a legend, and an empty step marker. */
export function drawLossPlot(svg: SVGSVGElement, plot: LossPlot): void {
  const { area } = plot;
  svg.setAttribute('viewBox', `0 0 ${plot.width} ${plot.height}`);
  const parts: SVGElement[] = [];
  for (const t of plot.yTicks) {
    parts.push(svgElement('line', { x1: area.left, x2: area.right, y1: t.y, y2: t.y, class: 'grid' }));
    parts.push(svgElement('text', { x: area.left - 6, y: t.y + 4, 'text-anchor': 'end', class: 'tick' }, String(t.loss)));
  }
  for (const t of plot.xTicks) {
    parts.push(svgElement('text', { x: t.x, y: area.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, t.step.toLocaleString('en-US')));
  }
  parts.push(svgElement('text', { x: (area.left + area.right) / 2, y: plot.height - 4, 'text-anchor': 'middle', class: 'axis-label' }, 'training step'));
  parts.push(svgElement('text', { x: 12, y: (area.top + area.bottom) / 2, transform: `rotate(-90 12 ${(area.top + area.bottom) / 2})`, 'text-anchor': 'middle', class: 'axis-label' }, 'loss (nats per token)'));
  parts.push(svgElement('polyline', { points: pointsAttribute(plot.train), class: 'train-loss' }));
  parts.push(svgElement('polyline', { points: pointsAttribute(plot.val), class: 'val-loss' }));
  for (const p of plot.val) parts.push(svgElement('circle', { cx: p.x.toFixed(2), cy: p.y.toFixed(2), r: 2.5, class: 'val-point' }));
  const legendX = area.right - 190;
  parts.push(svgElement('line', { x1: legendX, x2: legendX + 18, y1: area.top + 8, y2: area.top + 8, class: 'train-loss' }));
  parts.push(svgElement('text', { x: legendX + 24, y: area.top + 12, class: 'legend' }, 'training batch, each step'));
  parts.push(svgElement('line', { x1: legendX, x2: legendX + 18, y1: area.top + 26, y2: area.top + 26, class: 'val-loss' }));
  parts.push(svgElement('text', { x: legendX + 24, y: area.top + 30, class: 'legend' }, 'validation, every evaluation'));
  const marker = svgElement('g', { class: 'marker', visibility: 'hidden' });
  marker.append(svgElement('line', { y1: area.top, y2: area.bottom, class: 'marker-line' }), svgElement('text', { y: area.top + 50, class: 'marker-label' }));
  parts.push(marker);
  svg.replaceChildren(...parts);
}

/** The text beside the marker for `step`, from the log: its validation loss if evaluated there, else its batch's loss. */
export function markerText(log: TrainingLog, step: number): string {
  const losses = stepLosses(log, step);
  if (losses.val !== null) return `step ${step.toLocaleString('en-US')}: validation ${formatFixed(losses.val, 2)}`;
  if (losses.train !== null) return `step ${step.toLocaleString('en-US')}: batch ${formatFixed(losses.train, 2)}`;
  return `step ${step.toLocaleString('en-US')}`;
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
