// Scenes 2 and 3 share one storyboard: each row of the prompt picks a row of a big table (the
// token embedding table by id, the position table by position), and the picked rows stack
// into a T × C matrix. Only the picked rows are numbers the model used, so only they show numbers.

import { label } from '../anim/label.ts';
import { brace, arrow } from '../anim/marks.ts';
import { viewWithin, wholeMatrix } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import { within } from '../anim/easing.ts';
import type { Frame } from '../render/frame.ts';
import { textWidth } from '../render/text.ts';
import { phraseText, say, type Phrase, type Said } from '../render/said.ts';
import type { Explanation } from '../model/explanation.ts';
import type { Scene } from './contract.ts';
import { declared, dims, tokenPieces } from './shared.ts';
import { SPACE, TEXT } from '../anim/metrics.ts';

export interface LookupKind {
  name: string;
  title: string;
  tensor: 'embed.token' | 'embed.position';
  /** Table name with markup, e.g. "W_{te}". */
  table: string;
  /** Text of the brace along the table's rows, e.g. "V = 50,257". */
  rowsBrace: (ex: Explanation) => Phrase;
  /** Rows of the table and what they are, e.g. V and "tokens". */
  tableRows: (ex: Explanation) => number;
  rowWord: string;
  /** Which table row prompt position t reads, and that row's number as drawn beside the table. */
  rowOf: (ex: Explanation, t: number) => { row: number; label: Said };
  captions: (ex: Explanation) => [Phrase, Phrase, Phrase];
}

