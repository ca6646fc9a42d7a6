// The logit lens: for one position, the residual stream after the embeddings (embed.sum, or
// embed.token without a position table), after each block's attention (h.L.resid_1) and after
// each block (h.L.out), each through the final norm (layer norm or RMSNorm) and the output
// head; each depth's most likely next tokens with their probabilities (lens.probs, computed by
// explain()), filling in depth by depth. The last row is the model's
// own prediction (probs), and the scene says so. Choosing a token above the table asks the page
// to read another position (a spot's `choose`).

import type { Area } from '../anim/area.ts';
import { drawInline, inlineWidth, type InlinePiece } from '../anim/inline-text.ts';
import { label } from '../anim/label.ts';
import { shortPiece } from '../anim/matrix.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import { chipHeight, chipWidth, tokenChip } from '../anim/tokenChip.ts';
import type { Explanation } from '../model/explanation.ts';
import { at } from '../model/registry.ts';
import type { Frame } from '../render/frame.ts';
import { textWidth, wrapText } from '../render/text.ts';
import type { SceneDefinition } from './contract.ts';
import { makeScene } from './make-scene.ts';
import { declared, dims, normWords, tokenPieces } from './shared.ts';
import { say } from '../render/said.ts';
import { lensCell, lensRows, stageLabel } from './lens-rows.ts';

