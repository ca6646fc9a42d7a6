// Scene 13, prediction: the last row through the final layer norm (ln_f), times the token
// embedding table (tied) into V logits (logits), softmax into probabilities (probs); the most
// likely tokens with their real probabilities plus "all other tokens"; then the sampling rule
// (explanation.sampling, giving sampledProbs) and the token it picked. When thousands of
// logits are one and the same number (tokens with identical rows, as in the built-in model),
// a beat marks them and says why.

import { escapeMarkup, label, labelWidth } from '../anim/label.ts';
import { MatrixView, oneRow, shortPiece } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger, type Track } from '../anim/timeline.ts';
import { traced } from '../model/trace.ts';
import { describeSampling, mostLikely } from '../model/sampling.ts';
import { formatFixed, percentDecimals, type Frame } from '../render/frame.ts';
import { textWidth } from '../render/text.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { count, dims, tokenTexts } from './shared.ts';
import { at } from '../model/registry.ts';
import { TEXT } from '../anim/metrics.ts';

const TOP = 5;

/** The value the most entries of one row of a T × V tensor share, and how many share it. */
function mostSharedValue(data: Float32Array, offset: number, V: number): { value: number; entries: number } {
  const counts = new Map<number, number>();
  let best = { value: data[offset], entries: 0 };
  for (let i = 0; i < V; i++) {
    const v = data[offset + i];
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > best.entries) best = { value: v, entries: n };
  }
  return best;
}

/** So many exactly equal logits cannot be chance: those tokens' rows of the head are identical. */
const SHARED_ROW_TOKENS = 1000;

