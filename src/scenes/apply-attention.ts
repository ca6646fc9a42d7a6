// Scene 9, applying attention: Y_h = weights × V_h (h.L.attn.heads). One output row is worked
// out as a weighted sum of value rows, with the real weights as percentages, lined up column
// by column under the row it produces, so the arithmetic can be checked on screen.

import { arrangeBest, gridMiddle, Spacer } from '../anim/arrange.ts';
import { columnSlice, MatrixView, plane, shortPiece, rowsThatFit, viewWithin } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import { within } from '../anim/easing.ts';
import { percentDecimals } from '../render/frame.ts';
import { textWidth } from '../render/text.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, blockHead, headOperands, tokenPieces } from './shared.ts';
import { say } from '../render/said.ts';
import { SPACE, TEXT } from '../anim/metrics.ts';

/** At most this many value rows are written out; the rest are summarised in one line. */
const MAX_TERMS = 6;

function build(ex: Explanation) {
  const { T, H } = dims(ex);
  const { layer, head } = ex;
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const h = d.index(head, 'nHead');
  const W = plane(ex.trace, `h.${layer}.attn.weights`, head);
  const { kvHead } = headOperands(ex); // the key/value head whose values this head reads
  const V = columnSlice(ex.trace, `h.${layer}.attn.v`, kvHead * H, H);
  const Y = plane(ex.trace, `h.${layer}.attn.heads`, head);
  const r = T - 1;
  // The terms: every position the last token sees, or the largest weights when there are many.
  const all = Array.from({ length: r + 1 }, (_, s) => s);
  const terms = all.length <= MAX_TERMS ? all : [...all].sort((a, b) => W.data[W.index(r, b)] - W.data[W.index(r, a)] || a - b).slice(0, MAX_TERMS - 1).sort((a, b) => a - b);
  const rest = all.filter((s) => !terms.includes(s));

  const story = new Storyboard();
  const kv = d.index(kvHead, 'nKvHead');
  const shared = kvHead !== head ? say`, the values of key/value head ${kv}, which it shares` : '';
  story.beat('product', say`In ${blockHead(ex)}, the weights multiply the head’s values${shared}: Y_${h} = weights × V_${kv}, a T × H matrix.`);
  const showTop = story.play(1.2);
  story.wait(1.0);
  story.beat('row', say`Take the row of “${pieces[r]}”. It is a weighted sum of value rows: each token’s value row times that token’s weight.`);
  const showTerms = story.play(Math.min(4, 0.8 + 0.5 * terms.length));
  story.wait(1.2);
  story.beat(
    'result',
    rest.length
      ? say`Adding the ${d.dim('T')} scaled rows column by column gives the row of Y_${h} (the ${d.count(rest.length, 'T')} smallest terms are not written out).`
      : say`Adding the scaled rows column by column gives exactly the row of Y_${h} (up to rounding of the numbers shown).`,
  );
  const showResult = story.play(1.0);
  story.wait(3.0);

  const layout = (a: Area) => {
    const s = a.size;
    const exampleH = (terms.length + (rest.length ? 2 : 1) + 1.5) * s * SPACE.row;
    const topH = a.h - exampleH - s;
    const { items, mode } = arrangeBest({ ...a, y: a.y + s * 1.2, h: topH - s * 1.2 }, s * 0.5, gridMiddle, (stacked, factor) => {
      const each = stacked ? a.w - s * 4 : factor * ((a.w - s * 8) / 3 - s * 2);
      const rows = rowsThatFit(stacked ? (topH - s * 4.5) / 3 : topH - s * 1.2, s);
      const natural = new MatrixView(V, { size: s, maxWidth: each, maxRows: rows, maxCols: 5 });
      const naturalY = new MatrixView(Y, { size: s, maxWidth: each, maxRows: rows, maxCols: 5 });
      const cellW = Math.max(natural.cellW, naturalY.cellW);
      const common = { size: s, maxWidth: each, maxRows: rows, keepRows: [r] };
      // Stacked, each view has the whole width, its row labels included; in a row, arrangeBest checks the sum.
      const room = stacked ? a.w : Infinity;
      // Y's columns are the head's slice of the heads side by side (C in GPT-2): their indices run
      // from head × H; V's are its key/value head's slice of V, from kvHead × H.
      const slice = { colLabels: 'qWidth' as const, colOffset: head * H, maxCols: 5, cellW, rowLabels: stacked ? pieces : undefined };
      return [
        viewWithin(W, { ...common, maxCols: 6, rowLabels: pieces, colLabelText: pieces, name: 'weights' }, room),
        new Spacer(s * 1.6, s * 1.6),
        viewWithin(V, { ...common, ...slice, colLabels: 'kvWidth', colOffset: kvHead * H, name: say`V_{${kv}}` }, room),
        new Spacer(s * 1.6, s * 1.6),
        viewWithin(Y, { ...common, ...slice, name: say`Y_{${h}}`, colBrace: say`H = ${d.dim('H')}` }, room),
      ] as const;
    });
    const [mW, op0, mV, op1, mY] = items;
    const ops = [op0, op1];
    const cellW = mV.cellW;
    // The worked example: a percentage, "×", then V's visible columns under each other.
    const pctW = textWidth('100.0%', s * TEXT.body, true);
    const labW = Math.max(...terms.map((t) => textWidth(`“${shortPiece(pieces[t], 8).text}”`, s * TEXT.small))) + s;
    const cols = mV.colSlots;
    const rowW = labW + pctW + s * 2 + cols.length * cellW;
    const ex0 = a.x + Math.max(0, (a.w - rowW) / 2);
    // Side by side, the worked sum goes under the matrices; stacked, it takes their place, centred.
    const ey = (mode === 'row' ? a.y + a.h - exampleH : a.y + Math.max(0, (a.h - exampleH) / 2)) + s * 0.5;
    return { s, mW, mV, mY, ops, mode, cols, cellW, labW, pctW, ex0, ey, lineH: s * SPACE.row };
  };

  return makeScene({
    name: 'apply-attention',
    title: 'Applying attention',
    subtitle: blockHead(ex),
    story,
    layout,
    frame(f, t, L) {
      const { s, mW, mV, mY, cols, cellW, lineH } = L;
      const pt = showTop.at(t);
      const pr = showResult.at(t);
      // Stacked (narrow screens), the three matrices fill the height the worked sum needs, so
      // they leave in the first half of its beat and its terms come in the second; side by
      // side, the matrices stay.
      const stacked = L.mode === 'column';
      const pe = stacked ? within(showTerms.at(t), 0.5, 1) : showTerms.at(t);
      const matricesShown = stacked ? 1 - within(showTerms.at(t), 0, 0.5) : 1;
      f.fade(pt * matricesShown, () => {
        mW.draw(f, { highlightRow: showTerms.at(t) > 0 ? r : undefined });
        mV.draw(f);
        mY.draw(f, { alpha: (row) => (row === r ? Math.max(pr, 0) : 1), highlightRow: pr > 0 ? r : undefined });
        const cy = (sp: Spacer) => (L.mode === 'row' ? mV.centerY : sp.cy);
        f.text(L.ops[0].cx, cy(L.ops[0]), '×', { size: s * TEXT.operator, align: 'center', paint: 'muted' });
        f.text(L.ops[1].cx, cy(L.ops[1]), '=', { size: s * TEXT.operator, align: 'center', paint: 'muted' });
      });
      const cellsX = L.ex0 + L.labW + L.pctW + s * 2;
      const drawVector = (y: number, row: number, src: typeof V, bold = false) =>
        cols.forEach((c, j) => {
          const x = cellsX + j * cellW;
          if (c === 'gap') {
            f.text(x + cellW / 2, y, '…', { size: s * TEXT.body, paint: 'muted', align: 'center' });
            return;
          }
          f.rect(x + 1, y - lineH / 2 + 2, cellW - 2, lineH - 4, { fill: bold ? 'highlight' : 'panel' });
          const i = src.index(row, c);
          f.number(x + cellW - s * 0.3, y, src.data[i], { tensor: src.tensor, index: i }, { size: s * TEXT.small, align: 'right', bold });
        });
      terms.forEach((sIdx, k) => {
        const y = L.ey + k * lineH;
        f.fade(stagger(pe, k, terms.length, 0.5), () => {
          f.text(L.ex0 + L.labW - s * 0.5, y, say`“${shortPiece(pieces[sIdx], 8)}”`, { size: s * TEXT.small, paint: 'token', align: 'right' });
          const wi = W.index(r, sIdx);
          const w = W.data[wi];
          f.text(L.ex0 + L.labW - s * 0.2, y, k === 0 ? ' ' : '+', { size: s * TEXT.body, mono: true, paint: 'muted' });
          f.number(L.ex0 + L.labW + L.pctW + s * 0.6, y, w, { tensor: W.tensor, index: wi }, { size: s * TEXT.body, percent: true, decimals: percentDecimals(w) >= 2 ? 2 : 1, align: 'right' });
          f.text(L.ex0 + L.labW + L.pctW + s * 1.3, y, '×', { size: s * TEXT.body, paint: 'muted', align: 'center' });
          drawVector(y, sIdx, V);
        });
      });
      let y = L.ey + terms.length * lineH;
      if (rest.length) {
        f.fade(pe, () => f.text(cellsX, y, say`+ ${d.count(rest.length, 'T')} more rows with smaller weights`, { size: s * TEXT.small, italic: true, paint: 'muted' }));
        y += lineH;
      }
      f.fade(pr, () => {
        f.path([cellsX, y - lineH / 2 + 1, cellsX + cols.length * cellW, y - lineH / 2 + 1], { stroke: 'ink', lineWidth: 1 });
        f.text(L.ex0 + L.labW + L.pctW + s * 1.3, y + s * 0.2, '=', { size: s, paint: 'muted', align: 'center' });
        drawVector(y + s * 0.2, r, Y, true);
      });
    },
  });
}

export const applyAttentionScene: SceneDefinition = { name: 'apply-attention', title: 'Applying attention', build };
