// Scene 13, prediction: the last row through the final layer norm (ln_f), times the token
// embedding table (tied) into V logits (logits), softmax into probabilities (probs); the most
// likely tokens with their real probabilities plus "all other tokens"; then the sampling rule
// (explanation.sampling, giving sampledProbs) and the token it picked. When thousands of
// logits are one and the same number (tokens with identical rows, as in the built-in model),
// a beat marks them and says why.

import { label, labelWidth } from '../anim/label.ts';
import { MatrixView, oneRow, shortPiece } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger, type Track } from '../anim/timeline.ts';
import { traced } from '../model/trace.ts';
import { formatFixed, percentDecimals, type Frame } from '../render/frame.ts';
import { textWidth } from '../render/text.ts';
import { say } from '../render/said.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, normWords, samplingRule, tokenPieces } from './shared.ts';
import { at, finalNorm, namedValue, type Source } from '../model/registry.ts';
import { TEXT } from '../anim/metrics.ts';

/** How many of the most likely tokens the table lists (the registry's topTokens ranks more). */
const TOP = 5;

/** So many exactly equal logits cannot be chance: those tokens' rows of the head are identical. */
const SHARED_ROW_TOKENS = 1000;

/** Whether percentages, each written as the table writes it, add up to exactly 100 (they are rounded one by one). */
function addUpTo100(shares: number[]): boolean {
  const total = shares.reduce((sum, p) => sum + Number(formatFixed(p * 100, percentDecimals(p)).replace('\u2212', '-')), 0);
  return Math.abs(total - 100) < 1e-9;
}

/** The tokens a prediction scene labels: the most likely ones, the chosen one, and the vocabulary's first and last. */
function labelledIds(ex: Explanation): number[] {
  const V = ex.config.vocabSize;
  const top = Array.from(namedValue(ex, 'topTokens')!.data).slice(0, TOP);
  return [...top, ...ex.generation.slice(0, 1).map((s) => s.chosen.id), ...logitColumns(V)];
}

/** The logits' columns that carry their token's piece: the first eight and the last. */
function logitColumns(V: number): number[] {
  return [...new Set([...Array.from({ length: Math.min(8, V) }, (_, i) => i), V - 1])];
}

