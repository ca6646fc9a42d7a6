// Scene 12, going deeper: attention and feed-forward (each with its layer norm and residual)
// make one block, stacked as many times as the model has layers. The last token's row of
// h.l.out is shown for every block, as a colour strip, and in numbers for the block in focus.

import { HeatmapView } from '../anim/heatmap.ts';
import { arrow } from '../anim/marks.ts';
import { MatrixView, oneRow } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import { traced } from '../model/trace.ts';
import { formatFixed } from '../render/frame.ts';
import { textWidth } from '../render/text.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, normWords, tokenPieces } from './shared.ts';
import { phraseText, say } from '../render/said.ts';
import { TEXT } from '../anim/metrics.ts';

function build(ex: Explanation) {
  const { T, C, nLayer } = dims(ex);
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const r = T - 1;
  // One colour scale for every block, so the strips compare.
  let scale = 1e-6;
  let extreme = { l: 0, index: r * C };
  for (let l = 0; l < nLayer; l++) {
    const out = traced(ex.trace, `h.${l}.out`).data;
    for (let c = 0; c < C; c++) {
      if (Math.abs(out[r * C + c]) > scale) {
        scale = Math.abs(out[r * C + c]);
        extreme = { l, index: r * C + c };
      }
    }
  }
  const extremeValue = traced(ex.trace, `h.${extreme.l}.out`).data[extreme.index];

  const story = new Storyboard();
  const norm = normWords(ex).name;
  const Norm = norm[0].toUpperCase() + norm.slice(1);
  story.beat('block', `${Norm}, attention and a residual, then ${norm}, the MLP and a residual: together they form one Transformer block. Its output has the same T × C shape as its input.`);
  const showBlock = story.play(1.2);
  story.wait(1.0);
  story.beat('stack', say`So blocks can be stacked: this model has ${d.dim('nLayer')}, each with its own weights, each reading the previous one’s output.`);
  const stack = story.play(Math.min(4, 0.8 + 0.25 * nLayer));
  story.wait(0.8);
  story.beat('flow', say`Follow the row of “${pieces[r]}” through the stack: each block changes it a little, gathering what the next-token prediction needs.`);
  const flow = story.play(Math.min(8, 1 + 0.6 * nLayer), (p) => p);
  story.wait(2.0);

  const layout = (a: Area) => {
    const s = a.size;
    const numbersH = s * 6;
    const avail = a.h - s * 1.5 - numbersH - s;
    const boxH = Math.max(6, Math.min(s * 1.9, avail / nLayer - 3));
    const rowsTop = a.y + s * 1.5 + Math.max(0, (avail - nLayer * (boxH + 3)) / 2);
    const boxW = a.portrait ? a.w * 0.3 : Math.min(s * 9, a.w * 0.18);
    const bx = a.x + (a.portrait ? 0 : a.w * 0.08);
    const stripX = bx + boxW + s * 2.5;
    const stripW = a.x + a.w - stripX - s;
    const strips = Array.from({ length: nLayer }, (_, l) =>
      new HeatmapView(oneRow(ex.trace, `h.${l}.out`, r), [0], stripW, boxH - 2, s * 0.8, undefined, 160, scale).at(stripX, rowsTop + l * (boxH + 3)),
    );
    const views = Array.from({ length: nLayer }, (_, l) =>
      new MatrixView(oneRow(ex.trace, `h.${l}.out`, r), { size: s, maxWidth: a.w - s * 12, maxRows: 1, maxCols: 8, colLabels: 'C', rowLabels: [pieces[r]], name: say`h_{${d.index(l, 'nLayer')}}, row “${pieces[r]}”`, colBrace: say`C = ${d.dim('C')}` }),
    );
    const vy = rowsTop + nLayer * (boxH + 3) + s * 0.6;
    for (const v of views) v.at(a.x + (a.w - v.width) / 2, vy);
    return { s, rowsTop, boxH, boxW, bx, strips, views };
  };

  return makeScene({
    name: 'going-deeper',
    title: 'Going deeper',
    story,
    layout,
    frame(f, t, L) {
      const { s, boxH, boxW, bx, strips, views } = L;
      const pb = showBlock.at(t);
      const ps = stack.at(t);
      const pf = flow.at(t);
      const focus = flow.part(t, nLayer); // the block in focus, −1 before the flow starts
      for (let l = 0; l < nLayer; l++) {
        const y = L.rowsTop + l * (boxH + 3);
        const a = l === 0 ? pb : stagger(ps, l - 1, Math.max(1, nLayer - 1), 0.3);
        f.fade(a, () => {
          f.rect(bx, y, boxW, boxH, { fill: l === focus ? 'highlight' : 'panel', stroke: l === focus ? 'highlightStroke' : 'faint', radius: 3 });
          if (boxH >= s * 0.9) f.text(bx + boxW / 2, y + boxH / 2, say`block ${d.index(l, 'nLayer')}`, { size: Math.min(s * 0.8, boxH * 0.7), align: 'center', paint: 'ink' });
          else if (l === 0 || l === nLayer - 1) f.text(bx - s * 0.3, y + boxH / 2, say`block ${d.index(l, 'nLayer')}`, { size: s * TEXT.tiny, align: 'right', paint: 'muted' });
        });
        if (l <= focus) {
          arrow(f, bx + boxW + s * 0.3, y + boxH / 2, strips[l].x - s * 0.3, y + boxH / 2, { paint: 'faint', head: 5 });
          strips[l].draw(f, 1, false);
        }
      }
      if (focus >= 0) views[focus].draw(f, {});
      f.fade(pf, () => {
        const x = strips[0].x + strips[0].width;
        const y = L.rowsTop - s * 0.6;
        // Drawn in three parts so the number is registered with its source.
        const tail = say` (block ${d.index(extreme.l, 'nLayer')}, column ${d.index(extreme.index - r * C, 'C')})`;
        const tailW = textWidth(phraseText(tail), s * TEXT.tiny);
        const numW = textWidth(formatFixed(extremeValue), s * TEXT.tiny, true);
        f.text(x, y, tail, { size: s * TEXT.tiny, paint: 'muted', align: 'right' });
        f.number(x - tailW, y, extremeValue, { tensor: `h.${extreme.l}.out`, index: extreme.index }, { size: s * TEXT.tiny, paint: 'muted', align: 'right' });
        const long = say`blue negative, orange positive, grey near ${d.constant('zero')}; strongest colour: `;
        const room = x - tailW - numW - bx;
        f.text(x - tailW - numW, y, textWidth(phraseText(long), s * TEXT.tiny) <= room ? long : 'strongest colour: ', { size: s * TEXT.tiny, paint: 'muted', align: 'right' });
      });
    },
  });
}

export const goingDeeperScene: SceneDefinition = { name: 'going-deeper', title: 'Going deeper', build };
