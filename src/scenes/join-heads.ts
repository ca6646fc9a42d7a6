// Scene 10, joining heads: the n_head outputs Y_0 … Y_{n−1} (each T × H) are set side by side
// into one T × C matrix (h.L.attn.concat), then multiplied by the output projection W_o plus a
// bias (h.L.attn.proj), which mixes what the heads found.

import { arrangeBest, gridMiddle, Spacer } from '../anim/arrange.ts';
import { label } from '../anim/label.ts';
import { arrow, brace } from '../anim/marks.ts';
import { MatrixView, wholeMatrix, rowsThatFit } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { blockOnly, declared, dims, tokenPieces } from './shared.ts';
import { say } from '../render/said.ts';
import { TEXT } from '../anim/metrics.ts';

function build(ex: Explanation) {
  const { T, C, nHead, H } = dims(ex);
  const { layer, head } = ex;
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const concat = wholeMatrix(ex.trace, `h.${layer}.attn.concat`);
  const proj = wholeMatrix(ex.trace, `h.${layer}.attn.proj`);
  // n_head·H is C in GPT-2; a Llama-family config may set a head size that makes it otherwise.
  const joined = nHead * H;
  const joinedBrace = joined === C ? say`C = ${d.dim('C')}` : say`n_{head} H = ${d.dim('qWidth')}`;
  const wShape = joined === C ? 'C × C' : say`${d.dim('qWidth')} × C`;
  const biased = ex.config.biases === 'all';

  const story = new Storyboard();
  story.beat('heads', say`All ${d.dim('nHead')} heads of block ${d.index(layer, 'nLayer')} ran at once, each giving a T × H matrix Y_i. (We followed head ${d.index(head, 'nHead')}.)`);
  const showHeads = story.play(1.4);
  story.wait(0.8);
  story.beat(
    'join',
    joined === C
      ? say`Set side by side, they make one T × C matrix again: ${d.dim('nHead')} × ${d.dim('H')} = ${d.dim('C')} columns, head ${d.index(0, 'nHead')}’s first.`
      : say`Set side by side, they make one matrix of ${d.dim('nHead')} × ${d.dim('H')} = ${d.dim('qWidth')} columns, head ${d.index(0, 'nHead')}’s first.`,
  );
  const join = story.play(1.6);
  story.wait(1.0);
  story.beat('project', `Then a learned ${wShape} matrix W_o${biased ? ' (plus a bias)' : ''} mixes the heads’ results${joined === C ? '' : ' and brings the rows back to C columns'}: the output projection, which ends the attention step.`);
  const project = story.play(1.4);
  story.wait(2.5);

  const layout = (a: Area) => {
    const s = a.size;
    const slabsY = a.y + s * 1.8;
    const slabsH = Math.min(s * 3, a.h * 0.14);
    const slabsW = a.w * (a.portrait ? 0.95 : 0.7);
    const below = slabsY + slabsH + s * 3;
    const { items, mode } = arrangeBest({ ...a, y: below, h: a.y + a.h - below }, s * 0.6, gridMiddle, (stacked, factor) => {
      const each = stacked ? a.w - s * 4 : factor * ((a.w - s * 16) / 2 - s * 2);
      const rows = rowsThatFit(stacked ? (a.y + a.h - below - s * 3.5) / 2 : a.y + a.h - below, s);
      const common = { size: s, maxWidth: each, maxRows: rows, maxCols: 6, colLabels: 'C' as const, colBrace: say`C = ${d.dim('C')}` };
      return [
        new MatrixView(concat, { ...common, rowLabels: pieces, name: 'heads joined', colLabels: 'qWidth', colBrace: joinedBrace }),
        new Spacer(s * 7.5, s * 3),
        new MatrixView(proj, { ...common, rowLabels: stacked ? pieces : undefined, name: 'attention output', rowBrace: say`T = ${d.dim('T')}` }),
      ] as const;
    });
    const [mC, w, mP] = items;
    return { s, slabsX: a.x + (a.w - slabsW) / 2, slabsY, slabsW, slabsH, mC, mP, w, mode };
  };

  return makeScene({
    name: 'join-heads',
    title: 'Joining the heads',
    subtitle: blockOnly(ex),
    story,
    layout,
    frame(f, t, L) {
      const { s, mC, mP, w } = L;
      const ph = showHeads.at(t);
      const pj = join.at(t);
      const pp = project.at(t);
      // The heads: separate boxes that close ranks as they join.
      const slot = L.slabsW / nHead;
      const spread = (1 - pj) * slot * 0.35;
      const every = Math.ceil((nHead * s * 1.6) / L.slabsW);
      for (let i = 0; i < nHead; i++) {
        f.fade(stagger(ph, i, nHead, 0.3), () => {
          const x = L.slabsX + i * slot + spread * (i - (nHead - 1) / 2) * 0.2 + (1 - pj) * slot * 0.1;
          const wBox = slot * (1 - 0.2 * (1 - pj));
          f.rect(x, L.slabsY, wBox, L.slabsH, { fill: i === head ? 'highlight' : 'panel', stroke: i === head ? 'highlightStroke' : 'faint', lineWidth: 1 });
          if (i % every === 0) label(f, x + wBox / 2, L.slabsY + L.slabsH / 2, say`Y_{${d.index(i, 'nHead')}}`, { size: s * TEXT.small, align: 'center', paint: 'muted' });
        });
      }
      f.fade(pj, () => {
        brace(f, 'below', L.slabsX, L.slabsX + L.slabsW, L.slabsY + L.slabsH + s * 0.3, say`${d.dim('nHead')} × H = ${joined === C ? d.dim('C') : d.dim('qWidth')}`, { size: s * TEXT.small, paint: 'dim' });
        mC.draw(f, { alpha: (_r, c) => stagger(pj, Math.floor(c / H), nHead, 0.3) });
      });
      f.fade(pp, () => {
        const cy = L.mode === 'row' ? mC.centerY : w.cy;
        label(f, w.cx, cy - s * 0.7, biased ? '× W_o + b' : '× W_o', { size: s, align: 'center', bold: true });
        arrow(f, w.x + s * 0.5, cy + s * 0.5, w.x + w.width - s * 0.5, cy + s * 0.5, { paint: 'muted' });
        f.text(w.cx, cy + s * 1.4, wShape, { size: s * TEXT.tiny, paint: 'dim', align: 'center' });
      });
      mP.draw(f, { alpha: (r) => stagger(pp, r, T, 0.5), chrome: pp });
    },
  });
}

export const joinHeadsScene: SceneDefinition = { name: 'join-heads', title: 'Joining the heads', build };
