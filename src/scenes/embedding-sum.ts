// Scene 4, the sum: token and position embeddings add cell by cell into X (embed.sum), the
// input of the first block; one cell's addition is spelled out with its three numbers.

import { label } from '../anim/label.ts';
import { wholeMatrix, type MatrixSource } from '../anim/matrix.ts';
import { drawSumSigns, sumLayout } from '../anim/sum-layout.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard } from '../anim/timeline.ts';
import { within } from '../anim/easing.ts';
import { formatFixed } from '../render/frame.ts';
import { textWidth } from '../render/text.ts';
import { phraseText, say } from '../render/said.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, tokenPieces } from './shared.ts';
import { at } from '../model/registry.ts';
import { TEXT } from '../anim/metrics.ts';

function build(ex: Explanation) {
  const d = declared(ex);
  const tok = wholeMatrix(ex.trace, 'embed.token');
  const pos = wholeMatrix(ex.trace, 'embed.position');
  const sum = wholeMatrix(ex.trace, 'embed.sum');
  const pieces = tokenPieces(ex);

  const story = new Storyboard();
  story.beat('operands', 'We now have two T × C matrices: what each token is, and where it stands.');
  const showOperands = story.play(1.0);
  story.wait(0.8);
  story.beat('add', say`They are added cell by cell. The sum X is the input of the first block: ${d.dim('T')} rows of ${d.dim('C')} numbers.`);
  const fill = story.play(2.4);
  story.wait(1.0);
  story.beat('cell', 'One cell of the sum, with the two numbers that made it (all rounded to two decimals).');
  const showCell = story.play(1.0);
  story.wait(2.5);

  const layout = (a: Area) => {
    const s = a.size;
    const sums = sumLayout({ ...a, h: a.h - s * 2.5 }, {
      sources: [tok, pos, sum],
      names: ['token embeddings', 'position embeddings', 'X'],
      rowLabels: pieces,
      colBrace: say`C = ${d.dim('C')}`,
      rowBrace: say`T = ${d.dim('T')}`,
      rowsHeight: { row: a.h - s * 3.5, stacked: (a.h - s * 10) / 3 },
    });
    const { a: mt, sum: mx } = sums;
    // The worked cell: the first visible one whose rounded parts add up to its rounded sum. If
    // none does, the first one, written with "≈" and a note: rounding breaks the sum shown.
    const rounded = (m: MatrixSource, r: number, c: number) => Number(formatFixed(m.data[m.index(r, c)]).replace('\u2212', '-'));
    const addsUp = ({ r, c }: { r: number; c: number }) => Math.abs(rounded(tok, r, c) + rounded(pos, r, c) - rounded(sum, r, c)) < 1e-9;
    const visible = mx.visibleCells();
    const exact = visible.find(addsUp);
    const cell = exact ?? visible[0];
    const bottom = Math.max(mt.y + mt.height, mx.y + mx.height);
    return { s, sums, cell, exact: exact !== undefined, noteY: Math.min(a.y + a.h - s * 0.8, bottom + s * 1.2) };
  };

  return makeScene({
    name: 'embedding-sum',
    title: 'Adding the embeddings',
    story,
    layout,
    frame(f, t, L, a) {
      const { s, sums, cell, exact } = L;
      const { a: mt, b: mp, sum: mx } = sums;
      const po = showOperands.at(t);
      const pf = fill.at(t);
      const pc = showCell.at(t);
      const hl = pc > 0 ? { highlightRow: undefined, highlightCol: undefined } : {};
      const mark = () => (pc > 0 ? (r: number, c: number) => (r === cell.r && c === cell.c ? 'highlight' : null) : undefined);
      f.fade(po, () => {
        mt.draw(f, { ...hl, fill: mark() });
        mp.draw(f, { ...hl, fill: mark() });
      });
      drawSumSigns(f, sums, within(pf, 0, 0.25), within(pf, 0, 0.25));
      // X fills cell by cell, row after row.
      mx.draw(f, {
        alpha: mx.cellByCell(pf),
        chrome: Math.min(1, pf * 3),
        fill: mark(),
      });
      f.fade(pc, () => {
        const parts = [tok, pos, sum].map((m) => m.index(cell.r, cell.c));
        const size = s * TEXT.caption;
        const texts = [formatFixed(tok.data[parts[0]]), ' + ', formatFixed(pos.data[parts[1]]), exact ? ' = ' : ' ≈ ', formatFixed(sum.data[parts[2]])];
        const prefix = say`row “${pieces[cell.r]}”, column ${d.index(cell.c, 'C')}:  `;
        const note = exact ? '' : '  (each rounded on its own)';
        const small = size * TEXT.label;
        const total = texts.reduce((w, x) => w + textWidth(x, size, true), 0) + textWidth(phraseText(prefix), small) + textWidth(note, small);
        let x = a.x + (a.w - total) / 2;
        label(f, x, L.noteY, prefix, { size: small, paint: 'muted' });
        x += textWidth(phraseText(prefix), small);
        const srcs = ['embed.token', 'embed.position', 'embed.sum'] as const;
        texts.forEach((txt, k) => {
          if (k % 2 === 1) f.text(x, L.noteY, txt, { size, mono: true, paint: 'muted' });
          else f.number(x, L.noteY, [tok, pos, sum][k / 2].data[parts[k / 2]], at(srcs[k / 2], parts[k / 2]), { size, bold: k === 4 });
          x += textWidth(txt, size, true);
        });
        if (note) f.text(x, L.noteY, note, { size: small, paint: 'muted' });
      });
    },
  });
}

export const embeddingSumScene: SceneDefinition = { name: 'embedding-sum', title: 'Adding the embeddings', build, appliesTo: (config) => config.positions === 'table' };
