// Scene 4, the sum: token and position embeddings add cell by cell into X (embed.sum), the
// input of the first block; one cell's addition is spelled out with its three numbers.

import { arrangeBest, gridMiddle, Spacer } from '../anim/arrange.ts';
import { escapeMarkup, label } from '../anim/label.ts';
import { MatrixView, wholeMatrix, type Slot, rowsThatFit } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import { formatFixed } from '../render/frame.ts';
import { textWidth } from '../render/text.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { count, dims, tokenTexts } from './shared.ts';
import { at } from '../model/registry.ts';

function build(ex: Explanation) {
  const { T, C } = dims(ex);
  const tok = wholeMatrix(ex.trace, 'embed.token');
  const pos = wholeMatrix(ex.trace, 'embed.position');
  const sum = wholeMatrix(ex.trace, 'embed.sum');
  const pieces = tokenTexts(ex);

  const story = new Storyboard();
  story.beat('operands', 'We now have two T × C matrices: what each token is, and where it stands.');
  const showOperands = story.play(1.0);
  story.wait(0.8);
  story.beat('add', `They are added cell by cell. The sum X is the input of the first block: ${T} rows of ${count(C)} numbers.`);
  const fill = story.play(2.4);
  story.wait(1.0);
  story.beat('cell', 'One cell of the sum, with the two numbers that made it (all rounded to two decimals).');
  const showCell = story.play(1.0);
  story.wait(2.5);

  const layout = (a: Area) => {
    const s = a.size;
    const { items, mode } = arrangeBest({ ...a, h: a.h - s * 2.5 }, s * 0.6, gridMiddle, (stacked, factor) => {
      const three = stacked ? a.w - s * 3 : factor * ((a.w - s * 12) / 3 - s * 1.5);
      const rows = rowsThatFit(stacked ? (a.h - s * 10) / 3 : a.h - s * 3.5, s);
      const common = { size: s, maxWidth: three, maxRows: rows, maxCols: 6, colLabels: true, colBrace: `C = ${count(C)}` };
      return [
        new MatrixView(tok, { ...common, rowLabels: pieces, name: 'token embeddings' }),
        new Spacer(s * 2, s * 2),
        new MatrixView(pos, { ...common, rowLabels: stacked ? pieces : undefined, name: 'position embeddings' }),
        new Spacer(s * 2, s * 2),
        new MatrixView(sum, { ...common, rowLabels: stacked ? pieces : undefined, name: 'X', rowBrace: `T = ${T}` }),
      ] as const;
    });
    const [mt, plus, mp, eq, mx] = items;
    // The worked cell: the first visible one whose rounded parts add up to its rounded sum.
    let cell = { r: 0, c: 0 };
    search: for (const r of mx.rowSlots) {
      for (const c of mx.colSlots) {
        if (r === 'gap' || c === 'gap') continue;
        const [x, y, z] = [tok, pos, sum].map((m) => Number(formatFixed(m.data[m.index(r, c)]).replace('\u2212', '-')));
        if (Math.abs(x + y - z) < 1e-9) {
          cell = { r, c };
          break search;
        }
      }
    }
    const bottom = Math.max(mt.y + mt.height, mx.y + mx.height);
    const cells = visibleCells(mx);
    const order = new Map(cells.map((k, i) => [k.r * sum.cols + k.c, i]));
    return { s, mt, mp, mx, plus, eq, mode, cell, order, n: cells.length, noteY: Math.min(a.y + a.h - s * 0.8, bottom + s * 1.2) };
  };

  const visibleCells = (m: MatrixView): { r: number; c: number }[] => {
    const out: { r: number; c: number }[] = [];
    for (const r of m.rowSlots as Slot[]) for (const c of m.colSlots as Slot[]) if (r !== 'gap' && c !== 'gap') out.push({ r, c });
    return out;
  };

  return makeScene({
    name: 'embedding-sum',
    title: 'Adding the embeddings',
    story,
    layout,
    frame(f, t, L, a) {
      const { s, mt, mp, mx, cell } = L;
      const po = showOperands.at(t);
      const pf = fill.at(t);
      const pc = showCell.at(t);
      const hl = pc > 0 ? { highlightRow: undefined, highlightCol: undefined } : {};
      const mark = () => (pc > 0 ? (r: number, c: number) => (r === cell.r && c === cell.c ? 'highlight' : null) : undefined);
      f.fade(po, () => {
        mt.draw(f, { ...hl, fill: mark() });
        mp.draw(f, { ...hl, fill: mark() });
      });
      f.fade(Math.min(1, pf * 4), () => {
        f.text(L.plus.cx, L.mode === 'row' ? mt.centerY : L.plus.cy, '+', { size: s * 1.6, align: 'center', paint: 'muted' });
        f.text(L.eq.cx, L.mode === 'row' ? mt.centerY : L.eq.cy, '=', { size: s * 1.6, align: 'center', paint: 'muted' });
      });
      // X fills cell by cell, row after row.
      mx.draw(f, {
        alpha: (r, c) => stagger(pf, L.order.get(r * sum.cols + c) ?? 0, L.n, 0.15),
        chrome: Math.min(1, pf * 3),
        fill: mark(),
      });
      f.fade(pc, () => {
        const parts = [tok, pos, sum].map((m) => m.index(cell.r, cell.c));
        const size = s * 1.05;
        const texts = [formatFixed(tok.data[parts[0]]), ' + ', formatFixed(pos.data[parts[1]]), ' = ', formatFixed(sum.data[parts[2]])];
        const prefix = `row “${escapeMarkup(pieces[cell.r])}”, column ${cell.c}:  `;
        const total = texts.reduce((w, x) => w + textWidth(x, size, true), 0) + textWidth(prefix, size * 0.85);
        let x = a.x + (a.w - total) / 2;
        label(f, x, L.noteY, prefix, { size: size * 0.85, paint: 'muted' });
        x += textWidth(prefix, size * 0.85);
        const srcs = ['embed.token', 'embed.position', 'embed.sum'] as const;
        texts.forEach((txt, k) => {
          if (k % 2 === 1) f.text(x, L.noteY, txt, { size, mono: true, paint: 'muted' });
          else f.number(x, L.noteY, [tok, pos, sum][k / 2].data[parts[k / 2]], at(srcs[k / 2], parts[k / 2]), { size, bold: k === 4 });
          x += textWidth(txt, size, true);
        });
      });
    },
  });
}

export const embeddingSumScene: SceneDefinition = { name: 'embedding-sum', title: 'Adding the embeddings', build, appliesTo: (config) => config.positions === 'table' };
