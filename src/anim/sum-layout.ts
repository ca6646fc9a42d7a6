// A + B = C: two matrices of one shape and their cell-by-cell sum, side by side when they fit
// and stacked on a phone, with "+" and "=" between them. The embeddings' sum and the residual
// connection draw it alike.

import type { Frame } from '../render/frame.ts';
import type { Area } from './area.ts';
import { arrangeBest, gridMiddle, Spacer } from './arrange.ts';
import { MatrixView, rowsThatFit, type MatrixSource } from './matrix.ts';
import { TEXT } from './metrics.ts';
import type { Part, Phrase } from '../render/said.ts';

export interface SumOptions {
  /** The two operands and their sum, all T × C. */
  sources: readonly [MatrixSource, MatrixSource, MatrixSource];
  /** Their names, drawn above them (with _sub and ^sup markup). */
  names: readonly [Phrase, Phrase, Phrase];
  /** The tokens, as row labels: left of A, and left of every matrix when they are stacked. */
  rowLabels: readonly Part[];
  /** The brace under each matrix's columns ("C = 768") and the one right of the sum's rows ("T = 5"). */
  colBrace: Phrase;
  rowBrace: Phrase;
  /** Height one matrix's rows may fill side by side, and when the three are stacked. */
  rowsHeight: { row: number; stacked: number };
}

export interface SumLayout {
  a: MatrixView;
  b: MatrixView;
  sum: MatrixView;
  plus: Spacer;
  equals: Spacer;
  mode: 'row' | 'column';
}

/** Lays out A + B = C within `area`, sized by its base font size s. */
export function sumLayout(area: Area, o: SumOptions): SumLayout {
  const s = area.size;
  const { items, mode } = arrangeBest(area, s * 0.6, gridMiddle, (stacked, factor) => {
    const each = stacked ? area.w - s * 3 : factor * ((area.w - s * 12) / 3 - s * 1.5);
    const rows = rowsThatFit(stacked ? o.rowsHeight.stacked : o.rowsHeight.row, s);
    const common = { size: s, maxWidth: each, maxRows: rows, maxCols: 6, colLabels: 'C' as const, colBrace: o.colBrace };
    const [a, b, c] = o.sources;
    const [nameA, nameB, nameC] = o.names;
    return [
      new MatrixView(a, { ...common, rowLabels: o.rowLabels, name: nameA }),
      new Spacer(s * 2, s * 2),
      new MatrixView(b, { ...common, rowLabels: stacked ? o.rowLabels : undefined, name: nameB }),
      new Spacer(s * 2, s * 2),
      new MatrixView(c, { ...common, rowLabels: stacked ? o.rowLabels : undefined, name: nameC, rowBrace: o.rowBrace }),
    ] as const;
  });
  const [a, plus, b, equals, sum] = items;
  return { a, b, sum, plus, equals, mode };
}

/** Draws "+" and "=" between the matrices, each at its own opacity. */
export function drawSumSigns(f: Frame, L: SumLayout, plus: number, equals: number): void {
  const size = L.a.o.size * TEXT.operator;
  const y = (sign: Spacer) => (L.mode === 'row' ? L.a.centerY : sign.cy);
  f.fade(plus, () => f.text(L.plus.cx, y(L.plus), '+', { size, align: 'center', paint: 'muted' }));
  f.fade(equals, () => f.text(L.equals.cx, y(L.equals), '=', { size, align: 'center', paint: 'muted' }));
}
