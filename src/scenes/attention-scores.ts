// Scene 7, attention scores: K_h is transposed, and A_h = Q_h K_hᵀ / √H fills cell by cell,
// each cell the dot product of a query row and a key column, scaled (h.L.attn.scores).
// Laid out as a multiplication: Q_h on the left, K_hᵀ above, the scores where they meet.
// With RoPE the queries and keys are the turned ones (q_rot, k_rot, marked ′), and with
// grouped-query attention the keys are those of the head's key/value head.

import { label } from '../anim/label.ts';
import { columnSlice, MatrixView, plane, transposed } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard } from '../anim/timeline.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, blockHead, headOperands, tokenPieces } from './shared.ts';
import { say, type Phrase } from '../render/said.ts';
import type { TraceName } from '../model/registry.ts';
import { SPACE, TEXT } from '../anim/metrics.ts';

/** Q_h, K_hᵀ and a T × T matrix laid out as a multiplication; shared with the mask scene. */
function productLayout(ex: Explanation, a: Area, tensor: TraceName, name: Phrase) {
  const natural = productLayoutAtSize(ex, a, tensor, name, a.size);
  // On a narrow phone even the fewest columns can be too wide: then everything shrinks to fit.
  return natural.totalW <= a.w ? natural : productLayoutAtSize(ex, a, tensor, name, (a.size * a.w) / natural.totalW);
}

function productLayoutAtSize(ex: Explanation, a: Area, tensor: TraceName, name: Phrase, s: number) {
  const { T, H } = dims(ex);
  const { head } = ex;
  const { q: qName, k: kName, kvHead, mark } = headOperands(ex);
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const q = columnSlice(ex.trace, qName, head * H, H);
  const kT = transposed(columnSlice(ex.trace, kName, kvHead * H, H));
  const A = plane(ex.trace, tensor, head);
  const leftW = a.portrait ? a.w * 0.42 : a.w * 0.36;
  const rows = Math.max(3, Math.floor((a.h * (a.portrait ? 0.45 : 0.5) - s * 3) / (s * SPACE.row)));
  const krows = Math.max(3, Math.min(6, Math.floor((a.h * 0.4 - s * 4) / (s * SPACE.row))));
  const rightW = a.w - leftW - s * 7;
  const natural = new MatrixView(A, { size: s, maxWidth: rightW, maxRows: rows });
  const naturalK = new MatrixView(kT, { size: s, maxWidth: rightW, maxRows: krows, colLabelText: pieces });
  const cellW = Math.max(natural.cellW, naturalK.cellW);
  const mA = new MatrixView(A, { size: s, maxWidth: rightW, maxRows: rows, keepRows: [T - 1], cellW, name, rowBrace: say`T = ${d.dim('T')}` });
  const mK = new MatrixView(kT, { size: s, maxWidth: rightW, maxRows: krows, cellW, colLabelText: pieces, name: say`K${mark}_{${d.index(kvHead, 'nKvHead')}}^T`, rowBrace: say`H = ${d.dim('H')}` });
  const gap = s * 1.2;
  const rightWidth = Math.max(mK.width, mA.width);
  const qOptions = {
    size: s,
    maxWidth: Infinity,
    maxRows: rows,
    keepRows: [T - 1],
    maxCols: a.portrait ? 3 : 5,
    rowLabels: pieces,
    colLabels: 'qWidth' as const,
    colOffset: head * H,
    name: say`Q${mark}_{${d.index(head, 'nHead')}}`,
    colBrace: say`H = ${d.dim('H')}`,
  };
  // Q gets what the right-hand matrices and their braces leave, so nothing runs off a phone screen.
  const qLabelW = new MatrixView(q, qOptions).labelW;
  const mQ = new MatrixView(q, { ...qOptions, maxWidth: Math.min(leftW - s * 6, a.w - rightWidth - gap - qLabelW) });
  const totalW = mQ.width + gap + rightWidth;
  const x1 = a.x + Math.max(0, (a.w - totalW) / 2) + mQ.width + gap;
  const aGridGap = s * 0.6;
  // Q's grid lines up with A's, and Q's column brace hangs below both.
  const totalH = mK.height + aGridGap + mA.headerH + mA.gridH + Math.max(s, mQ.footerH);
  const y0 = a.y + s * 1.4 + Math.max(0, (a.h - s * 1.4 - totalH) / 2);
  mK.at(x1, y0);
  const aGridY = y0 + mK.height + aGridGap + mA.headerH;
  mA.at(x1, aGridY - mA.headerH - mA.colLabelH);
  mQ.at(x1 - gap - mQ.width, aGridY - mQ.headerH - mQ.colLabelH);
  return { s, mQ, mK, mA, totalW };
}

