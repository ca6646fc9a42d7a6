// The heatmap view, for when every column matters (a whole 768-wide row, a 3072-wide MLP row):
// each value becomes a colour on a diverging scale, with a legend whose ends are the row's
// real minimum and maximum. Columns narrower than a pixel share a strip (the strip shows the
// value of largest magnitude among them, so spikes stay visible).

import type { Frame } from '../render/frame.ts';
import { divergingColor } from '../render/theme.ts';
import type { MatrixSource } from './matrix.ts';
import { label } from './label.ts';

export class HeatmapView {
  x = 0;
  y = 0;
  /** Colour of each strip per row, computed once. */
  private readonly colors: string[][];
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
    readonly name?: string,
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
    this.colors = rows.map((r) => {
      const out: string[] = [];
      for (let s = 0; s < this.strips; s++) {
        const c0 = Math.floor((s * src.cols) / this.strips);
        const c1 = Math.max(c0 + 1, Math.floor(((s + 1) * src.cols) / this.strips));
        let pick = 0;
        for (let c = c0; c < c1; c++) {
          const v = src.data[src.index(r, c)];
          if (Math.abs(v) > Math.abs(pick)) pick = v;
        }
        out.push(divergingColor(pick, this.scale));
      }
      return out;
    });
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
    });
    // Legend: the real extremes of what is shown.
    const ly = this.gridY + this.rows.length * this.rowH + s * 0.9;
    const lo = this.src.index(this.minAt.r, this.minAt.c);
    const hi = this.src.index(this.maxAt.r, this.maxAt.c);
    if (!legend) return;
    f.fade(sweep, () => {
      f.text(this.x, ly, 'min', { size: s * 0.7, paint: 'muted' });
      f.number(this.x + s * 2, ly, this.src.data[lo], { tensor: this.src.tensor, index: lo }, { size: s * 0.75, paint: 'neg' });
      f.text(this.x + this.width, ly, 'max', { size: s * 0.7, paint: 'muted', align: 'right' });
      f.number(this.x + this.width - s * 2.2, ly, this.src.data[hi], { tensor: this.src.tensor, index: hi }, { size: s * 0.75, paint: 'pos', align: 'right' });
    });
  }
}
