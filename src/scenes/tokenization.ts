// Scene 1, tokenization: the prompt cut into pieces, and each piece's id in the vocabulary,
// shown beside an excerpt of the vocabulary itself (its first and last entries included).

import { label } from '../anim/label.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import { within } from '../anim/easing.ts';
import { chipHeight, chipWidth, flowChips, tokenChip } from '../anim/tokenChip.ts';
import { shortPiece } from '../anim/matrix.ts';
import { TEXT } from '../anim/metrics.ts';
import { textWidth } from '../render/text.ts';
import { say, type Said } from '../render/said.ts';
import { at } from '../model/registry.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, promptLines, tokenPieces } from './shared.ts';

/** A row of the vocabulary excerpt: an id and its piece; `token` is the first prompt token with that id, or −1. */
type VocabRow = { kind: 'entry'; id: number; piece: Said; token: number } | { kind: 'gap' };

function build(ex: Explanation) {
  const { T, V } = dims(ex);
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  // The vocabulary excerpt: entry 0, the prompt's first `shown` ids in order, the last entry.
  const unique = [...new Set(ex.tokens.map((t) => t.id))].sort((a, b) => a - b);
  const excerpt = (shown: number): VocabRow[] => {
    const ids = [...new Set([0, ...unique.slice(0, shown), V - 1])].sort((a, b) => a - b);
    const rows: VocabRow[] = [];
    ids.forEach((id, i) => {
      if (i > 0 && id - ids[i - 1] > 1) rows.push({ kind: 'gap' });
      const token = ex.tokens.findIndex((t) => t.id === id);
      rows.push({ kind: 'entry', id, piece: token >= 0 ? d.piece(at('tokens', token)) : d.piece(id), token });
    });
    return rows;
  };
  const widest = excerpt(7);
  const bytePiece = pieces.find((p) => p.text.includes('<0x'));
  const dropped = ex.droppedPromptTokens > 0 ? say` The prompt was longer than the model's context, so its first ${d.value(at('droppedPromptTokens', 0), { group: true })} tokens were dropped.` : [];

  const story = new Storyboard();
  story.beat('prompt', 'The model never sees letters. First the prompt is cut into tokens, pieces of text from a fixed vocabulary.');
  const showPrompt = story.play(1.0);
  story.wait(0.8);
  story.beat('split', say`Here it becomes ${d.dim('T')} tokens.${dropped} A leading space belongs to the token after it; we draw it as ␣.`);
  const split = story.play(1.6);
  story.wait(1.2);
  story.beat('ids', say`Each token has a fixed number, its id: its position in the vocabulary of ${d.dim('V')} tokens.`);
  const showIds = story.play(2.0);
  story.wait(1.5);
  story.beat(
    'pieces',
    bytePiece
      ? say`A token can be a whole word, part of a word, or single bytes of a character: pieces like ${bytePiece} are bytes that only make a character together.`
      : 'A token can be a whole word, part of a word, or even a single byte of a character that needs several; common words get one token of their own.',
  );
  story.wait(3.0);

  const layout = (a: Area) => {
    const s = a.size;
    const vocabW = Math.max(...widest.map((r) => (r.kind === 'entry' ? textWidth(`${r.id}  ${shortPiece(r.piece, 14).text}`, s * TEXT.body, true) : 0))) + s * 2;
    const rowH = s * 1.5;
    const side = !a.portrait && a.w > vocabW * 2.4;
    const leftW = side ? Math.min(a.w - vocabW - s * 3, a.w * 0.55) : a.w;
    const lineH = chipHeight(s) + s * 1.6;
    const chips = flowChips(pieces, a.x, 0, leftW, s, lineH);
    const prompt = promptLines(ex, s * TEXT.large, leftW);
    const promptH = prompt.length * s * 1.75;
    const leftH = s * 1.2 + promptH + chips.height;
    // Up to 7 of the prompt's ids, fewer when the excerpt would not fit (below the chips, on a phone).
    const room = side ? a.h : a.h - leftH - s * 1.5;
    let vocab = widest;
    for (let shown = 6; shown >= 1 && s * 2 + vocab.length * rowH > room; shown--) vocab = excerpt(shown);
    const vocabH = s * 2 + vocab.length * rowH;
    const total = side ? Math.max(leftH, vocabH) : leftH + s * 1.5 + vocabH;
    const top = a.y + Math.max(0, (a.h - total) / 2);
    const leftTop = side ? top + Math.max(0, (vocabH - leftH) / 2) : top;
    const chipsY = leftTop + s * 1.2 + promptH;
    const vx = side ? a.x + leftW + s * 3 : a.x + (a.w - vocabW) / 2;
    const vy = side ? top : top + leftH + s * 1.5;
    return { s, rowH, vocabW, vx, vy, vocab, prompt, promptY: leftTop + s, leftCx: a.x + leftW / 2, chipPos: chips.pos.map((p) => ({ x: p.x, y: p.y + chipsY })) };
  };

  return makeScene({
    name: 'tokenization',
    title: 'Tokenization',
    story,
    layout,
    frame(f, t, L) {
      const { s } = L;
      f.fade(showPrompt.at(t), () => L.prompt.forEach((line, i) => f.text(L.leftCx, L.promptY + i * s * 1.75, [line], { size: s * TEXT.large, italic: true, align: 'center' })));
      const ps = split.at(t);
      const pi = showIds.at(t);
      pieces.forEach((p, i) => {
        const pos = L.chipPos[i];
        const q = stagger(ps, i, T, 0.3);
        f.fade(q, () => f.shift(0, (1 - q) * -s * 1.5, () => tokenChip(f, pos.x, pos.y, p, { size: s })));
        f.fade(stagger(pi, i, T, 0.3), () =>
          f.count(pos.x + chipWidth(p, s) / 2, pos.y + chipHeight(s) + s * 0.8, ex.tokens[i].id, at('tokens', i), { size: s * TEXT.body, mono: true, paint: 'dim', align: 'center' }),
        );
      });
      // The vocabulary excerpt appears with the ids; a row lights up as its token's id appears.
      f.fade(within(pi, 0, 1 / 3), () => {
        label(f, L.vx, L.vy + s * 0.6, say`vocabulary: ${d.dim('V')} tokens`, { size: s * TEXT.body, bold: true, paint: 'muted' });
        f.rect(L.vx - s * 0.3, L.vy + s * 1.3, L.vocabW, L.vocab.length * L.rowH + s * 0.4, { stroke: 'grid', radius: 4 });
        L.vocab.forEach((r, k) => {
          const y = L.vy + s * 1.5 + k * L.rowH + L.rowH / 2;
          if (r.kind === 'gap') {
            f.text(L.vx + L.vocabW / 2 - s * 0.3, y, '⋮', { size: s, paint: 'muted', align: 'center' });
            return;
          }
          if (r.token >= 0 && stagger(pi, r.token, T, 0.3) > 0.5) {
            f.rect(L.vx - s * 0.2, y - L.rowH / 2 + 1, L.vocabW - s * 0.2, L.rowH - 2, { fill: 'highlight', radius: 3 });
          }
          // A prompt token's id is that token's; the excerpt's ends are rows of the vocabulary, by index.
          if (r.token >= 0) f.count(L.vx + s * 0.2, y, r.id, at('tokens', r.token), { size: s * TEXT.body, mono: true, paint: 'dim' });
          else f.text(L.vx + s * 0.2, y, [d.index(r.id, 'V')], { size: s * TEXT.body, mono: true, paint: 'dim' });
          f.text(L.vx + s * 0.2 + textWidth(`${V - 1}  `, s * TEXT.body, true), y, [shortPiece(r.piece, 14)], { size: s * TEXT.body, mono: true, paint: 'token' });
        });
      });
    },
  });
}

export const tokenizationScene: SceneDefinition = {
  name: 'tokenization',
  title: 'Tokenization',
  build,
  // The vocabulary's first and last entries, besides the prompt's.
  labelledIds: (ex) => [0, ex.config.vocabSize - 1],
};
