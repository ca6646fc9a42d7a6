// The matrix view of the original article: real values to two decimals, tokens as green row
// labels, dimension indices as blue column labels, "first columns … last column" when wide,
// a ⋮ row when tall, a name above and braces stating the true shape. Layout is fixed when the
// view is made; drawing only reads it.

import { formatFixed, type Frame } from '../render/frame.ts';
import type { Paint } from '../render/theme.ts';
import { textWidth } from '../render/text.ts';
import type { DimName, TraceName, ValueName } from '../model/registry.ts';
import { indexPart, phraseText, shortened, type Part, type Phrase } from '../render/said.ts';
import { traced, type Trace } from '../model/trace.ts';
import { label, labelWidth } from './label.ts';
import { brace } from './marks.ts';
import { stagger } from './timeline.ts';
import { SPACE, TEXT } from './metrics.ts';

/** A 2-D window onto a trace tensor: what (r, c) means as a flat index into its data. */
export interface MatrixSource {
  tensor: ValueName;
  data: Float32Array;
  rows: number;
  cols: number;
  index(r: number, c: number): number;
}

/** A whole 2-D tensor, R × K. */
export function wholeMatrix(trace: Trace, name: TraceName): MatrixSource {
  const t = traced(trace, name);
  const [rows, cols] = t.shape;
  return { tensor: name, data: t.data, rows, cols, index: (r, c) => r * cols + c };
}

/** Columns [from, from + width) of a 2-D tensor: one head's slice of Q, K or V (T × H). */
export function columnSlice(trace: Trace, name: TraceName, from: number, width: number): MatrixSource {
  const t = traced(trace, name);
  const [rows, cols] = t.shape;
  return { tensor: name, data: t.data, rows, cols: width, index: (r, c) => r * cols + from + c };
}

/** Plane k of a 3-D tensor n × R × K: one head's scores, weights or output. */
export function plane(trace: Trace, name: TraceName, k: number): MatrixSource {
  const t = traced(trace, name);
  const [, rows, cols] = t.shape;
  return { tensor: name, data: t.data, rows, cols, index: (r, c) => (k * rows + r) * cols + c };
}

/** Row `row` of a 2-D tensor as a 1 × K matrix. */
export function oneRow(trace: Trace, name: TraceName, row: number): MatrixSource {
  const t = traced(trace, name);
  const cols = t.shape[1];
  return { tensor: name, data: t.data, rows: 1, cols, index: (_r, c) => row * cols + c };
}

/** The transpose of a source (Kᵀ): same numbers, rows and columns swapped. */
export function transposed(s: MatrixSource): MatrixSource {
  return { tensor: s.tensor, data: s.data, rows: s.cols, cols: s.rows, index: (r, c) => s.index(c, r) };
}

/**
 * How many rows (counting a ⋮ row) a view can show within a height, leaving room for its
 * name, column labels and bottom brace (at base font size s). At least 3.
 */
export function rowsThatFit(height: number, s: number): number {
  return Math.max(3, Math.floor((height - s * 5.9) / Math.round(s * SPACE.row)));
}

/** A visible row or column: its index in the source, or the ⋮ / … gap. */
export type Slot = number | 'gap';

/** Picks the slots to show: all when they fit, else the first ones, a gap, any kept index, the last. */
export function pickSlots(total: number, room: number, keep: number[] = []): Slot[] {
  const fit = Math.max(3, Math.floor(room));
  if (total <= fit) return Array.from({ length: total }, (_, i) => i);
  const extra = [...new Set(keep.filter((k) => k >= 0 && k < total))];
  for (let lead = fit - 2; lead >= 1; lead--) {
    const chosen = new Set<number>([...Array.from({ length: lead }, (_, i) => i), ...extra, total - 1]);
    const sorted = [...chosen].sort((a, b) => a - b);
    const slots: Slot[] = [];
    sorted.forEach((v, i) => {
      if (i > 0 && v - sorted[i - 1] > 1) slots.push('gap');
      slots.push(v);
    });
    if (slots.length <= fit || lead === 1) return slots;
  }
  return [0, 'gap', total - 1];
}