function build(ex: Explanation) {
  const { T, V } = dims(ex);
  const { position: p, stages, top: N, ids, probs } = ex.lens;
  const S = stages.length;
  const d = declared(ex);
  const pieces = tokenPieces(ex);

  const story = new Storyboard();
  story.beat('read', say`Take the token “${pieces[p]}”. After every step of the model, its row of the residual stream could already be turned into a guess at what comes next.`);
  const showRead = story.play(1.0);
  story.wait(0.8);
  story.beat('fill', `Put each of those rows through the final ${normWords(ex).name}, the output head and a softmax, as the last block’s output is: the most likely next tokens, depth by depth.`);
  const fill = story.play(Math.max(3, 0.3 * S));
  story.wait(1.2);
  story.beat('last', 'The last row is the model’s own prediction at this position: the same probabilities, exactly.');
  const showLast = story.play(0.8);
  story.wait(2.5);
  story.beat('pick', 'Choose another token above the table to see what the model expected after it.');
  story.wait(2.5);

  const layout = (a: Area) => {
    const s = a.size;
    // The prompt's tokens, as many as fit around the one read; each a choice of position.
    const chipSize = s * 0.8;
    const gap = chipSize * 0.5;
    let lo = p;
    let hi = p;
    let used = chipWidth(pieces[p], chipSize);
    const room = a.w - 2 * textWidth(' … ', chipSize);
    const fits = (i: number) => used + gap + chipWidth(pieces[i], chipSize) <= room;
    for (let grown = true; grown; ) {
      grown = false;
      // One more on each side while there is room, so the token read stays near the middle.
      if (hi + 1 < T && fits(hi + 1)) {
        used += gap + chipWidth(pieces[++hi], chipSize);
        grown = true;
      }
      if (lo > 0 && fits(lo - 1)) {
        used += gap + chipWidth(pieces[--lo], chipSize);
        grown = true;
      }
    }
    const chips: { i: number; x: number; w: number }[] = [];
    let cx = a.x + (a.w - used) / 2;
    for (let i = lo; i <= hi; i++) {
      const w = chipWidth(pieces[i], chipSize);
      chips.push({ i, x: cx, w });
      cx += w + gap;
    }
    const chipY = a.y + s * 0.2;
    const questionY = chipY + chipHeight(chipSize) + s * 0.9;

    // The table: a row per depth (all when they fit, else the blocks' outputs, else some of them).
    const fs0 = s * 0.8;
    const lastLines = wrapText('The last row is the model’s own prediction (probs), to the last digit.', s * 0.8 * 1.1, a.w);
    const footH = s * (0.5 + lastLines.length);
    const minRowH = Math.max(11, s * 0.72);
    // Room for the note saying what is left out, should anything be.
    const fitRows = Math.floor((a.y + a.h - footH - questionY - s * 1.3 - s * 1.7) / minRowH) - 1;
    const { shown, omitted } = lensRows(S, fitRows);
    const omittedLines = omitted ? wrapText(omitted, s * 0.7, a.w) : [];
    const tableTop = questionY + s * (1.3 + 0.85 * omittedLines.length);
    // (A frame far too small for the table still gets rows of some height, overlapping.)
    const rowH = Math.max(2, Math.min(s * 1.6, (a.y + a.h - footH - tableTop) / (shown.length + 1)));
    const fs = Math.min(fs0, rowH * 0.75);
    const short = a.w < s * 40;
    const labelW = Math.max(...stages.map((_, k) => inlineWidth(stageLabel(k, short), fs))) + s * 0.8;
    const pctW = textWidth('100.00%', fs, true);
    const pieceW = textWidth('w'.repeat(9), fs, true);
    const cellGap = s * 0.6;
    const cols = Math.max(1, Math.min(N, Math.floor((a.w - labelW + cellGap) / (pieceW + pctW + s * 0.6 + cellGap))));
    const cellW = Math.max(2, Math.min((a.w - labelW + cellGap) / cols - cellGap, (pieceW + pctW + s * 0.6) * 1.5));
    const tableW = labelW + cols * (cellW + cellGap) - cellGap;
    const tx = a.x + (a.w - tableW) / 2;
    return { s, lastLines, chipSize, chips, lo, hi, chipY, questionY, tableTop, shown, rowH, fs, short, labelW, cols, cellW, cellGap, tx, tableW, omittedLines, pieceChars: Math.max(4, Math.floor((cellW - pctW - s * 0.6) / (fs * 0.61))) };
  };
  type Layout = ReturnType<typeof layout>;

  /** One depth's row: its name, then its most likely tokens, each with its probability and a bar. */
  function drawRow(f: Frame, L: Layout, stage: number, y: number) {
    const { fs, tx, labelW, cols, cellW, cellGap, rowH } = L;
    drawInline(f, tx, y, stageLabel(stage, L.short), fs, 'muted');
    for (let k = 0; k < cols; k++) {
      const id = ids[stage * N + k];
      const box = { x: tx + labelW + k * (cellW + cellGap), y, w: cellW, rowH, pad: L.s * 0.2 };
      lensCell(f, box, d.piece(id), probs[stage * N + k], at('lens.probs', stage * V + id), fs, L.pieceChars, `read after ${stages[stage]}, at position ${p}`);
    }
  }

  return makeScene({
    name: 'logit-lens',
    title: 'The logit lens',
    story,
    layout,
    frame(f, t, L, a) {
      const { s, chipSize } = L;
      const pr = showRead.at(t);
      // The tokens, the one read highlighted; each chooses its position.
      f.fade(Math.max(0.35, pr), () => {
        for (const c of L.chips) {
          tokenChip(f, c.x, L.chipY, pieces[c.i], { size: chipSize, highlight: c.i === p });
          f.spot(c.x, L.chipY, c.w, chipHeight(chipSize), ex.tokens[c.i].id, at('tokens', c.i), undefined, { choose: { position: c.i } });
        }
        const midY = L.chipY + chipHeight(chipSize) / 2;
        if (L.lo > 0) f.text(L.chips[0].x - chipSize * 0.3, midY, '…', { size: chipSize, paint: 'muted', align: 'right' });
        if (L.hi < T - 1) f.text(L.chips.at(-1)!.x + L.chips.at(-1)!.w + chipSize * 0.3, midY, '…', { size: chipSize, paint: 'muted' });
      });
      f.fade(pr, () => {
        const question: InlinePiece[] = [{ text: say`What comes after “${shortPiece(pieces[p], 16)}” (position ` }, { count: p, source: at('position', p) }, { text: ')?' }];
        drawInline(f, a.x + (a.w - inlineWidth(question, s * 0.95)) / 2, L.questionY, question, s * 0.95);
      });
      const pf = fill.at(t);
      if (pf <= 0) return;
      const { tx, labelW, rowH, fs, tableTop } = L;
      f.fade(Math.min(1, pf * 4), () => {
        f.text(tx, tableTop, 'read after', { size: fs, paint: 'muted', bold: true });
        f.text(tx + labelW, tableTop, L.short ? 'most likely next tokens' : 'most likely next tokens, with their probabilities', { size: fs, paint: 'muted', bold: true });
      });
      const pl = showLast.at(t);
      L.shown.forEach((slot, k) => {
        const y = tableTop + (k + 1) * rowH;
        if (slot === 'gap') {
          f.fade(stagger(pf, k, L.shown.length, 0.5), () => f.text(tx + L.labelW / 2, y, '⋮', { size: fs, paint: 'muted', align: 'center' }));
          return;
        }
        // Each block's two rows on a band of their own, every other block.
        if (slot > 0 && ((slot - 1) >> 1) % 2 === 1) f.rect(tx - s * 0.3, y - rowH / 2, L.tableW + s * 0.6, rowH, { fill: 'panel' });
        if (slot === S - 1 && pl > 0) f.fade(pl, () => f.rect(tx - s * 0.3, y - rowH / 2, L.tableW + s * 0.6, rowH, { stroke: 'highlightStroke', lineWidth: 2, radius: 3 }));
        f.fade(stagger(pf, k, L.shown.length, 0.5), () => drawRow(f, L, slot, y));
      });
      const footY = tableTop + (L.shown.length + 1) * rowH + rowH * 0.2 + s * 0.5;
      f.fade(pl, () => L.lastLines.forEach((line, i) => label(f, a.x + a.w / 2, footY + i * s, line, { size: s * 0.8, bold: true, align: 'center' })));
      L.omittedLines.forEach((line, i) => f.text(a.x + a.w / 2, L.questionY + s * (1.1 + i * 0.85), line, { size: s * 0.7, paint: 'muted', italic: true, align: 'center' }));
    },
  });
}

export const logitLensScene: SceneDefinition = { name: 'logit-lens', title: 'The logit lens', build, labelledIds: (ex) => [...ex.lens.ids] };
