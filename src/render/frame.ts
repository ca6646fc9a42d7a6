// One frame as a display list: text, rectangles and paths in CSS px, colours by role.
// Shapes push items here; the canvas renderer draws them, and the numbers they carry are
// what Scene.numbersAt reports, so what is drawn and what is checked come from one list.
// Every text keeps its declared parts (said.ts), so the tests can account for each digit drawn.

import type { Source } from '../model/registry.ts';
import type { Paint } from './theme.ts';
import { textWidth } from './text.ts';
import { phraseLayout, type DrawnText, type Phrase, type SaidAt } from './said.ts';

/** A number drawn on screen, with where in the trace it came from. */
export interface ShownNumber {
  /** The exact text drawn, e.g. "−0.42" or "37%". */
  text: string;
  /** The value it stands for before rounding (after any on-screen scaling such as ×100). */
  value: number;
  /** Trace tensor name (or "sampledProbs" / "generation") and flat row-major index. */
  source: Source;
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
  source: Source;
  /** Why the value stands for more than itself, e.g. a heatmap strip covering several columns. */
  note?: string;
  /** Drawn as −∞: an attention score the causal mask replaced (value is then −∞). */
  masked?: boolean;
  /** A total drawn for these flat indices of source.tensor (value is their sum). */
  sumOf?: number[];
  /** A remainder drawn as 1 minus the sum of these flat indices of source.tensor. */
  complementOf?: number[];
  /** When choosing this spot (click, tap, or Enter) means something: what it asks the page to show. */
  choose?: SpotChoice;
}

/**
 * What a reader asks for by choosing a spot: the block and head the attention scenes follow (a
 * map of all-heads), or the position the logit lens reads (a token). The player sends it as a
 * `choose` event and the page applies it, as if its own pickers had been set.
 */
export interface SpotChoice {
  layer?: number;
  head?: number;
  position?: number;
}

/** What a spot stands for beyond one traced value. */
type SpotExtra = Pick<Spot, 'masked' | 'sumOf' | 'complementOf' | 'choose'>;

export type Align = 'left' | 'center' | 'right';

interface TextItem {
  kind: 'text';
  x: number;
  y: number;
  text: string;
  size: number;
  mono: boolean;
  bold: boolean;
  italic: boolean;
  paint: Paint;
  align: Align;
  alpha: number;
  /** The declared parts of the text (numbers with their sources, pieces, ...). */
  said: readonly SaidAt[];
}

interface RectItem {
  kind: 'rect';
  x: number;
  y: number;
  w: number;
  h: number;
  fill: Paint | null;
  stroke: Paint | null;
  lineWidth: number;
  radius: number;
  alpha: number;
}

interface PathItem {
  kind: 'path';
  /** x0, y0, x1, y1, ... */
  points: number[];
  stroke: Paint | null;
  fill: Paint | null;
  lineWidth: number;
  closed: boolean;
  dashed: boolean;
  alpha: number;
}

/** Text in runs of different sizes and baselines (sub- and superscripts), laid out by the renderer. */
interface RichItem {
  kind: 'rich';
  x: number;
  y: number;
  runs: { text: string; size: number; dy: number }[];
  bold: boolean;
  italic: boolean;
  paint: Paint;
  align: Align;
  alpha: number;
  /** The declared parts of the runs' text, run after run. */
  said: readonly SaidAt[];
}

/**
 * A grid of equal cells in one colour, each at its own opacity (0 leaves it out): a heatmap of
 * thousands of cells as one item, drawn without a colour change per cell.
 */
interface CellsItem {
  kind: 'cells';
  x: number;
  y: number;
  cols: number;
  rows: number;
  cellW: number;
  cellH: number;
  /** rows × cols, row-major, each in [0, 1]. */
  opacity: Float32Array;
  fill: Paint;
  alpha: number;
}

export type Item = TextItem | RectItem | PathItem | RichItem | CellsItem;

export interface TextOptions {
  size: number;
  paint?: Paint;
  mono?: boolean;
  bold?: boolean;
  italic?: boolean;
  align?: Align;
}