export interface MatrixOptions {
  /** Base font size in px. */
  size: number;
  /** Widest the cell grid may be, in px. */
  maxWidth: number;
  /** Most visible rows, counting the ⋮ row. */
  maxRows?: number;
  /** Rows that must stay visible (the highlighted one). */
  keepRows?: number[];
  /** Most visible columns, counting the … column. */
  maxCols?: number;
  decimals?: number;
  /** Token pieces for the rows, drawn in green; omit for none. */
  rowLabels?: readonly Part[];
  /** Blue column indices above the grid, which are indices along this dimension (with colOffset added). */
  colLabels?: DimName;
  /** Added to the column index labels (a head's slice starts at head × H). */
  colOffset?: number;
  /** Cell width to use instead of fitting the numbers (to line up with another view). */
  cellW?: number;
  /** Column labels to use instead of indices (token pieces of Kᵀ's columns); a hole draws nothing. */
  colLabelText?: readonly (Part | undefined)[];
  /** A name above the grid, with _sub and ^sup markup. */
  name?: Phrase;
  /** Text of the brace under the grid, e.g. "C = 768". */
  colBrace?: Phrase;
  /** Text of the brace right of the grid, e.g. "T = 5". */
  rowBrace?: Phrase;
}

export interface CellStyle {
  /** Opacity of cell (r, c) — reveals and sweeps. */
  alpha?: (r: number, c: number) => number;
  /** Background of a cell, or null for the default panel. */
  fill?: (r: number, c: number) => Paint | null;
  /** Cells the causal mask has set to −∞: drawn as "−∞" instead of the score. */
  masked?: (r: number, c: number) => boolean;
  /** Opacity of the labels, braces and name. */
  chrome?: number;
  /** Whether numbers are drawn (false draws the cells only). */
  numbers?: boolean;
  /** Rows and columns to mark with the yellow highlight. */
  highlightRow?: number;
  highlightCol?: number;
}

export class MatrixView {
  x = 0;
  y = 0;
  readonly rowSlots: Slot[];
  readonly colSlots: Slot[];
  readonly cellW: number;
  readonly cellH: number;
  readonly labelW: number;
  readonly headerH: number;
  readonly colLabelH: number;
  readonly footerH: number;
  readonly braceW: number;
  readonly numSize: number;
  private readonly rowPos = new Map<number, number>();
  private readonly colPos = new Map<number, number>();
  /** Each visible cell's place in the row-after-row fill (made when first asked for). */
  private fillOrder: Map<number, number> | null = null;

  constructor(
    readonly src: MatrixSource,
    readonly o: MatrixOptions,
  ) {
    const s = o.size;
    this.numSize = s * 0.8;
    this.cellH = Math.round(s * SPACE.row);
    this.rowSlots = pickSlots(src.rows, o.maxRows ?? 12, o.keepRows);
    const d = o.decimals ?? 2;
    // Cell width fits the widest number among the first rows' first columns and the last column.
    let widest = 4;
    const probeCols = [0, 1, 2, src.cols - 1].filter((c) => c >= 0 && c < src.cols);
    for (const r of this.rowSlots) {
      if (r === 'gap') continue;
      for (const c of probeCols) widest = Math.max(widest, formatFixed(src.data[src.index(r, c)], d).length);
    }
    // Labels show at most 8 characters, so the longest needs counting only up to there (the
    // prediction scene passes one label slot per vocabulary entry, nearly all empty).
    let colText = 0;
    for (const label of o.colLabelText ?? []) {
      const t = label === undefined ? '' : typeof label === 'string' ? label : label.text;
      if (t.length > colText) colText = Math.max(colText, [...t].length);
      if (colText >= 8) break;
    }
    const byLabels = o.colLabelText ? textWidth('x'.repeat(Math.min(colText, 8)), s * 0.72, true) : 0;
    this.cellW = o.cellW ?? Math.ceil(Math.max(textWidth('0'.repeat(widest), this.numSize, true) + s * 0.7, byLabels + 6));
    const room = Math.min(o.maxCols ?? 99, o.maxWidth / this.cellW);
    this.colSlots = pickSlots(src.cols, room);
    // If a wider cell found in later columns overflows, it is clipped by its neighbours' gap only.
    this.labelW = o.rowLabels ? Math.max(...o.rowLabels.map((t) => textWidth(phraseText([shortPiece(t)]), s * TEXT.label, true))) + s * 0.7 : 0;
    this.headerH = o.name ? s * 2.0 : 0;
    this.colLabelH = o.colLabels || o.colLabelText ? s * 1.25 : 0;
    this.footerH = o.colBrace ? s * 2.5 : s * 0.3;
    this.braceW = o.rowBrace ? labelWidth(o.rowBrace, s * TEXT.label) + s * 1.6 : 0;
    this.rowSlots.forEach((r, i) => typeof r === 'number' && this.rowPos.set(r, i));
    this.colSlots.forEach((c, i) => typeof c === 'number' && this.colPos.set(c, i));
  }