function build(ex: Explanation) {
  const { T } = dims(ex);
  const { layer, head } = ex;
  const { kvHead, mark } = headOperands(ex);
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const h = d.index(head, 'nHead');
  const K = say`K${mark}_${d.index(kvHead, 'nKvHead')}`;
  const story = new Storyboard();
  const turned = mark ? ' as RoPE turned them (marked ′)' : '';
  const shared = kvHead !== head ? say`, which query head ${h} reads from key/value head ${d.index(kvHead, 'nKvHead')}` : '';
  story.beat('operands', say`Attention in ${blockHead(ex)}. Each token’s query row will be compared with every token’s key row${shared}${turned}.`);
  const showQ = story.play(1.0);
  story.wait(0.6);
  story.beat('transpose', say`To compare rows with rows by matrix multiplication, ${K} is transposed: its rows become the columns of ${K}^T.`);
  const flip = story.play(1.2);
  story.wait(0.6);
  const slow = Math.min(T, 2) * Math.min(T, 6);
  story.beat('fill', say`Each score is the dot product of a query row and a key column, divided by √H = √${d.dim('H')} = ${d.dim('sqrtH')} so the scores do not grow with the head size.`);
  const fillSlow = story.play(0.45 * slow, (p) => p);
  const fillRest = story.play(1.0);
  story.wait(1.0);
  story.beat('meaning', say`A high score in row “${pieces[T - 1]}” means that token’s query matches that column’s key well. Later tokens’ scores are computed too, but the next step hides them.`);
  story.wait(3.0);

  const layout = (a: Area) => {
    const p = productLayout(ex, a, `h.${layer}.attn.scores`, say`A_{${h}} = Q${mark}_{${h}} K${mark}_{${d.index(kvHead, 'nKvHead')}}^T / √H`);
    // Cells fill one by one for the first rows, then the rest together.
    const slowCells = p.mA.visibleCells().filter((k) => p.mA.rowSlots.indexOf(k.r) < 2).slice(0, slow);
    const order = new Map(slowCells.map((k, i) => [k.r * T + k.c, i]));
    return { ...p, slowCells, order };
  };

  return makeScene({
    name: 'attention-scores',
    title: 'Attention scores',
    subtitle: blockHead(ex),
    story,
    layout,
    frame(f, t, L) {
      const { s, mQ, mK, mA } = L;
      const pq = showQ.at(t);
      const pf = flip.at(t);
      f.fade(pq, () => mQ.draw(f));
      // The flip: K_h (drawn as K_hᵀ's transpose would be) fades into K_hᵀ, with a quarter-turn hint.
      f.fade(pq * (1 - pf), () => label(f, mK.gridX + mK.gridW / 2, mK.centerY, say`K${mark}_{${d.index(kvHead, 'nKvHead')}}  (T × H)`, { size: s * TEXT.name, bold: true, paint: 'muted', align: 'center' }));
      f.fade(pf, () => mK.draw(f));
      // Cells fill one by one for the first rows (with the row and column being multiplied
      // highlighted), then the rest together.
      const { slowCells, order } = L;
      const ps = fillSlow.at(t);
      const pr = fillRest.at(t);
      const shownSlow = Math.floor(ps * slowCells.length + 1e-9);
      const current = ps > 0 && ps < 1 ? slowCells[Math.min(shownSlow, slowCells.length - 1)] : undefined;
      if (current) {
        f.rect(mQ.gridX - 2, mQ.rowY(current.r) - 1, mQ.gridW + 4, mQ.cellH + 2, { fill: 'highlight', stroke: 'highlightStroke', radius: 3 });
        f.rect(mK.colX(current.c) - 1, mK.gridY - 2, mK.cellW + 2, mK.gridH + 4, { fill: 'highlight', stroke: 'highlightStroke', radius: 3 });
      }
      mA.draw(f, {
        chrome: Math.min(1, ps * 4 + pr),
        alpha: (r, c) => {
          const k = order.get(r * T + c);
          if (k !== undefined) return k < shownSlow || ps >= 1 ? 1 : k === shownSlow && current ? 0.35 : 0;
          return pr;
        },
        fill: (r, c) => (current && r === current.r && c === current.c ? 'highlight' : null),
      });
    },
  });
}

export const attentionScoresScene: SceneDefinition = { name: 'attention-scores', title: 'Attention scores', build };