function build(ex: Explanation) {
  const { T, C, V, nLayer } = dims(ex);
  const pieces = tokenTexts(ex);
  const r = T - 1;
  const logits = traced(ex.trace, 'logits');
  const probs = traced(ex.trace, 'probs');
  const off = r * V;
  const chosen = ex.generation[0];
  const ids = mostLikely(probs.data.subarray(off, off + V), TOP);
  if (chosen && !ids.includes(chosen.chosen.id)) ids.push(chosen.chosen.id);
  const rule = describeSampling(ex.sampling);
  const greedy = ex.sampling.temperature === 0;
  const tied = ex.config.tieWordEmbeddings;

  const story = new Storyboard();
  story.beat('last', `After block ${nLayer - 1}, only the last row is needed to predict the next token. It goes through one final layer norm.`);
  const showLast = story.play(1.2);
  story.wait(1.0);
  story.beat(
    'logits',
    tied
      ? `Multiplying it by the token embedding table from the start, transposed (the same V × C weights, shared: “weight tying”), gives one score, a logit, for each of the ${count(V)} tokens.`
      : `Multiplying it by the output matrix (V × C) gives one score, a logit, for each of the ${count(V)} tokens.`,
  );
  const showLogits = story.play(1.4);
  story.wait(1.2);
  // The built-in model gives every token its training text never used one shared row: the
  // reader sees their logits repeat (the preview's "−10.40 −10.40 …"), so the scene says why.
  const shared = mostSharedValue(logits.data, off, V);
  let showShared: Track | null = null;
  if (shared.entries >= SHARED_ROW_TOKENS && shared.entries >= V / 20) {
    story.beat(
      'shared',
      `${count(shared.entries)} of these logits are one and the same number, ${formatFixed(shared.value)} (marked): those tokens have identical rows in the ${tied ? 'table' : 'output matrix'}, so they get the same score whatever the prompt.`,
    );
    showShared = story.play(0.4);
    story.wait(2.4);
  }
  story.beat('softmax', 'Softmax over all of them turns the logits into probabilities that sum to 1. The most likely tokens, and all the others together:');
  const showProbs = story.play(1.6);
  story.wait(1.5);
  story.beat(
    'rule',
    greedy
      ? 'The rule in force is greedy: always take the most likely token, so it gets all the probability.'
      : `The rule in force is ${rule}: the logits are divided by the temperature, only the most likely tokens are kept, and their probabilities are scaled up to sum to 1 again.`,
  );
  const showRule = story.play(1.6);
  story.wait(1.5);
  story.beat(
    'pick',
    chosen
      ? `${greedy ? 'So' : 'A seeded random draw from these probabilities'} picked “${escapeMarkup(chosen.chosen.text)}”${greedy ? '' : ` (seed ${ex.sampling.seed})`}. ${greedy ? '' : 'It need not be the most likely token.'}`
      : 'No token was generated for this prompt.',
  );
  const showPick = story.play(1.0);
  story.wait(2.5);

  const layout = (a: Area) => {
    const s = a.size;
    const common = { size: s, maxWidth: a.w - s * 12, maxRows: 1, maxCols: 7, colLabels: true };
    const mL = new MatrixView(oneRow(ex.trace, 'ln_f', r), { ...common, rowLabels: [pieces[r]], name: 'final layer norm, last row', colBrace: `C = ${count(C)}` });
    const mG = new MatrixView(oneRow(ex.trace, 'logits', r), {
      ...common,
      colLabels: false,
      colLabelText: Array.from({ length: V }, (_, i) => (i < 8 || i === V - 1 ? ex.piece(i).text : '')),
      rowLabels: [pieces[r]],
      name: 'logits',
      colBrace: `V = ${count(V)}`,
    });
    const topY = a.y + s * 0.4;
    mL.at(a.x + (a.w - mL.width) / 2, topY);
    mG.at(a.x + (a.w - mG.width) / 2, topY);
    // The table: token | logit | probability bar | after the rule bar.
    const rowH = s * 1.7;
    const tokW = Math.max(...ids.map((id) => textWidth(shortPiece(ex.piece(id).text, 12), s * 0.9, true)), textWidth('all other tokens', s * TEXT.label)) + s;
    const logitW = textWidth('−000.00', s * TEXT.label, true) + s;
    const barW = Math.max(s * 5, (a.w - tokW - logitW - s * 2) / 2);
    const tableW = tokW + logitW + 2 * barW;
    const tx = a.x + (a.w - tableW) / 2;
    const ty = Math.min(topY + Math.max(mL.height, mG.height) + s * 1.2, a.y + a.h - (ids.length + 2.6) * rowH);
    return { s, mL, mG, rowH, tokW, logitW, barW, tx, ty };
  };

  const bar = (f: Frame, x: number, y: number, w: number, h: number, p: number, idx: number, tensor: 'probs' | 'sampledProbs', s: number, complement?: number[], grow = 1) => {
    const textW = textWidth('100.00%', s * TEXT.small, true) + s * 0.4;
    const bw = Math.max(p > 0 ? 1 : 0, (w - textW) * p * grow);
    f.rect(x, y - h / 2, bw, h, { fill: complement ? 'faint' : tensor === 'sampledProbs' ? 'token' : 'dim', radius: 2 });
    f.number(x + bw + s * 0.3, y, p, at(tensor, idx), { size: s * TEXT.small, percent: true, decimals: percentDecimals(p), complementOf: complement });
  };

  return makeScene({
    name: 'prediction',
    title: 'Prediction',
    story,
    layout,
    frame(f, t, L, a) {
      const { s, mL, mG, rowH, tokW, logitW, barW, tx, ty } = L;
      const pl = showLast.at(t);
      const pg = showLogits.at(t);
      const pp = showProbs.at(t);
      const pr = showRule.at(t);
      const pk = showPick.at(t);
      f.fade(pl * (1 - pg), () => mL.draw(f));
      const marked = (showShared?.at(t) ?? 0) > 0 && pp <= 0; // the shared beat, until the probabilities come
      f.fade(pg, () => mG.draw(f, { alpha: (_r, c) => stagger(pg, c, V, 0), fill: (_r, c) => (marked && logits.data[off + c] === shared.value ? 'highlight' : null) }));
      if (pp <= 0) return;
      const heads = ['token', 'logit', 'probability', greedy ? 'greedy' : 'after the rule'];
      const colX = [tx, tx + tokW, tx + tokW + logitW, tx + tokW + logitW + barW];
      f.fade(pp, () => heads.slice(0, 3).forEach((h, i) => f.text(colX[i] + (i === 0 ? tokW - s * 0.5 : 0), ty, h, { size: s * TEXT.small, paint: 'muted', bold: true, align: i === 0 ? 'right' : 'left' })));
      f.fade(pr, () => f.text(colX[3], ty, heads[3], { size: s * TEXT.small, paint: 'muted', bold: true }));
      const n = ids.length;
      ids.forEach((id, k) => {
        const y = ty + (k + 1) * rowH;
        f.fade(stagger(pp, k, n + 1, 0.3), () => {
          if (chosen && id === chosen.chosen.id && pk > 0) f.fade(pk, () => f.rect(tx - s * 0.4, y - rowH / 2 + 1, tokW + logitW + 2 * barW + s * 0.8, rowH - 2, { fill: 'highlight', stroke: 'highlightStroke', radius: 3 }));
          f.text(tx + tokW - s * 0.5, y, shortPiece(ex.piece(id).text, 12), { size: s * TEXT.body, mono: true, paint: 'token', align: 'right' });
          f.number(colX[1] + logitW - s * 0.8, y, logits.data[off + id], { tensor: 'logits', index: off + id }, { size: s * TEXT.label, align: 'right' });
          bar(f, colX[2], y, barW - s * 0.5, rowH * 0.55, probs.data[off + id], off + id, 'probs', s);
          f.fade(pr, () => bar(f, colX[3], y, barW - s * 0.5, rowH * 0.55, ex.sampledProbs[id], id, 'sampledProbs', s));
        });
      });
      const y = ty + (n + 1) * rowH;
      if (chosen) {
        const pick = `→ “${escapeMarkup(chosen.chosen.text)}”`;
        const oneLine = greedy ? `greedy ${pick}` : `${escapeMarkup(rule)}, seed ${ex.sampling.seed} ${pick}`;
        // On a narrow screen the rule and the pick take two lines.
        const lines = greedy || labelWidth(oneLine, s * TEXT.label) <= a.w ? [oneLine] : [`${escapeMarkup(rule)},`, `seed ${ex.sampling.seed} ${pick}`];
        const centre = tx + (tokW + logitW + 2 * barW) / 2;
        f.fade(pk, () =>
          lines.forEach((line, k) => {
            const half = labelWidth(line, s * TEXT.label) / 2;
            const cx = Math.min(Math.max(centre, a.x + half), a.x + a.w - half);
            label(f, cx, y + rowH * (1.1 + k), line, { size: s * TEXT.label, bold: true, align: 'center' });
          }),
        );
      }
      f.fade(stagger(pp, n, n + 1, 0.3), () => {
        f.text(tx + tokW - s * 0.5, y, 'all other tokens', { size: s * TEXT.label, italic: true, paint: 'muted', align: 'right' });
        bar(f, colX[2], y, barW - s * 0.5, rowH * 0.55, 1 - ids.reduce((acc, id) => acc + probs.data[off + id], 0), off + ids[0], 'probs', s, ids.map((id) => off + id));
        f.fade(pr, () => bar(f, colX[3], y, barW - s * 0.5, rowH * 0.55, 1 - ids.reduce((acc, id) => acc + ex.sampledProbs[id], 0), ids[0], 'sampledProbs', s, ids));
      });
    },
  });
}

export const predictionScene: SceneDefinition = { name: 'prediction', title: 'Prediction', build, usesGeneration: true };
