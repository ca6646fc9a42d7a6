// Two prompts through the logit lens side by side: at each depth (after the embeddings, after
// each block's attention and after each block), the most likely next tokens had the model
// stopped there, for the first prompt (lens.probs) and for the second (compare.lens.probs), each
// read at the lens's position (the second at the same one, or at its last token when it is
// shorter: explain()). The last rows are the two prompts' own predictions.

import type { Area } from '../anim/area.ts';
import { drawInline, inlineWidth } from '../anim/inline-text.ts';
import { label } from '../anim/label.ts';
import { shortPiece } from '../anim/matrix.ts';
import { TEXT } from '../anim/metrics.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import type { Explanation } from '../model/explanation.ts';
import { at, type ValueName } from '../model/registry.ts';
import type { Frame } from '../render/frame.ts';
import { say } from '../render/said.ts';
import { textWidth, wrapText } from '../render/text.ts';
import type { SceneDefinition } from './contract.ts';
import { drawLegend, promptLegend, PROMPT_PAINT, secondOf, secondPieces, secondTokenIds } from './compare-shared.ts';
import { lensCell, lensRows, stageLabel } from './lens-rows.ts';
import { makeScene } from './make-scene.ts';
import { declared, dims, tokenPieces } from './shared.ts';

function build(ex: Explanation) {
  const second = secondOf(ex);
  const { V } = dims(ex);
  const d = declared(ex);
  const S = ex.lens.stages.length;
  const N = Math.min(ex.lens.top, second.lens.top);
  const sides = [
    { lens: ex.lens, name: 'lens.probs' as ValueName, tag: 'A', paint: PROMPT_PAINT.first, piece: tokenPieces(ex)[ex.lens.position] },
    { lens: second.lens, name: 'compare.lens.probs' as ValueName, tag: 'B', paint: PROMPT_PAINT.second, piece: secondPieces(ex)[second.lens.position] },
  ];
  const [readA, readB] = sides.map((side) => shortPiece(side.piece, 16));

  const story = new Storyboard();
  story.beat('read', say`The logit lens on both prompts: A read after “${readA}”, B after “${readB}”. Had the model stopped at a given depth, what would each have predicted?`);
  const showRead = story.play(1.0);
  story.wait(0.8);
  story.beat('fill', 'Depth by depth, each prompt’s most likely next tokens, side by side: see where the two guesses part.');
  const fill = story.play(Math.max(3, 0.3 * S));
  story.wait(1.2);
  story.beat('last', 'The last rows are the two prompts’ own predictions, exactly as the model makes them.');
  const showLast = story.play(0.8);
  story.wait(3.0);

  const layout = (a: Area) => {
    const s = a.size;
    const legend = promptLegend(ex, s * TEXT.label, a.w);
    const lineH = s * 1.3;
    const legendY = a.y + s * 0.5;
    const lastLines = wrapText('The last rows are each prompt’s own prediction (probs), to the last digit.', s * TEXT.small * 1.1, a.w);
    const footH = s * (0.5 + lastLines.length);
    const minRowH = Math.max(11, s * 0.72);
    const headY = legendY + lineH * 2 + s * 0.3;
    const fitRows = Math.floor((a.y + a.h - footH - headY - s * 1.7) / minRowH) - 1;
    const { shown, omitted } = lensRows(S, fitRows);
    const omittedLines = omitted ? wrapText(omitted, s * TEXT.tiny, a.w) : [];
    const tableTop = headY + s * 0.85 * omittedLines.length + s * 0.4;
    const rowH = Math.max(2, Math.min(s * 1.6, (a.y + a.h - footH - tableTop) / (shown.length + 1)));
    const fs = Math.min(s * TEXT.small, rowH * 0.75);
    const short = a.w < s * 50;
    const labelW = Math.max(...ex.lens.stages.map((_, k) => inlineWidth(stageLabel(k, short), fs))) + s * 0.6;
    const pctW = textWidth('100.00%', fs, true);
    const pieceW = textWidth('w'.repeat(7), fs, true);
    const cellGap = s * 0.4;
    const sideGap = s * 1.2;
    const sideW = (a.w - labelW - sideGap) / 2;
    const cols = Math.max(1, Math.min(N, Math.floor((sideW + cellGap) / (pieceW + pctW + s * 0.6 + cellGap))));
    const cellW = Math.max(2, Math.min((sideW + cellGap) / cols - cellGap, (pieceW + pctW + s * 0.6) * 1.4));
    const groupW = cols * (cellW + cellGap) - cellGap;
    const tableW = labelW + 2 * groupW + sideGap;
    const tx = a.x + Math.max(0, (a.w - tableW) / 2);
    const sideX = [tx + labelW, tx + labelW + groupW + sideGap];
    const pieceChars = Math.max(3, Math.floor((cellW - pctW - s * 0.5) / (fs * 0.61)));
    return { s, legend, legendX: a.x, legendY, lineH, headY, omittedLines, tableTop, shown, rowH, fs, short, cols, cellW, cellGap, groupW, tx, tableW, sideX, pieceChars, lastLines };
  };
  type Layout = ReturnType<typeof layout>;

  /** One depth's row: its name, then each prompt's most likely tokens with their probabilities. */
  function drawRow(f: Frame, L: Layout, stage: number, y: number) {
    drawInline(f, L.tx, y, stageLabel(stage, L.short), L.fs, 'muted');
    sides.forEach((side, i) => {
      for (let k = 0; k < L.cols; k++) {
        const id = side.lens.ids[stage * side.lens.top + k];
        const box = { x: L.sideX[i] + k * (L.cellW + L.cellGap), y, w: L.cellW, rowH: L.rowH, pad: L.s * 0.15 };
        const note = `prompt ${side.tag}, read after ${side.lens.stages[stage]}, at position ${side.lens.position}`;
        lensCell(f, box, d.piece(id), side.lens.probs[stage * side.lens.top + k], at(side.name, stage * V + id), L.fs, L.pieceChars, note);
      }
    });
  }

  return makeScene({
    name: 'compare-lens',
    title: 'The logit lens, two prompts',
    story,
    layout,
    frame(f, t, L, a) {
      const { s, fs, tx, rowH, tableTop } = L;
      const pr = showRead.at(t);
      drawLegend(f, L.legendX, L.legendY, L.legend, L.lineH);
      L.omittedLines.forEach((line, i) => f.text(a.x + a.w / 2, L.headY + s * 0.85 * i, line, { size: s * TEXT.tiny, paint: 'muted', italic: true, align: 'center' }));
      f.fade(pr, () => {
        f.text(tx, tableTop, 'read after', { size: fs, paint: 'muted', bold: true });
        sides.forEach((side, i) => {
          const head = say`${side.tag}, after “${shortPiece(side.piece, L.pieceChars + 4)}”`;
          f.text(L.sideX[i], tableTop, head, { size: fs, paint: side.paint, bold: true });
        });
      });
      const pf = fill.at(t);
      if (pf <= 0) return;
      const pl = showLast.at(t);
      L.shown.forEach((slot, k) => {
        const y = tableTop + (k + 1) * rowH;
        const p = stagger(pf, k, L.shown.length, 0.5);
        if (slot === 'gap') {
          f.fade(p, () => f.text(tx + (L.sideX[0] - tx) / 2, y, '⋮', { size: fs, paint: 'muted', align: 'center' }));
          return;
        }
        // Each block's two rows on a band of their own, every other block.
        if (slot > 0 && ((slot - 1) >> 1) % 2 === 1) f.rect(tx - s * 0.3, y - rowH / 2, L.tableW + s * 0.6, rowH, { fill: 'panel' });
        if (slot === ex.lens.stages.length - 1 && pl > 0) f.fade(pl, () => f.rect(tx - s * 0.3, y - rowH / 2, L.tableW + s * 0.6, rowH, { stroke: 'highlightStroke', lineWidth: 2, radius: 3 }));
        f.fade(p, () => drawRow(f, L, slot, y));
      });
      // A rule between the two prompts' columns.
      const ruleX = L.sideX[1] - (L.sideX[1] - L.sideX[0] - L.groupW) / 2;
      f.fade(Math.min(1, pf * 4), () => f.rect(ruleX, tableTop - rowH / 2, 1, (L.shown.length + 1) * rowH, { fill: 'faint' }));
      const footY = tableTop + (L.shown.length + 1) * rowH + rowH * 0.2 + s * 0.5;
      f.fade(pl, () => L.lastLines.forEach((line, i) => label(f, a.x + a.w / 2, footY + i * s, line, { size: s * TEXT.small, bold: true, align: 'center' })));
    },
  });
}

export const compareLensScene: SceneDefinition = {
  name: 'compare-lens',
  title: 'The logit lens, two prompts',
  build,
  comparesPrompts: true,
  labelledIds: (ex) => (ex.compare ? [...ex.lens.ids, ...ex.compare.lens.ids, ...secondTokenIds(ex)] : []),
};