  get gridW(): number {
    return this.colSlots.length * this.cellW;
  }
  get gridH(): number {
    return this.rowSlots.length * this.cellH;
  }
  get gridX(): number {
    return this.x + this.labelW;
  }
  get gridY(): number {
    return this.y + this.headerH + this.colLabelH;
  }
  get width(): number {
    return this.labelW + this.gridW + this.braceW;
  }
  get height(): number {
    return this.headerH + this.colLabelH + this.gridH + this.footerH;
  }

  /** Places the view's top-left corner; returns it for chaining. */
  at(x: number, y: number): this {
    this.x = x;
    this.y = y;
    return this;
  }

  /** Whether tensor row r is on screen. */
  showsRow(r: number): boolean {
    return this.rowPos.has(r);
  }
  showsCol(c: number): boolean {
    return this.colPos.has(c);
  }

  /** Top y of tensor row r's cells (row must be visible). */
  rowY(r: number): number {
    return this.gridY + (this.rowPos.get(r) ?? 0) * this.cellH;
  }
  /** Left x of tensor column c's cells (column must be visible). */
  colX(c: number): number {
    return this.gridX + (this.colPos.get(c) ?? 0) * this.cellW;
  }
  /** Centre of the grid. */
  get centerY(): number {
    return this.gridY + this.gridH / 2;
  }

  /** The cells on screen, row after row (the ⋮ and … gaps left out). */
  visibleCells(): { r: number; c: number }[] {
    const out: { r: number; c: number }[] = [];
    for (const r of this.rowSlots) for (const c of this.colSlots) if (r !== 'gap' && c !== 'gap') out.push({ r, c });
    return out;
  }

  /**
   * Opacity of each cell while the grid fills cell by cell, row after row, at progress p (each
   * cell starting `lag` of a cell's time after the one before it: stagger's lag ratio).
   */
  cellByCell(p: number, lag = 0.15): (r: number, c: number) => number {
    if (!this.fillOrder) {
      const cells = this.visibleCells();
      this.fillOrder = new Map(cells.map((k, i) => [k.r * this.src.cols + k.c, i]));
    }
    const order = this.fillOrder;
    return (r, c) => stagger(p, order.get(r * this.src.cols + c) ?? 0, order.size, lag);
  }

