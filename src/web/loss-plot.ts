// A loss plot, as "Train your own" draws a run live and "How it learned" draws the built-in
// model's log: the training loss of every step and the validation loss of every evaluation,
// against steps, optionally with the text's character-frequency entropy as a dashed line and a
// marker at one step. lossPlot() is the geometry (pure: each drawn point carries the step and
// loss it stands for, so tests map the SVG back to the log); drawLossPlot() writes it into an
// SVG, all text set as text.

import type { Evaluation } from '../train/trainer.ts';

/** What a run has logged so far. */
export interface RunLog {
  /** loss[i]: the training loss of step i + 1, on its batch. */
  loss: number[];
  evaluations: Evaluation[];
}

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
  /** The last step (the x axis runs from 0 to it). */
  steps: number;
  /** Loss at the area's bottom and top. */
  lossRange: [number, number];
  /** What one loss is measured over: nats per character or per token. */
  unit: 'character' | 'token';
  /** loss[i] drawn at step i + 1 (a long run: every k-th step and the last). */
  train: PlotPoint[];
  /** Each evaluation's validation loss at its step. */
  val: PlotPoint[];
  entropy: { loss: number; y: number } | null;
  xTicks: { step: number; x: number }[];
  yTicks: { loss: number; y: number }[];
}

export interface LossPlotOptions {
  unit: LossPlot['unit'];
  /** The x axis's last step (a run's planned length); by default the last logged step. */
  steps?: number;
  /** The text's character-frequency entropy, drawn as a line. */
  entropy?: number | null;
  width?: number;
  height?: number;
}

/** Training points drawn at most: a longer run draws every k-th step (each still a logged value) and its last. */
export const MAX_TRAIN_POINTS = 2000;

/** Round values covering [low, high], 1, 2 or 5 times a power of ten apart, about `count` of them. */
function ticks(low: number, high: number, count: number): number[] {
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(low / step) * step; v <= high + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

export function lossPlot(log: RunLog, o: LossPlotOptions): LossPlot {
  const { width = 640, height = 270, entropy = null } = o;
  const area = { left: 48, top: 12, right: width - 12, bottom: height - 36 };
  const values = [...log.loss, ...log.evaluations.map((e) => e.val), ...(entropy === null ? [] : [entropy])];
  const low = values.length > 0 ? Math.floor(Math.min(...values)) : 0;
  const high = values.length > 0 ? Math.ceil(Math.max(...values)) : 1;
  const lossRange: [number, number] = [low, Math.max(high, low + 1)];
  const steps = Math.max(1, o.steps ?? log.loss.length);
  const x = (step: number) => area.left + (step / steps) * (area.right - area.left);
  const y = (loss: number) => area.bottom - ((loss - lossRange[0]) / (lossRange[1] - lossRange[0])) * (area.bottom - area.top);
  const point = (step: number, loss: number): PlotPoint => ({ step, loss, x: x(step), y: y(loss) });
  const stride = Math.ceil(log.loss.length / MAX_TRAIN_POINTS);
  return {
    width,
    height,
    area,
    steps,
    lossRange,
    unit: o.unit,
    train: log.loss.flatMap((loss, i) => ((i + 1) % stride === 0 || i === log.loss.length - 1 ? [point(i + 1, loss)] : [])),
    val: log.evaluations.map((e) => point(e.iter, e.val)),
    entropy: entropy === null ? null : { loss: entropy, y: y(entropy) },
    xTicks: ticks(0, steps, 5).map((step) => ({ step, x: x(step) })),
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

/** Fills `svg` with the plot: axes, ticks, the entropy line, both curves, a legend and a hidden step marker. */
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
  parts.push(svgElement('text', { x: 12, y: (area.top + area.bottom) / 2, transform: `rotate(-90 12 ${(area.top + area.bottom) / 2})`, 'text-anchor': 'middle', class: 'axis-label' }, `loss (nats per ${plot.unit})`));
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
  const marker = svgElement('g', { class: 'marker', visibility: 'hidden' });
  marker.append(svgElement('line', { y1: area.top, y2: area.bottom, class: 'marker-line' }), svgElement('text', { y: area.top + 50, class: 'marker-label' }));
  parts.push(marker);
  svg.replaceChildren(...parts);
}
