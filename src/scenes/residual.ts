// The residual connection (not in the original article): the block's input is added back to
// the attention output, h.L.resid_1 = input + h.L.attn.proj, cell by cell.

import { wholeMatrix } from '../anim/matrix.ts';
import { drawSumSigns, sumLayout } from '../anim/sum-layout.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard } from '../anim/timeline.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { blockOnly, declared, tokenPieces } from './shared.ts';
import { indexPart, say } from '../render/said.ts';
import { blockInput } from '../model/registry.ts';

function build(ex: Explanation) {
  const { layer } = ex;
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const input = wholeMatrix(ex.trace, blockInput(layer, ex.config));
  const attn = wholeMatrix(ex.trace, `h.${layer}.attn.proj`);
  const sum = wholeMatrix(ex.trace, `h.${layer}.resid_1`);
  const inputName = layer === 0 ? 'X' : say`h_{${indexPart(layer - 1, 'nLayer')}}`;

  const story = new Storyboard();
  story.beat('operands', say`The attention output does not replace the block’s input ${inputName}: it is added to it.`);
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
    return sumLayout({ ...a, y: a.y + s, h: a.h - s }, {
      sources: [input, attn, sum],
      names: [say`input ${inputName}`, 'attention output', 'sum'],
      rowLabels: pieces,
      colBrace: say`C = ${d.dim('C')}`,
      rowBrace: say`T = ${d.dim('T')}`,
      rowsHeight: { row: a.h - s * 2, stacked: (a.h - s * 6) / 3 },
    });
  };

  return makeScene({
    name: 'residual',
    title: 'The residual connection',
    subtitle: blockOnly(ex),
    story,
    layout,
    frame(f, t, L) {
      const ps = show.at(t);
      const pf = fill.at(t);
      f.fade(ps, () => {
        L.a.draw(f);
        L.b.draw(f);
        drawSumSigns(f, L, 1, pf);
      });
      L.sum.draw(f, { chrome: Math.min(1, pf * 3), alpha: L.sum.cellByCell(pf) });
    },
  });
}

export const residualScene: SceneDefinition = { name: 'residual', title: 'The residual connection', build };
