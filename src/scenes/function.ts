// Scene 0, the Transformer as a function: prompt → tokens → ids → the model (θ) → the most
// likely next token, with its real probability.

import { traced } from '../model/trace.ts';
import { easeOut, within } from '../anim/easing.ts';
import { label } from '../anim/label.ts';
import { arrow } from '../anim/marks.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import { chipHeight, chipWidth, flowChips, tokenChip } from '../anim/tokenChip.ts';
import { formatCount, percentDecimals } from '../render/frame.ts';
import { textWidth } from '../render/text.ts';
import { phraseText, say } from '../render/said.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, promptLines, tokenPieces } from './shared.ts';
import { at, namedValue } from '../model/registry.ts';
import { TEXT } from '../anim/metrics.ts';

function build(ex: Explanation) {
  const { T, V } = dims(ex);
  const d = declared(ex);
  const probs = traced(ex.trace, 'probs');
  // The most likely next token: the first of the registry's ranking of the last row of probs.
  const mostLikely = at('topTokens', 0);
  const next = namedValue(ex, 'topTokens')!.data[0];
  const nextProb = probs.data[(T - 1) * V + next];
  const pieces = tokenPieces(ex);
  const nextPiece = d.piece(mostLikely);

  const story = new Storyboard();
  story.beat('prompt', 'A Transformer is a function: given a sequence of tokens, it returns a guess for the token that comes next.');
  const showPrompt = story.play(1.0, easeOut);
  story.wait(1.0);
  story.beat('tokens', say`The prompt becomes ${d.dim('T')} tokens, and each token is a number: its id in the model's vocabulary.`);
  const showChips = story.play(1.6);
  const showIds = story.alongside(1.0, 0.8);
  story.wait(1.2);
  story.beat(
    'model',
    say`The model is the function Transformer(X, θ). X is the list of ids; θ stands for its parameters, here ${d.value(at('parameterCount', 0), { group: true })} numbers set by training.`,
  );
  const showModel = story.play(1.4);
  story.wait(2.0);
  story.beat('output', say`Out comes a probability for every one of the ${d.dim('V')} tokens in the vocabulary; the most likely next token is “${nextPiece}”.`);
  const showOut = story.play(1.4);
  story.wait(2.5);

  const layout = (a: Area) => {
    const s = a.size;
    const lineH = chipHeight(s) + s * 1.5;
    const promptY = a.y + s * 1.2;
    const prompt = promptLines(ex, s * TEXT.large, a.w);
    const chipsY = promptY + prompt.length * s * 1.8;
    const chips = flowChips(pieces, a.x, chipsY, a.w, s, lineH);
    const boxY = chipsY + chips.height + s * 1.6;
    const boxH = s * 4.2;
    const sub = `${ex.modelName} · θ = ${formatCount(ex.parameterCount)} parameters`; // only measured
    const boxW = Math.min(a.w, Math.max(textWidth(sub, s * TEXT.label) + s * 2, textWidth('Transformer(X, θ)', s * TEXT.large) + s * 4));
    const outY = boxY + boxH + s * 2.2;
    // Centre the column vertically in the area.
    const dy = Math.max(0, (a.h - (outY + chipHeight(s) - a.y)) / 2);
    return { s, prompt, promptY: promptY + dy, chips: { ...chips, pos: chips.pos.map((p) => ({ x: p.x, y: p.y + dy })) }, boxY: boxY + dy, boxH, boxW, outY: outY + dy, cx: a.x + a.w / 2 };
  };

  return makeScene({
    name: 'function',
    title: 'The Transformer as a function',
    story,
    layout,
    frame(f, t, L, a) {
      const { s, cx } = L;
      f.fade(showPrompt.at(t), () => L.prompt.forEach((line, i) => f.text(cx, L.promptY + i * s * 1.8, [line], { size: s * TEXT.large, align: 'center', italic: true })));
      const pc = showChips.at(t);
      const pid = showIds.at(t);
      pieces.forEach((p, i) => {
        const q = stagger(pc, i, T, 0.25);
        const pos = L.chips.pos[i];
        f.fade(q, () =>
          f.shift(0, (1 - q) * -s, () => {
            tokenChip(f, pos.x, pos.y, p, { size: s });
          }),
        );
        f.fade(stagger(pid, i, T, 0.25), () =>
          f.count(pos.x + chipWidth(p, s) / 2, pos.y + chipHeight(s) + s * 0.8, ex.tokens[i].id, at('tokens', i), { size: s * TEXT.body, mono: true, paint: 'dim', align: 'center' }),
        );
      });
      const pm = showModel.at(t);
      const bx = cx - L.boxW / 2;
      arrow(f, cx, L.boxY - s * 1.4, cx, L.boxY - 2, { progress: within(pm, 0, 0.5) });
      f.fade(pm, () => {
        f.rect(bx, L.boxY, L.boxW, L.boxH, { fill: 'panel', stroke: 'ink', lineWidth: 1.5, radius: s * 0.5 });
        label(f, cx, L.boxY + L.boxH * 0.36, 'Transformer(X, θ)', { size: s * TEXT.large, bold: true, align: 'center' });
        const words = say`${d.modelName()} · θ = `;
        const n = formatCount(ex.parameterCount);
        const total = textWidth(phraseText(words), s * TEXT.label) + textWidth(n, s * TEXT.label) + textWidth(' parameters', s * TEXT.label);
        let x = cx - total / 2;
        f.text(x, L.boxY + L.boxH * 0.72, words, { size: s * TEXT.label, paint: 'muted' });
        x += textWidth(phraseText(words), s * TEXT.label);
        f.count(x, L.boxY + L.boxH * 0.72, ex.parameterCount, at('parameterCount', 0), { size: s * TEXT.label, paint: 'muted', group: true });
        x += textWidth(n, s * TEXT.label);
        f.text(x, L.boxY + L.boxH * 0.72, ' parameters', { size: s * TEXT.label, paint: 'muted' });
      });
      const po = showOut.at(t);
      arrow(f, cx, L.boxY + L.boxH + 2, cx, L.outY - s * 0.3, { progress: within(po, 0, 0.5) });
      f.fade(within(po, 0.5, 1), () => {
        const w = chipWidth(nextPiece, s);
        tokenChip(f, cx - w / 2, L.outY, nextPiece, { size: s, highlight: true });
        const y = L.outY + chipHeight(s) / 2;
        f.text(cx - w / 2 - s * 0.6, y, 'id', { size: s * TEXT.small, paint: 'muted', align: 'right' });
        f.count(cx - w / 2 - s * 2, y, next, mostLikely, { size: s * TEXT.body, mono: true, paint: 'dim', align: 'right' });
        f.number(cx + w / 2 + s * 0.7, y, nextProb, { tensor: 'probs', index: (T - 1) * V + next }, { size: s * TEXT.body, percent: true, decimals: percentDecimals(nextProb) });
      });
      void a;
    },
  });
}

export const functionScene: SceneDefinition = {
  name: 'function',
  title: 'The Transformer as a function',
  build,
  // The most likely next token, besides the prompt's.
  labelledIds: (ex) => [namedValue(ex, 'topTokens')!.data[0]],
};