export interface NumberOptions extends TextOptions {
  /** Digits after the decimal point (default 2). */
  decimals?: number;
  /** Multiply before showing, e.g. 100 with percent. */
  scale?: number;
  percent?: boolean;
  /** A total: the value is the sum of these flat indices of the source tensor. */
  sumOf?: number[];
  /** A remainder like "all other tokens": the value is 1 minus the sum of these flat indices. */
  complementOf?: number[];
}

/** A number drawn on its own, as a declared part of its text. */
function valuePart(n: ShownNumber): SaidAt {
  const { text, at: _at, ...claim } = n;
  return { text, start: 0, claim: { kind: 'value', ...claim } };
}

/** Fixed-point text with a true minus sign (U+2212) and no "−0.00". */
export function formatFixed(value: number, decimals = 2): string {
  if (value === Infinity) return '∞';
  if (value === -Infinity) return '−∞';
  const s = Math.abs(value).toFixed(decimals);
  const negative = value < 0 && Number(s) !== 0;
  return (negative ? '\u2212' : '') + s;
}

/** Digits after the point for a percentage: more for small ones, so 0.03% is not "0.0%". */
export function percentDecimals(p: number): number {
  return p >= 0.1 ? 1 : p >= 0.001 ? 2 : 3;
}

/** An integer with grouping commas, e.g. 124,439,808. */
export function formatCount(value: number): string {
  return GROUPED.format(Math.round(value));
}

