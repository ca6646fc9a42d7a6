// Probability bars: one row per token (green piece, bar, percentage), plus an optional
// "all other tokens" row whose share is 1 minus the shown ones, registered as such.

import type { Frame } from '../render/frame.ts';
import type { Paint } from '../render/theme.ts';
import { textWidth } from '../render/text.ts';
import { shortPiece } from './matrix.ts';

export interface BarRow {
  label: string;
  /** Probability in [0, 1]. */
  value: number;
  source: { tensor: string; index: number };
  /** For the "all other tokens" row: value = 1 − Σ source[complementOf]. */
  complementOf?: number[];
  paint?: Paint;
  emphasis?: boolean;
}

export interface BarsLayout {
  x: number;
  y: number;
  width: number;
  rowH: number;
  labelW: number;
  size: number;
}

export function barsLayout(rows: BarRow[], x: number, y: number, width: number, size: number): BarsLayout {
  const labelW = Math.max(...rows.map((r) => textWidth(shortPiece(r.label, 16), size * 0.9, true))) + size * 0.8;
  return { x, y, width, rowH: size * 1.8, labelW, size };
}

/** Draws the bars; grow in [0, 1] scales bar lengths (the numbers are always the real ones). */
export function drawBars(f: Frame, L: BarsLayout, rows: BarRow[], o: { grow?: number; rowAlpha?: (i: number) => number } = {}): void {
  const grow = o.grow ?? 1;
  const pctW = textWidth('100.0%', L.size * 0.85, true) + L.size * 0.5;
  const barMax = Math.max(10, L.width - L.labelW - pctW);
  rows.forEach((row, i) => {
    const y = L.y + i * L.rowH;
    const cy = y + L.rowH / 2;
    f.fade(o.rowAlpha ? o.rowAlpha(i) : 1, () => {
      if (row.emphasis) f.rect(L.x - 4, y + 1, L.width + 8, L.rowH - 2, { fill: 'highlight', stroke: 'highlightStroke', radius: 3 });
      f.text(L.x + L.labelW - L.size * 0.5, cy, shortPiece(row.label, 16), {
        size: L.size * 0.9,
        mono: !row.complementOf,
        italic: !!row.complementOf,
        paint: row.complementOf ? 'muted' : 'token',
        align: 'right',
      });
      const bw = Math.max(1, barMax * row.value * grow);
      f.rect(L.x + L.labelW, y + L.rowH * 0.2, bw, L.rowH * 0.6, { fill: row.paint ?? (row.complementOf ? 'faint' : 'dim'), radius: 2 });
      f.number(L.x + L.labelW + bw + L.size * 0.4, cy, row.value, row.source, { size: L.size * 0.85, decimals: 1, percent: true, complementOf: row.complementOf });
    });
  });
}
