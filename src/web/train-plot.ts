// The live loss plot of "Train your own": the training loss of every step and the validation loss
// of every evaluation, as the training worker reported them, against steps from 0 to the run's
// last, with the text's character-frequency entropy as a dashed line. trainingPlot() is the
// geometry (pure: each drawn point carries the step and loss it stands for, so a test maps the
// SVG back to the log); drawTrainingPlot() writes it into an SVG, all text set as text.

import type { Evaluation } from '../train/trainer.ts';

/** What a run has reported so far. */
export interface RunLog {
  /** loss[i]: the training loss of step i + 1, on its batch. */
  loss: number[];
  evaluations: Evaluation[];
}

interface PlotPoint {
  step: number;
  loss: number;
  x: number;
  y: number;
}

export interface TrainingPlot {
  width: number;
  height: number;
  area: { left: number; top: number; right: number; bottom: number };
  /** The run's last step (the x axis ends there). */
  steps: number;
  /** Loss at the area's bottom and top. */
  lossRange: [number, number];
  train: PlotPoint[];
  val: PlotPoint[];
  entropy: { loss: number; y: number } | null;
  xTicks: { step: number; x: number }[];
  yTicks: { loss: number; y: number }[];
}

/** Training points drawn at most: a longer run draws every k-th step (each still a logged value) and its last. */
export const MAX_TRAIN_POINTS = 1500;

/** Round values covering [low, high], 1, 2 or 5 times a power of ten apart, about `count` of them. */
function ticks(low: number, high: number, count: number): number[] {
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(low / step) * step; v <= high + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

export function trainingPlot(log: RunLog, steps: number, entropy: number | null, width = 640, height = 260): TrainingPlot {
  const area = { left: 44, top: 10, right: width - 10, bottom: height - 34 };
  const values = [...log.loss, ...log.evaluations.map((e) => e.val), ...(entropy === null ? [] : [entropy])];
  const low = values.length > 0 ? Math.floor(Math.min(...values)) : 0;
  const high = values.length > 0 ? Math.ceil(Math.max(...values)) : 1;
  const lossRange: [number, number] = [low, Math.max(high, low + 1)];
  const lastStep = Math.max(1, steps);
  const x = (step: number) => area.left + (step / lastStep) * (area.right - area.left);
  const y = (loss: number) => area.bottom - ((loss - lossRange[0]) / (lossRange[1] - lossRange[0])) * (area.bottom - area.top);
  const point = (step: number, loss: number): PlotPoint => ({ step, loss, x: x(step), y: y(loss) });
  const stride = Math.ceil(log.loss.length / MAX_TRAIN_POINTS);
  const train = log.loss.flatMap((loss, i) => ((i + 1) % stride === 0 || i === log.loss.length - 1 ? [point(i + 1, loss)] : []));
  return {
    width,
    height,
    area,
    steps: lastStep,
    lossRange,
    train,
    val: log.evaluations.map((e) => point(e.iter, e.val)),
    entropy: entropy === null ? null : { loss: entropy, y: y(entropy) },
    xTicks: ticks(0, lastStep, 5).map((step) => ({ step, x: x(step) })),
    yTicks: ticks(lossRange[0], lossRange[1], 4).map((loss) => ({ loss, y: y(loss) })),
  };
}

const SVG = 'http://www.w3.org/2000/svg';

function svgElement<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** "x,y x,y …" with three decimals: a test reads the points back from this attribute. */
const pointsAttribute = (points: PlotPoint[]) => points.map((p) => `${p.x.toFixed(3)},${p.y.toFixed(3)}`).join(' ');

/** Fills `svg` with the plot: axes, ticks, the entropy line, both curves and a legend. */
export function drawTrainingPlot(svg: SVGSVGElement, plot: TrainingPlot): void {
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
  parts.push(svgElement('text', { x: 12, y: (area.top + area.bottom) / 2, transform: `rotate(-90 12 ${(area.top + area.bottom) / 2})`, 'text-anchor': 'middle', class: 'axis-label' }, 'loss (nats per character)'));
  if (plot.entropy) {
    parts.push(svgElement('line', { x1: area.left, x2: area.right, y1: plot.entropy.y, y2: plot.entropy.y, class: 'entropy' }));
    parts.push(svgElement('text', { x: area.left + 4, y: plot.entropy.y - 4, class: 'entropy-label' }, `character-frequency entropy ${plot.entropy.loss.toFixed(2)}`));
  }
  parts.push(svgElement('polyline', { points: pointsAttribute(plot.train), class: 'train-loss' }));
  parts.push(svgElement('polyline', { points: pointsAttribute(plot.val), class: 'val-loss' }));
  for (const p of plot.val) parts.push(svgElement('circle', { cx: p.x.toFixed(3), cy: p.y.toFixed(3), r: 2.5, class: 'val-point' }));
  const legendX = area.right - 200;
  parts.push(svgElement('line', { x1: legendX, x2: legendX + 18, y1: area.top + 8, y2: area.top + 8, class: 'train-loss' }));
  parts.push(svgElement('text', { x: legendX + 24, y: area.top + 12, class: 'legend' }, 'training batch, each step'));
  parts.push(svgElement('line', { x1: legendX, x2: legendX + 18, y1: area.top + 26, y2: area.top + 26, class: 'val-loss' }));
  parts.push(svgElement('text', { x: legendX + 24, y: area.top + 30, class: 'legend' }, 'validation, each evaluation'));
  svg.replaceChildren(...parts);
}
