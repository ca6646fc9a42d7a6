// Two prompts' predictions side by side: the most likely next tokens after either prompt, each
// with its probability after the first (probs) and after the second (compare.probs), from two
// forward passes of one model, then their difference (diff.nextProbs, declared in the registry):
// which tokens the change of prompt made more or less likely.

import type { Area } from '../anim/area.ts';
import { shortPiece } from '../anim/matrix.ts';
import { TEXT } from '../anim/metrics.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import type { Explanation } from '../model/explanation.ts';
import { at, namedValue, type Source } from '../model/registry.ts';
import { percentDecimals, type Frame } from '../render/frame.ts';
import { say } from '../render/said.ts';
import { textWidth } from '../render/text.ts';
import type { Paint } from '../render/theme.ts';
import type { SceneDefinition } from './contract.ts';
import { drawLegend, legendWidth, promptLegend, PROMPT_PAINT, secondOf, secondTokenIds } from './compare-shared.ts';
import { makeScene } from './make-scene.ts';
import { declared, dims } from './shared.ts';

/** How many of each prompt's most likely tokens the table lists. */
const TOP = 5;

/** The table's rows: each prompt's most likely tokens (the registry's ranking), the first's first, then the second's not yet listed. */
function tableRows(ex: Explanation): { id: number; source: Source }[] {
  const rows: { id: number; source: Source }[] = [];
  for (const name of ['topTokens', 'compare.topTokens'] as const) {
    const top = namedValue(ex, name)!.data;
    for (let k = 0; k < Math.min(TOP, top.length); k++) if (!rows.some((row) => row.id === top[k])) rows.push({ id: top[k], source: at(name, k) });
  }
  return rows;
}