// One formatter for every count: toLocaleString builds a new one per call, which a prompt change paid thousands of times.
const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export class Frame {
  readonly items: Item[] = [];
  readonly shown: ShownNumber[] = [];
  /** Where values sit on screen, for the hover readout (drawn numbers register theirs too). */
  readonly spots: Spot[] = [];
  private alpha = 1;
  private ox = 0;
  private oy = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    /** False for a frame that is only drawn: its spots are never read, so none are recorded. */
    private readonly recordSpots = true,
  ) {}

  /** Draws fn's items with opacity multiplied by a; skipped entirely when invisible. */
  fade(a: number, fn: () => void): void {
    if (a <= 0.004) return;
    const prev = this.alpha;
    this.alpha = prev * Math.min(1, a);
    fn();
    this.alpha = prev;
  }

  /** Draws fn's items shifted by (dx, dy). */
  shift(dx: number, dy: number, fn: () => void): void {
    this.ox += dx;
    this.oy += dy;
    fn();
    this.ox -= dx;
    this.oy -= dy;
  }

  /** Text on one line; a phrase keeps its declared parts (said.ts). */
  text(x: number, y: number, phrase: Phrase, o: TextOptions): void {
    const { text, said } = phraseLayout(phrase);
    this.pushText(x, y, text, said, o);
  }

  /**
   * Runs of text set one after another; the renderer measures them with the real font. `said`
   * places the declared parts in the runs' text, joined.
   */
  rich(x: number, y: number, runs: { text: string; size: number; dy: number }[], o: Omit<TextOptions, 'size' | 'mono'>, said: readonly SaidAt[] = []): void {
    if (runs.length === 1 && runs[0].dy === 0) {
      this.pushText(x, y, runs[0].text, said, { ...o, size: runs[0].size });
      return;
    }
    this.items.push({
      kind: 'rich',
      x: x + this.ox,
      y: y + this.oy,
      runs,
      said,
      bold: o.bold ?? false,
      italic: o.italic ?? false,
      paint: o.paint ?? 'ink',
      align: o.align ?? 'left',
      alpha: this.alpha,
    });
  }

  /** A number the model computed, drawn and registered with its trace source. */
  number(x: number, y: number, raw: number, source: Source, o: NumberOptions): string {
    const scale = o.scale ?? (o.percent ? 100 : 1);
    const value = raw * scale;
    const text = formatFixed(value, o.decimals ?? 2) + (o.percent ? '%' : '');
    const extra: SpotExtra = { ...(o.sumOf && { sumOf: o.sumOf }), ...(o.complementOf && { complementOf: o.complementOf }) };
    const shown: ShownNumber = { text, value, source, scale, at: { x: x + this.ox, y: y + this.oy }, ...extra };
    this.pushText(x, y, text, [valuePart(shown)], { mono: true, ...o });
    this.shown.push(shown);
    this.spotAroundText(x, y, text, { mono: true, ...o }, raw, source, extra);
    return text;
  }

  /** A whole number from the explanation (a token id, a count), registered like number(). */
  count(x: number, y: number, raw: number, source: Source, o: TextOptions & { group?: boolean }): string {
    const text = o.group ? formatCount(raw) : String(Math.round(raw));
    const shown: ShownNumber = { text, value: raw, source, scale: 1, at: { x: x + this.ox, y: y + this.oy } };
    this.pushText(x, y, text, [valuePart(shown)], o);
    this.shown.push(shown);
    this.spotAroundText(x, y, text, o, raw, source);
    return text;
  }

  /** Every text of the frame as drawn, with its declared parts (for the digit rule). */
  texts(): DrawnText[] {
    const out: DrawnText[] = [];
    for (const item of this.items) {
      if (item.kind === 'text') out.push({ text: item.text, said: item.said, x: item.x, y: item.y, alpha: item.alpha });
      else if (item.kind === 'rich') out.push({ text: item.runs.map((r) => r.text).join(''), said: item.said, x: item.x, y: item.y, alpha: item.alpha });
    }
    return out;
  }

  private pushText(x: number, y: number, text: string, said: readonly SaidAt[], o: TextOptions): void {
    this.items.push({
      kind: 'text',
      x: x + this.ox,
      y: y + this.oy,
      text,
      said,
      size: o.size,
      mono: o.mono ?? false,
      bold: o.bold ?? false,
      italic: o.italic ?? false,
      paint: o.paint ?? 'ink',
      align: o.align ?? 'left',
      alpha: this.alpha,
    });
  }

  /** Registers a value drawn as a colour (a cell, a strip) at this rectangle; `extra.choose` makes it a choice too. */
  spot(x: number, y: number, w: number, h: number, value: number, source: Source, note?: string, extra: SpotExtra = {}): void {
    if (this.alpha < 0.5 || !this.recordSpots) return; // a value still fading in is not yet there to point at
    this.spots.push({ x: x + this.ox, y: y + this.oy, w, h, value, source, ...(note && { note }), ...extra });
  }

  private spotAroundText(x: number, y: number, text: string, o: TextOptions, value: number, source: Source, extra?: SpotExtra): void {
    const { size, mono = false, align = 'left' } = o;
    const w = textWidth(text, size, mono);
    const left = align === 'left' ? x : align === 'right' ? x - w : x - w / 2;
    // Text is drawn on its middle line; the box takes a little margin so small numbers are easy to hit.
    this.spot(left - 2, y - size * 0.6, w + 4, size * 1.2, value, source, undefined, extra);
  }

  rect(
    x: number,
    y: number,
    w: number,
    h: number,
    o: { fill?: Paint; stroke?: Paint; lineWidth?: number; radius?: number },
  ): void {
    this.items.push({
      kind: 'rect',
      x: x + this.ox,
      y: y + this.oy,
      w,
      h,
      fill: o.fill ?? null,
      stroke: o.stroke ?? null,
      lineWidth: o.lineWidth ?? 1,
      radius: o.radius ?? 0,
      alpha: this.alpha,
    });
  }

  /** A rows × cols grid of cells of one colour, cell (i, j) at opacity[i · cols + j] (see CellsItem). */
  cells(x: number, y: number, cols: number, rows: number, cellW: number, cellH: number, opacity: Float32Array, fill: Paint): void {
    this.items.push({ kind: 'cells', x: x + this.ox, y: y + this.oy, cols, rows, cellW, cellH, opacity, fill, alpha: this.alpha });
  }

  path(points: number[], o: { stroke?: Paint; fill?: Paint; lineWidth?: number; closed?: boolean; dashed?: boolean }): void {
    const p = points.slice();
    for (let i = 0; i < p.length; i += 2) {
      p[i] += this.ox;
      p[i + 1] += this.oy;
    }
    this.items.push({
      kind: 'path',
      points: p,
      stroke: o.stroke ?? null,
      fill: o.fill ?? null,
      lineWidth: o.lineWidth ?? 1.5,
      closed: o.closed ?? false,
      dashed: o.dashed ?? false,
      alpha: this.alpha,
    });
  }
}
