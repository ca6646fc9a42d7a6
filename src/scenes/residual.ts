// The residual connection (not in the original article): the block's input is added back to
// the attention output, h.L.resid_1 = input + h.L.attn.proj, cell by cell.

import { arrangeBest, gridMiddle, Spacer } from '../anim/arrange.ts';
import { MatrixView, wholeMatrix, type Slot, rowsThatFit } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { count, dims, tokenTexts } from './shared.ts';
import { blockInput } from '../model/registry.ts';

function build(ex: Explanation) {
  const { T, C } = dims(ex);
  const { layer } = ex;
  const pieces = tokenTexts(ex);
  const input = wholeMatrix(ex.trace, blockInput(layer, ex.config));
  const attn = wholeMatrix(ex.trace, `h.${layer}.attn.proj`);
  const sum = wholeMatrix(ex.trace, `h.${layer}.resid_1`);
  const inputName = layer === 0 ? 'X' : `h_{${layer - 1}}`;

  const story = new Storyboard();
  story.beat('operands', `The attention output does not replace the block’s input ${inputName}: it is added to it.`);
  const show = story.play(1.2);
  story.wait(0.8);
  const asBefore = ex.config.positions === 'table' ? ', as with the embeddings' : '';
  story.beat('add', `Cell by cell${asBefore}. This residual connection lets each block make a small correction to what flows through, instead of rebuilding it.`);
  const fill = story.play(2.0);
  story.wait(1.0);
  story.beat('why', `It also gives training a direct path through every block, which is what makes deep stacks trainable. The result, still T × C, goes on to the feed-forward step.`);
  story.wait(3.0);

  const layout = (a: Area) => {
    const s = a.size;
    const { items, mode } = arrangeBest({ ...a, y: a.y + s, h: a.h - s }, s * 0.6, gridMiddle, (stacked, factor) => {
      const three = stacked ? a.w - s * 3 : factor * ((a.w - s * 12) / 3 - s * 1.5);
      const rows = rowsThatFit(stacked ? (a.h - s * 6) / 3 : a.h - s * 2, s);
      const common = { size: s, maxWidth: three, maxRows: rows, maxCols: 6, colLabels: true, colBrace: `C = ${count(C)}` };
      return [
        new MatrixView(input, { ...common, rowLabels: pieces, name: `input ${inputName}` }),
        new Spacer(s * 2, s * 2),
        new MatrixView(attn, { ...common, rowLabels: stacked ? pieces : undefined, name: 'attention output' }),
        new Spacer(s * 2, s * 2),
        new MatrixView(sum, { ...common, rowLabels: stacked ? pieces : undefined, name: 'sum', rowBrace: `T = ${T}` }),
      ] as const;
    });
    const [mI, op0, mA, op1, mS] = items;
    const ops = [op0, op1];
    const cells: { r: number; c: number }[] = [];
    for (const r of mS.rowSlots as Slot[]) for (const c of mS.colSlots as Slot[]) if (r !== 'gap' && c !== 'gap') cells.push({ r, c });
    return { s, mI, mA, mS, ops, mode, order: new Map(cells.map((k, i) => [k.r * sum.cols + k.c, i])), n: cells.length };
  };

  return makeScene({
    name: 'residual',
    title: 'The residual connection',
    subtitle: `block ${layer}`,
    story,
    layout,
    frame(f, t, L) {
      const { s, mI, mA, mS } = L;
      const ps = show.at(t);
      const pf = fill.at(t);
      f.fade(ps, () => {
        mI.draw(f);
        mA.draw(f);
        const cy = (sp: Spacer) => (L.mode === 'row' ? mI.centerY : sp.cy);
        f.text(L.ops[0].cx, cy(L.ops[0]), '+', { size: s * 1.6, align: 'center', paint: 'muted' });
        f.fade(pf, () => f.text(L.ops[1].cx, cy(L.ops[1]), '=', { size: s * 1.6, align: 'center', paint: 'muted' }));
      });
      mS.draw(f, { chrome: Math.min(1, pf * 3), alpha: (r, c) => stagger(pf, L.order.get(r * sum.cols + c) ?? 0, L.n, 0.15) });
    },
  });
}

export const residualScene: SceneDefinition = { name: 'residual', title: 'The residual connection', build };