function build(ex: Explanation) {
  const second = secondOf(ex);
  const { V } = dims(ex);
  const d = declared(ex);
  const offA = (ex.tokens.length - 1) * V;
  const offB = (second.tokens.length - 1) * V;
  const probsA = namedValue(ex, 'probs')!.data;
  const probsB = namedValue(ex, 'compare.probs')!.data;
  const change = namedValue(ex, 'diff.nextProbs')!.data;
  const rows = tableRows(ex);
  const topIds = [namedValue(ex, 'topTokens')!.data[0], namedValue(ex, 'compare.topTokens')!.data[0]];
  const topA = d.piece(at('topTokens', 0));
  const topB = d.piece(at('compare.topTokens', 0));

  const story = new Storyboard();
  story.beat('first', 'Two prompts, A and B, each run through the same model. The rows are the most likely next tokens after either; first, their probabilities after A.');
  const showA = story.play(1.2);
  story.wait(1.2);
  story.beat('second', 'Then after B: its own forward pass, its own probabilities, for the same tokens.');
  const showB = story.play(1.2);
  story.wait(1.2);
  story.beat('change', 'B − A: how much more likely (orange) or less likely (blue) each token became when the prompt changed, in percentage points.');
  const showChange = story.play(1.4);
  story.wait(1.8);
  story.beat(
    'top',
    topIds[0] === topIds[1]
      ? say`Both prompts make “${topA}” the most likely next token.`
      : say`After A the most likely next token is “${topA}”; after B it is “${topB}”.`,
  );
  const showTop = story.play(0.8);
  story.wait(2.5);

  const layout = (a: Area) => {
    const s = a.size;
    const legend = promptLegend(ex, s * TEXT.label, a.w);
    const legendW = legendWidth(legend);
    const lineH = s * 1.3;
    const legendY = a.y + s * 0.5;
    const top = legendY + lineH * 2 + s * 0.2;
    const fs = s * TEXT.small;
    const tokW = Math.max(...rows.map((row) => textWidth(shortPiece(ex.piece(row.id).text, 12), s * TEXT.body, true)), textWidth('token', fs)) + s * 0.8;
    const numW = textWidth('−100.00%', fs, true);
    const colW = Math.max(numW + s * 2, Math.min(s * 11, (a.w - tokW) / 3));
    const tableW = tokW + 3 * colW;
    const tx = a.x + Math.max(0, (a.w - tableW) / 2);
    const rowH = Math.max(2, Math.min(s * 1.9, (a.y + a.h - top) / (rows.length + 1)));
    return { s, fs, legend, legendX: a.x + Math.max(0, (a.w - legendW) / 2), legendY, lineH, top, tokW, numW, colW, tx, rowH };
  };
  type Layout = ReturnType<typeof layout>;

  /** A probability as a bar from the column's left and its number at the column's right. */
  const probability = (f: Frame, L: Layout, x: number, y: number, p: number, source: Source, paint: Paint) => {
    const room = L.colW - L.numW - L.s * 0.8;
    f.rect(x, y - L.rowH * 0.3, Math.max(p > 0 ? 1 : 0, room * p), L.rowH * 0.6, { fill: paint, radius: 2 });
    f.number(x + L.colW - L.s * 0.5, y, p, source, { size: L.fs, percent: true, decimals: percentDecimals(p), align: 'right' });
  };

  /** A difference as a bar either side of the column's axis (orange up, blue down) and its number at the column's right. */
  const difference = (f: Frame, L: Layout, x: number, y: number, delta: number, source: Source) => {
    const half = (L.colW - L.numW - L.s * 0.8) / 2;
    const axis = x + half;
    const w = Math.abs(delta) * half;
    f.rect(axis, y - L.rowH * 0.45, 1, L.rowH * 0.9, { fill: 'faint' });
    if (w > 0) f.rect(delta > 0 ? axis : axis - w, y - L.rowH * 0.3, Math.max(1, w), L.rowH * 0.6, { fill: delta > 0 ? 'pos' : 'neg', radius: 2 });
    f.number(x + L.colW - L.s * 0.5, y, delta, source, { size: L.fs, percent: true, decimals: percentDecimals(Math.abs(delta)), align: 'right' });
  };

  return makeScene({
    name: 'compare-prediction',
    title: 'Prediction, two prompts',
    story,
    layout,
    frame(f, t, L) {
      const { s, fs, tx, tokW, colW, rowH, top } = L;
      const pa = showA.at(t);
      const pb = showB.at(t);
      const pc = showChange.at(t);
      const pt = showTop.at(t);
      drawLegend(f, L.legendX, L.legendY, L.legend, L.lineH);
      const colX = [tx + tokW, tx + tokW + colW, tx + tokW + 2 * colW];
      const heads: [string, Paint, number][] = [['A', PROMPT_PAINT.first, pa], ['B', PROMPT_PAINT.second, pb], ['B − A', 'ink', pc]];
      f.text(tx + tokW - s * 0.5, top, 'token', { size: fs, paint: 'muted', bold: true, align: 'right' });
      heads.forEach(([text, paint, p], i) => f.fade(p, () => f.text(colX[i], top, text, { size: fs, paint, bold: true })));
      rows.forEach(({ id, source }, k) => {
        const y = top + (k + 1) * rowH;
        if (topIds.includes(id) && pt > 0) {
          f.fade(pt, () => f.rect(tx - s * 0.3, y - rowH / 2 + 1, tokW + 3 * colW + s * 0.3, rowH - 2, { fill: 'highlight', stroke: 'highlightStroke', radius: 3 }));
        }
        f.fade(stagger(pa, k, rows.length, 0.3), () => {
          f.text(tx + tokW - s * 0.5, y, [shortPiece(d.piece(source), 12)], { size: s * TEXT.body, mono: true, paint: 'token', align: 'right' });
          probability(f, L, colX[0], y, probsA[offA + id], at('probs', offA + id), PROMPT_PAINT.first);
        });
        f.fade(stagger(pb, k, rows.length, 0.3), () => probability(f, L, colX[1], y, probsB[offB + id], at('compare.probs', offB + id), PROMPT_PAINT.second));
        f.fade(stagger(pc, k, rows.length, 0.3), () => difference(f, L, colX[2], y, change[id], at('diff.nextProbs', id)));
      });
    },
  });
}

export const comparePredictionScene: SceneDefinition = {
  name: 'compare-prediction',
  title: 'Prediction, two prompts',
  build,
  comparesPrompts: true,
  labelledIds: (ex) => (ex.compare ? [...tableRows(ex).map((row) => row.id), ...secondTokenIds(ex)] : []),
};