function build(ex: Explanation) {
  const { T, V, nLayer } = dims(ex);
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const r = T - 1;
  const logits = traced(ex.trace, 'logits');
  const probs = traced(ex.trace, 'probs');
  const off = r * V;
  const chosen = ex.generation[0];
  // The table's rows: the most likely tokens (the registry's ranking), then the chosen one if it is not among them.
  const top = namedValue(ex, 'topTokens')!.data;
  const rows: { id: number; source: Source }[] = Array.from({ length: Math.min(TOP, top.length) }, (_, k) => ({ id: top[k], source: at('topTokens', k) }));
  if (chosen && !rows.some((row) => row.id === chosen.chosen.id)) rows.push({ id: chosen.chosen.id, source: at('generation.chosen', 0) });
  const ids = rows.map((row) => row.id);
  const rule = samplingRule(ex);
  const greedy = ex.sampling.temperature === 0;
  const tied = ex.config.tieWordEmbeddings;
  const one = d.constant('softmax.total');
  // Each percentage is rounded on its own: when the column's do not add up to 100, the caption that states the sum says so.
  const othersShare = (shares: ArrayLike<number>, offset: number) => 1 - ids.reduce((acc, id) => acc + shares[offset + id], 0);
  const roundedNote = (shares: ArrayLike<number>, offset: number) =>
    addUpTo100([...ids.map((id) => shares[offset + id]), othersShare(shares, offset)]) ? '' : ' (Each is rounded, so they do not add up to exactly a hundred.)';

  const norm = normWords(ex).name;
  const story = new Storyboard();
  story.beat('last', say`After block ${d.index(nLayer - 1, 'nLayer')}, only the last row is needed to predict the next token. It goes through one final ${norm}.`);
  const showLast = story.play(1.2);
  story.wait(1.0);
  story.beat(
    'logits',
    tied
      ? say`Multiplying it by the token embedding table from the start, transposed (the same V × C weights, shared: “weight tying”), gives one score, a logit, for each of the ${d.dim('V')} tokens.`
      : ex.config.family === 'gpt2'
        ? say`Multiplying it by the output matrix (V × C) gives one score, a logit, for each of the ${d.dim('V')} tokens.`
        : say`Multiplying it by the output head, a V × C matrix of its own (this model does not reuse its embedding table there), gives one score, a logit, for each of the ${d.dim('V')} tokens.`,
  );
  const showLogits = story.play(1.4);
  story.wait(1.2);
  // The built-in model gives every token its training text never used one shared row: the
  // reader sees their logits repeat (the preview's "−10.40 −10.40 …"), so the scene says why.
  const sharedCount = namedValue(ex, 'sharedLogit.count')!.data[0];
  const sharedValue = namedValue(ex, 'sharedLogit.value')!.data[0];
  let showShared: Track | null = null;
  if (sharedCount >= SHARED_ROW_TOKENS && sharedCount >= V / 20) {
    story.beat(
      'shared',
      say`${d.value(at('sharedLogit.count', 0), { group: true })} of these logits are one and the same number, ${d.value(at('sharedLogit.value', 0), { decimals: 2 })} (marked): those tokens have identical rows in the ${tied ? 'table' : 'output matrix'}, so they get the same score whatever the prompt.`,
    );
    showShared = story.play(0.4);
    story.wait(2.4);
  }
  story.beat('softmax', say`Softmax over all of them turns the logits into probabilities that sum to ${one}. The bars show the most likely tokens and, in one more, all the others together.${roundedNote(probs.data, off)}`);
  const showProbs = story.play(1.6);
  story.wait(1.5);
  story.beat(
    'rule',
    greedy
      ? 'The rule in force is greedy: always take the most likely token, so it gets all the probability.'
      : say`The rule in force is ${rule}: the logits are divided by the temperature, only the most likely tokens are kept, and their probabilities are scaled up to sum to ${one} again.${roundedNote(ex.sampledProbs, 0)}`,
  );
  const showRule = story.play(1.6);
  story.wait(1.5);
  const chosenPiece = chosen ? d.piece(at('generation.chosen', 0)) : null;
  const seed = d.value(at('sampling.seed', 0));
  story.beat(
    'pick',
    chosenPiece
      ? greedy
        ? say`So picked “${chosenPiece}”.`
        : say`A seeded random draw from these probabilities picked “${chosenPiece}” (seed ${seed}). It need not be the most likely token.`
      : 'No token was generated for this prompt.',
  );
  const showPick = story.play(1.0);
  story.wait(2.5);

  const layout = (a: Area) => {
    const s = a.size;
    const common = { size: s, maxWidth: a.w - s * 12, maxRows: 1, maxCols: 7 };
    const mL = new MatrixView(oneRow(ex.trace, finalNorm(ex.config), r), { ...common, colLabels: 'C', rowLabels: [pieces[r]], name: `final ${norm}, last row`, colBrace: say`C = ${d.dim('C')}` });
    const named = new Set(logitColumns(V));
    const mG = new MatrixView(oneRow(ex.trace, 'logits', r), {
      ...common,
      colLabelText: Array.from({ length: V }, (_, i) => (named.has(i) ? d.piece(i) : undefined)),
      rowLabels: [pieces[r]],
      name: 'logits',
      colBrace: say`V = ${d.dim('V')}`,
    });
    const topY = a.y + s * 0.4;
    mL.at(a.x + (a.w - mL.width) / 2, topY);
    mG.at(a.x + (a.w - mG.width) / 2, topY);
    // The table: token | logit | probability bar | after the rule bar.
    const rowH = s * 1.7;
    const tokW = Math.max(...ids.map((id) => textWidth(shortPiece(ex.piece(id).text, 12), s * TEXT.body, true)), textWidth('all other tokens', s * TEXT.label)) + s;
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
      f.fade(pg, () => mG.draw(f, { alpha: (_r, c) => stagger(pg, c, V, 0), fill: (_r, c) => (marked && logits.data[off + c] === sharedValue ? 'highlight' : null) }));
      if (pp <= 0) return;
      const heads = ['token', 'logit', 'probability', greedy ? 'greedy' : 'after the rule'];
      const colX = [tx, tx + tokW, tx + tokW + logitW, tx + tokW + logitW + barW];
      f.fade(pp, () => heads.slice(0, 3).forEach((h, i) => f.text(colX[i] + (i === 0 ? tokW - s * 0.5 : 0), ty, h, { size: s * TEXT.small, paint: 'muted', bold: true, align: i === 0 ? 'right' : 'left' })));
      f.fade(pr, () => f.text(colX[3], ty, heads[3], { size: s * TEXT.small, paint: 'muted', bold: true }));
      const n = rows.length;
      rows.forEach(({ id, source }, k) => {
        const y = ty + (k + 1) * rowH;
        f.fade(stagger(pp, k, n + 1, 0.3), () => {
          if (chosen && id === chosen.chosen.id && pk > 0) f.fade(pk, () => f.rect(tx - s * 0.4, y - rowH / 2 + 1, tokW + logitW + 2 * barW + s * 0.8, rowH - 2, { fill: 'highlight', stroke: 'highlightStroke', radius: 3 }));
          f.text(tx + tokW - s * 0.5, y, [shortPiece(d.piece(source), 12)], { size: s * TEXT.body, mono: true, paint: 'token', align: 'right' });
          f.number(colX[1] + logitW - s * 0.8, y, logits.data[off + id], { tensor: 'logits', index: off + id }, { size: s * TEXT.label, align: 'right' });
          bar(f, colX[2], y, barW - s * 0.5, rowH * 0.55, probs.data[off + id], off + id, 'probs', s);
          f.fade(pr, () => bar(f, colX[3], y, barW - s * 0.5, rowH * 0.55, ex.sampledProbs[id], id, 'sampledProbs', s));
        });
      });
      const y = ty + (n + 1) * rowH;
      if (chosenPiece) {
        const pick = say`→ “${chosenPiece}”`;
        const oneLine = greedy ? say`greedy ${pick}` : say`${rule}, seed ${seed} ${pick}`;
        // On a narrow screen the rule and the pick take two lines.
        const lines = greedy || labelWidth(oneLine, s * TEXT.label) <= a.w ? [oneLine] : [say`${rule},`, say`seed ${seed} ${pick}`];
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
        bar(f, colX[2], y, barW - s * 0.5, rowH * 0.55, othersShare(probs.data, off), off + ids[0], 'probs', s, ids.map((id) => off + id));
        f.fade(pr, () => bar(f, colX[3], y, barW - s * 0.5, rowH * 0.55, othersShare(ex.sampledProbs, 0), ids[0], 'sampledProbs', s, ids));
      });
    },
  });
}

export const predictionScene: SceneDefinition = { name: 'prediction', title: 'Prediction', build, usesGeneration: true, labelledIds };