  draw(f: Frame, st: CellStyle = {}): void {
    const { src, o } = this;
    const s = o.size;
    const chrome = st.chrome ?? 1;
    const showNumbers = st.numbers ?? true;
    const d = o.decimals ?? 2;
    f.fade(chrome, () => {
      if (o.name) label(f, this.gridX + this.gridW / 2, this.y + s * 0.9, o.name, { size: s * TEXT.name, bold: true, align: 'center' });
      if (o.colBrace) brace(f, 'below', this.gridX, this.gridX + this.gridW, this.gridY + this.gridH + s * 0.35, o.colBrace, { size: s * TEXT.label, paint: 'dim' });
      if (o.rowBrace) brace(f, 'right', this.gridY, this.gridY + this.gridH, this.gridX + this.gridW + s * 0.4, o.rowBrace, { size: s * TEXT.label, paint: 'token' });
    });
    // Highlight bands go under the cells.
    if (st.highlightRow !== undefined && this.showsRow(st.highlightRow)) {
      f.rect(this.gridX - 3, this.rowY(st.highlightRow) - 1, this.gridW + 6, this.cellH + 2, { fill: 'highlight', stroke: 'highlightStroke', lineWidth: 1.5, radius: 3 });
    }
    if (st.highlightCol !== undefined && this.showsCol(st.highlightCol)) {
      f.rect(this.colX(st.highlightCol) - 1, this.gridY - 3, this.cellW + 2, this.gridH + 6, { fill: 'highlight', stroke: 'highlightStroke', lineWidth: 1.5, radius: 3 });
    }
    this.rowSlots.forEach((r, i) => {
      const y = this.gridY + i * this.cellH;
      const cy = y + this.cellH / 2;
      if (r === 'gap') {
        f.fade(chrome, () =>
          this.colSlots.forEach((c, j) => {
            if (c !== 'gap') f.text(this.gridX + (j + 0.5) * this.cellW, cy, '⋮', { size: s * TEXT.body, paint: 'muted', align: 'center' });
          }),
        );
        return;
      }
      if (o.rowLabels) {
        f.fade(chrome, () => f.text(this.gridX - s * 0.45, cy, [shortPiece(o.rowLabels![r] ?? '')], { size: s * TEXT.label, mono: true, paint: 'token', align: 'right' }));
      }
      this.colSlots.forEach((c, j) => {
        const x = this.gridX + j * this.cellW;
        if (c === 'gap') {
          f.fade(chrome, () => f.text(x + this.cellW / 2, cy, '…', { size: s * TEXT.body, paint: 'muted', align: 'center' }));
          return;
        }
        const a = st.alpha ? st.alpha(r, c) : 1;
        f.fade(a, () => {
          const fill = st.fill?.(r, c) ?? 'panel';
          f.rect(x + 1, y + 1, this.cellW - 2, this.cellH - 2, { fill });
          const index = src.index(r, c);
          const masked = st.masked?.(r, c) ?? false;
          if (masked) f.spot(x, y, this.cellW, this.cellH, -Infinity, { tensor: src.tensor, index }, undefined, { masked });
          else f.spot(x, y, this.cellW, this.cellH, src.data[index], { tensor: src.tensor, index });
          if (!showNumbers) return;
          if (masked) f.text(x + this.cellW / 2, cy, '−∞', { size: this.numSize, mono: true, paint: 'accent', align: 'center' });
          else f.number(x + this.cellW - s * 0.3, cy, src.data[index], { tensor: src.tensor, index }, { size: this.numSize, decimals: d, align: 'right' });
        });
      });
    });
    if (this.colLabelH > 0) {
      f.fade(chrome, () =>
        this.colSlots.forEach((c, j) => {
          if (c === 'gap') return;
          const text = o.colLabelText ? shortPiece(o.colLabelText[c] ?? '', 8) : indexPart(c + (o.colOffset ?? 0), o.colLabels!);
          f.text(this.gridX + (j + 0.5) * this.cellW, this.gridY - this.colLabelH * 0.5, [text], {
            size: s * TEXT.index,
            mono: true,
            paint: o.colLabelText ? 'token' : 'dim',
            align: 'center',
          });
        }),
      );
    }
  }
}

/**
 * A view at most `width` px wide in all, row labels and brace included (maxWidth bounds only the
 * grid): when the first build is wider, the grid gets what the labels and brace leave.
 */
export function viewWithin(src: MatrixSource, o: MatrixOptions, width: number): MatrixView {
  const view = new MatrixView(src, o);
  if (view.width <= width) return view;
  return new MatrixView(src, { ...o, maxWidth: Math.min(o.maxWidth, width - view.labelW - view.braceW) });
}

/** A token piece (or its declared part) cut to fit a label column. */
export function shortPiece<P extends Part>(piece: P, max = 10): P {
  return shortened(piece, max);
}