export function buildLookup(ex: Explanation, kind: LookupKind): Scene {
  const { T } = dims(ex);
  const d = declared(ex);
  const rowsInTable = kind.tableRows(ex);
  const pieces = tokenPieces(ex);
  const [c1, c2, c3] = kind.captions(ex);
  const picks = Array.from({ length: T }, (_, t) => kind.rowOf(ex, t));
  const picked = picks.map((p) => p.row);
  const C = dims(ex).C;

  const story = new Storyboard();
  story.beat('table', c1);
  const showTable = story.play(1.2);
  story.wait(1.0);
  story.beat('lookup', c2);
  const look = story.play(Math.min(6, 1.2 + 0.6 * T));
  story.wait(1.0);
  story.beat('stack', c3);
  const showShape = story.play(1.0);
  story.wait(2.5);

  const layout = (a: Area) => {
    const s = a.size;
    const src = wholeMatrix(ex.trace, kind.tensor);
    if (src.rows !== T || src.cols !== C) throw new Error(`${kind.tensor} has shape ${src.rows} × ${src.cols}, expected ${T} × ${C}`);
    // On a phone the table spans the width, less room for its row brace's text on both sides.
    const braceRoom = textWidth(phraseText(kind.rowsBrace(ex)), s * TEXT.small) + s * 1.5;
    const tableW = a.portrait ? Math.min(a.w * 0.8, a.w - 2 * braceRoom) : Math.min(a.w * 0.16, s * 9);
    const tableH = a.portrait ? a.h * 0.16 : a.h * 0.62;
    const matrixMaxW = a.portrait ? a.w - s * 8 : a.w - braceRoom - tableW - s * 10;
    // The "T × C = …" note goes under the matrix's column brace: keep its line free too.
    const noteH = s * 1.8;
    const maxRows = Math.max(3, Math.floor(((a.portrait ? a.h - tableH - s * 7 : a.h) - s * 6 - noteH) / (s * SPACE.row)));
    // Within the area with its row labels and brace, however long the pieces are (a <|begin_of_text|> token).
    const room = a.portrait ? a.w : a.w - braceRoom - tableW - s * 8;
    const m = viewWithin(src, {
      size: s,
      maxWidth: matrixMaxW - s * 6,
      maxRows,
      maxCols: 8,
      rowLabels: pieces,
      colLabels: 'C',
      name: kind.tensor === 'embed.token' ? 'token embeddings' : 'position embeddings',
      colBrace: say`C = ${d.dim('C')}`,
      rowBrace: say`T = ${d.dim('T')}`,
    }, room);
    let tx: number;
    let ty: number;
    if (a.portrait) {
      tx = a.x + (a.w - tableW) / 2;
      ty = a.y + s * 2.2;
      m.at(a.x + Math.max(0, (a.w - m.width) / 2), ty + tableH + s * 3.5);
    } else {
      // The group (row brace's text, table, gap, matrix) is centred; the brace's text keeps its room.
      const total = braceRoom + tableW + s * 8 + m.width;
      tx = a.x + Math.max(0, (a.w - total) / 2) + braceRoom;
      ty = a.y + (a.h - tableH) / 2;
      m.at(tx + tableW + s * 8, a.y + Math.max(0, (a.h - m.height - noteH) / 2));
    }
    return { s, m, tx, ty, tableW, tableH, portrait: a.portrait, bottom: a.y + a.h - s * 0.5 };
  };

  /** Where table row r sits along the table's height. */
  const markY = (L: ReturnType<typeof layout>, r: number) => L.ty + ((r + 0.5) / rowsInTable) * L.tableH;
  /**
   * Label positions for the picked rows, pushed apart so nearby ids do not overlap. When so many
   * ids fall close together (a small vocabulary, a long prompt) that they would run out of the
   * area, only the rows the matrix shows get labels, moved up as far as needed.
   */
  const labelYs = (L: ReturnType<typeof layout>): number[] => {
    const place = (rows: number[]): number[] => {
      const order = rows.map((i) => ({ i, y: markY(L, picked[i]) })).sort((a, b) => a.y - b.y);
      const out: number[] = [];
      let last = -Infinity;
      for (const o of order) {
        const y = Math.max(o.y, last + L.s * 0.85);
        out[o.i] = y;
        last = y;
      }
      return out;
    };
    const lowest = (ys: number[]) => Math.max(...ys.filter((y) => y !== undefined));
    const all = place(picked.map((_, i) => i));
    if (lowest(all) <= L.bottom) return all;
    const shown = place(picked.map((_, i) => i).filter((i) => L.m.showsRow(i)));
    const over = Math.max(0, lowest(shown) - L.bottom);
    return shown.map((y) => y - over);
  };

  return makeScene({
    name: kind.name,
    title: kind.title,
    story,
    layout,
    frame(f: Frame, t, L) {
      const { s, m } = L;
      const pt = showTable.at(t);
      f.fade(pt, () => {
        f.rect(L.tx, L.ty, L.tableW, L.tableH, { fill: 'panel', stroke: 'faint', lineWidth: 1, radius: 3 });
        label(f, L.tx + L.tableW / 2, L.ty - s * 1.2, kind.table, { size: s * TEXT.name, bold: true, align: 'center' });
        brace(f, 'left', L.ty, L.ty + L.tableH, L.tx - s * 0.3, kind.rowsBrace(ex), { size: s * TEXT.small, paint: 'muted' });
        brace(f, 'below', L.tx, L.tx + L.tableW, L.ty + L.tableH + s * 0.3, say`C = ${d.dim('C')}`, { size: s * TEXT.small, paint: 'dim' });
        f.text(L.tx + L.tableW / 2, L.ty + L.tableH + s * 2.6, `one row per ${kind.rowWord}`, { size: s * TEXT.note, paint: 'muted', align: 'center' });
      });
      const pl = look.at(t);
      const ly = labelYs(L);
      for (let i = 0; i < T; i++) {
        const q = stagger(pl, i, T, 0.35);
        if (q <= 0 || !m.showsRow(i)) continue;
        const y = markY(L, picked[i]);
        const rowMid = m.rowY(i) + m.cellH / 2;
        f.fade(within(q, 0, 1 / 3), () => {
          f.rect(L.tx, y - 1.5, L.tableW, 3, { fill: 'highlightStroke' });
          f.text(L.tx + L.tableW + s * 0.3, ly[i], [picks[i].label], { size: s * TEXT.tiny, mono: true, paint: 'dim' });
          if (!L.portrait) arrow(f, L.tx + L.tableW + s * 3, ly[i], m.gridX - m.labelW - s * 0.3, rowMid, { progress: within(q, 0, 0.5), paint: 'faint', head: 6 });
        });
      }
      m.draw(f, {
        alpha: (r) => within(stagger(pl, r, T, 0.35), 0.5, 1),
        chrome: Math.max(pt * 0.999, 0),
      });
      f.fade(showShape.at(t), () => {
        label(f, m.gridX + m.gridW / 2, m.gridY + m.gridH + s * 3.6, say`T × C = ${d.dim('T')} × ${d.dim('C')}`, { size: s * TEXT.body, paint: 'muted', align: 'center' });
      });
    },
  });
}
