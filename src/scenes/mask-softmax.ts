// Scene 8, causal mask and softmax: scores of later tokens become −∞ (not 0), then each row
// becomes a probability distribution (h.L.attn.weights) in which those cells are exactly 0;
// one row's sum is shown.

import { label } from '../anim/label.ts';
import { MatrixView, plane, rowsThatFit, viewWithin } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import { within } from '../anim/easing.ts';
import { formatFixed } from '../render/frame.ts';
import { textWidth } from '../render/text.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, blockHead, tokenPieces } from './shared.ts';
import { phraseText, say } from '../render/said.ts';
import { TEXT } from '../anim/metrics.ts';

function build(ex: Explanation) {
  const { T } = dims(ex);
  const { layer, head } = ex;
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const h = d.index(head, 'nHead');
  const scores = plane(ex.trace, `h.${layer}.attn.scores`, head);
  const weights = plane(ex.trace, `h.${layer}.attn.weights`, head);
  const r = T - 1; // the row whose sum is shown: the last token sees every position
  const rowIdx = Array.from({ length: T }, (_, c) => weights.index(r, c));
  const rounded = rowIdx.map((i) => Number(formatFixed(weights.data[i]).replace('\u2212', '-')));
  const roundedOk = Math.abs(rounded.reduce((a, b) => a + b, 0) - 1) < 1e-9;

  const story = new Storyboard();
  story.beat('scores', say`The scores of ${blockHead(ex)}, one row per token. A token may only look at itself and the tokens before it: this is the causal mask of a decoder-only model.`);
  const showScores = story.play(1.0);
  story.wait(1.0);
  story.beat('mask', say`So every score above the diagonal, where a token would look at a later one, is set to −∞ (minus infinity), not to ${d.constant('zero')}.`);
  const mask = story.play(1.4);
  story.wait(1.2);
  story.beat('softmax', say`Softmax turns each row into weights: exponentiate, then divide by the row’s total. Since e^{−∞} = ${d.constant('zero')}, masked cells get weight exactly ${d.constant('zero')}.`);
  const soft = story.play(Math.min(4, 1 + 0.4 * T));
  story.wait(1.0);
  story.beat('sum', say`Every row now sums to ${d.constant('softmax.total')}: a distribution over the tokens it may see. Row “${pieces[r]}”${roundedOk ? '' : ' (terms rounded, so they may not add up exactly)'}.`);
  const showSum = story.play(1.0);
  story.wait(2.5);

  const layout = (a: Area) => {
    // A short prompt's T × T matrix is small: draw it larger while it still fits.
    const s = a.size * (T <= 6 && !a.portrait ? 1.3 : 1);
    const rows = rowsThatFit(a.h - s * 4, s);
    const maxW = a.w - s * 12;
    const n1 = new MatrixView(scores, { size: s, maxWidth: maxW, maxRows: rows, colLabelText: pieces });
    const n2 = new MatrixView(weights, { size: s, maxWidth: maxW, maxRows: rows });
    const cellW = Math.max(n1.cellW, n2.cellW, textWidth('−∞', s, true) + s);
    const common = { size: s, maxWidth: maxW, maxRows: rows, keepRows: [r], cellW, rowLabels: pieces, colLabelText: pieces, rowBrace: say`T = ${d.dim('T')}` };
    const mS = viewWithin(scores, { ...common, name: ' ' }, a.w); // names are drawn below, crossfading
    const mW = viewWithin(weights, { ...common, name: ' ' }, a.w);
    const x = a.x + (a.w - mS.width) / 2;
    const y = a.y + s * 1.2 + Math.max(0, (a.h - s * 4 - mS.height) / 2);
    mS.at(x, y);
    mW.at(x, y);
    return { s, mS, mW, sumY: y + mS.height + s * 0.8 };
  };

  return makeScene({
    name: 'mask-softmax',
    title: 'Causal mask and softmax',
    subtitle: blockHead(ex),
    story,
    layout,
    frame(f, t, L, a) {
      const { s, mS, mW } = L;
      const pm = mask.at(t);
      const ps = soft.at(t);
      const rowP = (row: number) => stagger(ps, row, T, 0.4);
      // Scores leave a row in the first half of its change and weights arrive in the second,
      // so two numbers never share a cell.
      const out = (p: number) => 1 - within(p, 0, 0.5);
      const into = (p: number) => within(p, 0.5, 1);
      const masked = (row: number, c: number) => c > row && stagger(pm, row, T, 0.3) > 0.5;
      f.fade(showScores.at(t), () =>
        mS.draw(f, {
          alpha: (row) => out(rowP(row)),
          masked,
          fill: (row, c) => (masked(row, c) ? 'faint' : null),
        }),
      );
      const nameY = mS.y + s * 0.9;
      const nameX = mS.gridX + mS.gridW / 2;
      f.fade(showScores.at(t) * out(ps), () => label(f, nameX, nameY, say`scores A_{${h}}`, { size: s * TEXT.name, bold: true, align: 'center' }));
      f.fade(into(ps), () => label(f, nameX, nameY, say`weights softmax(A_{${h}})`, { size: s * TEXT.name, bold: true, align: 'center' }));
      const sum = showSum.at(t);
      mW.draw(f, {
        chrome: 0,
        alpha: (row) => into(rowP(row)),
        fill: (row, c) => (c > row ? 'faint' : null),
        highlightRow: sum > 0 ? r : undefined,
      });
      f.fade(sum, () => {
        const size = s * TEXT.body;
        const gapW = textWidth(' + ', size, true);
        // The row's weights written out when they fit on one line, else only their sum.
        const allW = rowIdx.reduce((w, i) => w + textWidth(formatFixed(weights.data[i]), size, true) + gapW, 0) + textWidth('= 1.00', size, true);
        const terms = T <= 8 && allW <= a.w ? rowIdx : [];
        const termsW = terms.length ? allW - textWidth('= 1.00', size, true) : 0;
        const lead = terms.length ? '' : say`sum of the ${d.dim('T')} weights in row “${pieces[r]}” `;
        const total = termsW + textWidth(phraseText(lead), size) + textWidth('= 1.00', size, true);
        let x = a.x + (a.w - total) / 2;
        if (lead) {
          f.text(x, L.sumY, lead, { size, paint: 'muted' });
          x += textWidth(phraseText(lead), size);
        }
        terms.forEach((i, k) => {
          f.number(x, L.sumY, weights.data[i], { tensor: weights.tensor, index: i }, { size });
          x += textWidth(formatFixed(weights.data[i]), size, true);
          f.text(x, L.sumY, k < terms.length - 1 ? ' + ' : ' = ', { size, mono: true, paint: 'muted' });
          x += gapW;
        });
        if (!terms.length) {
          f.text(x, L.sumY, '= ', { size, mono: true, paint: 'muted' });
          x += textWidth('= ', size, true);
        }
        f.number(x, L.sumY, rowIdx.reduce((acc, i) => acc + weights.data[i], 0), { tensor: weights.tensor, index: rowIdx[0] }, { size, bold: true, sumOf: rowIdx });
      });
    },
  });
}

export const maskSoftmaxScene: SceneDefinition = { name: 'mask-softmax', title: 'Causal mask and softmax', build };
