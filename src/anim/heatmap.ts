// The heatmap view, for when every column matters (a whole 768-wide row, a 3072-wide MLP row):
// each value becomes a colour on a diverging scale, with a legend whose ends are the row's
// real minimum and maximum. Columns narrower than a pixel share a strip (the strip shows the
// value of largest magnitude among them, so spikes stay visible).

import type { Frame } from '../render/frame.ts';
import { divergingColor } from '../render/theme.ts';
import type { MatrixSource } from './matrix.ts';
import { label } from './label.ts';
import { TEXT } from './metrics.ts';
import type { Phrase } from '../render/said.ts';

export class HeatmapView {
  x = 0;
  y = 0;
  /** Colour of each strip per row, computed once. */
  private readonly colors: string[][];
  /** The column each strip shows per row: the largest in size among those it covers. */
  private readonly picks: number[][];
  readonly strips: number;
  readonly scale: number;
  private readonly minAt: { r: number; c: number };
  private readonly maxAt: { r: number; c: number };

  constructor(
    readonly src: MatrixSource,
    readonly rows: number[],
    readonly width: number,
    readonly rowH: number,
    readonly size: number,
    readonly name?: Phrase,
    /** Fewer strips draw faster; 0 means one per pixel. */
    maxStrips = 0,
    /** A shared colour scale (so several heatmaps compare); default: this one's largest magnitude. */
    sharedScale = 0,
  ) {
    this.strips = Math.max(1, Math.min(src.cols, Math.floor(width), maxStrips > 0 ? maxStrips : Infinity));
    let lo = Infinity;
    let hi = -Infinity;
    this.minAt = { r: rows[0], c: 0 };
    this.maxAt = { r: rows[0], c: 0 };
    for (const r of rows) {
      for (let c = 0; c < src.cols; c++) {
        const v = src.data[src.index(r, c)];
        if (v < lo) {
          lo = v;
          this.minAt = { r, c };
        }
        if (v > hi) {
          hi = v;
          this.maxAt = { r, c };
        }
      }
    }
    this.scale = sharedScale > 0 ? sharedScale : Math.max(Math.abs(lo), Math.abs(hi), 1e-6);
    this.picks = rows.map((r) =>
      Array.from({ length: this.strips }, (_, k) => {
        const [c0, c1] = this.stripColumns(k);
        let pick = c0;
        for (let c = c0 + 1; c < c1; c++) if (Math.abs(src.data[src.index(r, c)]) > Math.abs(src.data[src.index(r, pick)])) pick = c;
        return pick;
      }),
    );
    this.colors = rows.map((r, i) => this.picks[i].map((c) => divergingColor(src.data[src.index(r, c)], this.scale)));
  }

  get height(): number {
    return (this.name ? this.size * 1.8 : 0) + this.rows.length * this.rowH + this.size * 2.2;
  }

  at(x: number, y: number): this {
    this.x = x;
    this.y = y;
    return this;
  }

  get gridY(): number {
    return this.y + (this.name ? this.size * 1.8 : 0);
  }

  /** Columns c0 … c1 − 1 of the source that strip k covers. */
  private stripColumns(k: number): [number, number] {
    const c0 = Math.floor((k * this.src.cols) / this.strips);
    return [c0, Math.max(c0 + 1, Math.floor(((k + 1) * this.src.cols) / this.strips))];
  }

  /** Registers what strip k of row i shows, for the hover readout. */
  private spotStrip(f: Frame, i: number, k: number, x: number, y: number, w: number): void {
    const [c0, c1] = this.stripColumns(k);
    const pick = this.picks[i][k];
    const index = this.src.index(this.rows[i], pick);
    const note = c1 - c0 > 1 ? `this strip covers columns ${c0}–${c1 - 1} and shows the largest in size, column ${pick}` : undefined;
    f.spot(x, y, w, this.rowH, this.src.data[index], { tensor: this.src.tensor, index }, note);
  }

  /** Draws rows revealed left to right up to sweep ∈ [0, 1], and the legend. */
  draw(f: Frame, sweep = 1, legend = true): void {
    const s = this.size;
    if (this.name) label(f, this.x, this.y + s * 0.8, this.name, { size: s, bold: true });
    const sw = this.width / this.strips;
    const shown = Math.round(this.strips * sweep);
    this.rows.forEach((_, i) => {
      const y = this.gridY + i * this.rowH;
      const colors = this.colors[i];
      for (let k = 0; k < shown; k++) f.rect(this.x + k * sw, y, sw + 0.6, this.rowH - 2, { fill: colors[k] as `rgb${string}` });
      for (let k = 0; k < shown; k++) this.spotStrip(f, i, k, this.x + k * sw, y, sw);
    });
    // Legend: the real extremes of what is shown.
    const ly = this.gridY + this.rows.length * this.rowH + s * 0.9;
    const lo = this.src.index(this.minAt.r, this.minAt.c);
    const hi = this.src.index(this.maxAt.r, this.maxAt.c);
    if (!legend) return;
    f.fade(sweep, () => {
      f.text(this.x, ly, 'min', { size: s * TEXT.tiny, paint: 'muted' });
      f.number(this.x + s * 2, ly, this.src.data[lo], { tensor: this.src.tensor, index: lo }, { size: s * TEXT.note, paint: 'neg' });
      f.text(this.x + this.width, ly, 'max', { size: s * TEXT.tiny, paint: 'muted', align: 'right' });
      f.number(this.x + this.width - s * 2.2, ly, this.src.data[hi], { tensor: this.src.tensor, index: hi }, { size: s * TEXT.note, paint: 'pos', align: 'right' });
    });
  }
}
