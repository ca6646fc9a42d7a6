// Two prompts' attention side by side: the attention weights of the block and head the attention
// scenes follow, for the first prompt (h.L.attn.weights), for the second (compare.h.L.attn.weights,
// its own forward pass), and their difference position by position from the start
// (diff.h.L.attn.weights, declared in the registry). Rows of tokens both prompts share from the
// start come out the same, and the caption says so only when the registry's sharedStart says it.

import type { Area } from '../anim/area.ts';
import { label } from '../anim/label.ts';
import { MatrixView, type MatrixSource } from '../anim/matrix.ts';
import { SPACE, TEXT } from '../anim/metrics.ts';
import { Storyboard } from '../anim/timeline.ts';
import type { Explanation } from '../model/explanation.ts';
import { at, block, namedValue, secondPrompt } from '../model/registry.ts';
import type { Frame } from '../render/frame.ts';
import { indexPart, say, type Part, type Phrase } from '../render/said.ts';
import { divergingColor, type Paint } from '../render/theme.ts';
import type { SceneDefinition } from './contract.ts';
import { drawLegend, namedPlane, promptLegend, PROMPT_PAINT, secondOf, secondPieces, secondTokenIds } from './compare-shared.ts';
import { makeScene } from './make-scene.ts';
import { blockHead, declared, tokenPieces } from './shared.ts';

/** What the difference beat says, from how many tokens the prompts share from the start. */
function differenceCaption(ex: Explanation, compared: number): Phrase {
  const d = declared(ex);
  const second = secondOf(ex);
  const shared = namedValue(ex, 'sharedStart')!.data[0];
  const lead = 'B − A, cell by cell (positions from the start).';
  const lengths = ex.tokens.length === second.tokens.length ? '' : say` Only the first ${d.count(compared, 'T')} positions, which both prompts have, are compared.`;
  if (shared === ex.tokens.length && shared === second.tokens.length) return `${lead} The two prompts are the same tokens, so every weight is the same.`;
  if (shared >= compared) return say`${lead} The shorter prompt is how the longer one begins, so every row both have is the same: a token sees only itself and earlier tokens.${lengths}`;
  if (shared === 0) return say`${lead} The prompts differ from their first token on, so any row may differ.${lengths}`;
  const k = d.value(at('sharedStart', 0));
  return say`${lead} The first ${k} tokens are the same in both prompts, so are their rows: a token sees only itself and earlier tokens. From row ${k} on, rows may differ.${lengths}`;
}

function build(ex: Explanation) {
  const { layer, head } = ex;
  const piecesA = tokenPieces(ex);
  const piecesB = secondPieces(ex);
  const weights = block(layer, 'attn.weights');
  const A = namedPlane(ex, weights, head);
  const B = namedPlane(ex, secondPrompt(weights), head);
  const D = namedPlane(ex, `diff.h.${layer}.attn.weights`, head);
  const compared = D.rows;
  const shared = namedValue(ex, 'sharedStart')!.data[0];
  // The colour scale of the difference: its largest size in this head, so small changes still show.
  let largest = 1e-6;
  for (let r = 0; r < compared; r++) for (let c = 0; c <= r; c++) largest = Math.max(largest, Math.abs(D.data[D.index(r, c)]));
  const positions: Part[] = Array.from({ length: compared }, (_, i) => indexPart(i, 'T'));

  const story = new Storyboard();
  story.beat('first', say`The attention weights of ${blockHead(ex)} for prompt A: row r is how much token r looks at each token up to itself.`);
  const showA = story.play(1.0);
  story.wait(1.2);
  story.beat('second', 'The same block and head for prompt B, from its own forward pass.');
  const showB = story.play(1.0);
  story.wait(1.2);
  story.beat('difference', differenceCaption(ex, compared));
  const showD = story.play(1.2);
  story.wait(3.5);

  /** The three views at base font size s, placed from `top`: whether they fit the area, and whether any leaves columns out. */
  const place = (a: Area, s: number, top: number) => {
    const gap = s * 1.5;
    // Landscape: A, B and B − A in a row. Portrait: one above the other.
    const across = a.portrait ? 1 : 3;
    // Rows each view may show: its share of the height, less its name and column labels.
    const maxRows = Math.max(3, Math.floor(((a.y + a.h - top) / (4 - across) - s * 3.6) / Math.round(s * SPACE.row)));
    const views = (gridW: number, cellW?: number) => {
      const view = (src: MatrixSource, rowLabels: readonly Part[], colLabelText: readonly Part[]) =>
        // The last row stays in view, and the first that may differ (which the caption names) when there is room for its ⋮ rows too.
        new MatrixView(src, { size: s, maxWidth: gridW, maxRows, keepRows: maxRows >= 5 ? [shared, src.rows - 1] : [src.rows - 1], cellW, rowLabels, colLabelText, name: ' ' });
      return [view(A, piecesA, piecesA), view(B, piecesB, piecesB), view(D, positions, positions)];
    };
    // The grids share what the row labels leave of the width, and one cell width, so equal positions look equal.
    const natural = views(Infinity);
    const labels = a.portrait ? Math.max(...natural.map((v) => v.labelW)) : natural.reduce((w, v) => w + v.labelW, 0);
    const gridW = Math.max(s * 4, (a.w - labels - (across - 1) * gap) / across);
    const cellW = Math.max(...views(gridW).map((v) => v.cellW));
    const [mA, mB, mD] = views(gridW, cellW);
    const folded = [mA, mB, mD].some((v) => v.colSlots.includes('gap'));
    if (a.portrait) {
      let y = top;
      for (const v of [mA, mB, mD]) {
        v.at(a.x + Math.max(0, (a.w - v.width) / 2), y);
        y += v.height;
      }
      return { mA, mB, mD, folded, fits: Math.max(mA.width, mB.width, mD.width) <= a.w && y <= a.y + a.h };
    }
    const rowW = mA.width + mB.width + mD.width + 2 * gap;
    const x = a.x + Math.max(0, (a.w - rowW) / 2);
    mA.at(x, top);
    mB.at(x + mA.width + gap, top);
    mD.at(x + mA.width + mB.width + 2 * gap, top);
    return { mA, mB, mD, folded, fits: rowW <= a.w && top + Math.max(mA.height, mB.height, mD.height) <= a.y + a.h };
  };

  const layout = (a: Area) => {
    const s = a.size;
    const legend = promptLegend(ex, s * TEXT.label, a.w);
    const lineH = s * 1.3;
    // Below the subtitle (the block and head), which is centred at the top of the area.
    const legendY = a.y + s * 1.5;
    const top = legendY + lineH * 1.6;
    // A short prompt's matrices are small: drawn larger while all three still fit, whole if they can be.
    const tries = (a.portrait ? [1] : [1.5, 1.3, 1.15, 1]).map((k) => ({ k, views: place(a, s * k, top) }));
    const chosen = tries.find((p) => p.views.fits && !p.views.folded) ?? tries.find((p) => p.views.fits) ?? tries[tries.length - 1];
    return { s: s * chosen.k, legend, legendX: a.x, legendY, lineH, ...chosen.views };
  };

  /** A view's name above its grid, in its prompt's colour. */
  const nameAbove = (f: Frame, view: MatrixView, text: string, paint: Paint, s: number) =>
    label(f, view.gridX + view.gridW / 2, view.y + s * 0.9, text, { size: s * TEXT.name, bold: true, paint, align: 'center' });

  return makeScene({
    name: 'compare-attention',
    title: 'Attention, two prompts',
    subtitle: blockHead(ex),
    story,
    layout,
    frame(f, t, L) {
      const { s, mA, mB, mD } = L;
      const masked = (r: number, c: number): Paint | null => (c > r ? 'faint' : null);
      drawLegend(f, L.legendX, L.legendY, L.legend, L.lineH);
      f.fade(showA.at(t), () => {
        nameAbove(f, mA, 'A', PROMPT_PAINT.first, s);
        mA.draw(f, { fill: masked });
      });
      f.fade(showB.at(t), () => {
        nameAbove(f, mB, 'B', PROMPT_PAINT.second, s);
        mB.draw(f, { fill: masked });
      });
      const pd = showD.at(t);
      f.fade(pd, () => {
        nameAbove(f, mD, 'B − A', 'ink', s);
        mD.draw(f, {
          fill: (r, c) => (c > r ? 'faint' : D.data[D.index(r, c)] === 0 ? null : divergingColor(D.data[D.index(r, c)], largest)),
          highlightRow: pd >= 1 && shared < compared && shared > 0 ? shared : undefined,
        });
      });
    },
  });
}

export const compareAttentionScene: SceneDefinition = {
  name: 'compare-attention',
  title: 'Attention, two prompts',
  build,
  comparesPrompts: true,
  labelledIds: secondTokenIds,
};
