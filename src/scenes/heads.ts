// Scene 6, splitting into heads: Q, K and V are each cut lengthwise into n_head slices of
// H columns; the chosen head's slices (columns head·H … head·H + H − 1) come forward.

import { arrangeBest } from '../anim/arrange.ts';
import { label } from '../anim/label.ts';
import { brace } from '../anim/marks.ts';
import { columnSlice, MatrixView, rowsThatFit } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, blockHead, blockOnly, tokenPieces } from './shared.ts';
import { say } from '../render/said.ts';
import { block } from '../model/registry.ts';
import { TEXT } from '../anim/metrics.ts';

const QKV_STEP = { Q: 'attn.q', K: 'attn.k', V: 'attn.v' } as const;

function build(ex: Explanation) {
  const { T, nHead, H } = dims(ex);
  const { layer, head } = ex;
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const names = ['Q', 'K', 'V'] as const;

  const story = new Storyboard();
  story.beat('cut', say`Q is cut lengthwise into ${d.dim('nHead')} heads of H = ${d.dim('H')} columns each (${d.dim('nHead')} × ${d.dim('H')} = ${d.dim('C')}). K and V are cut the same way.`);
  const showQ = story.play(1.0);
  const cut = story.play(1.4);
  story.wait(1.0);
  story.beat('pick', say`Each head works on its own slice, independently of the others. We follow ${blockHead(ex)}: columns ${d.index(head * H, 'C')} to ${d.index(head * H + H - 1, 'C')}.`);
  const pick = story.play(1.4);
  story.wait(1.2);
  story.beat('kv', say`Its slices of Q, K and V are three T × H matrices. All ${d.dim('nHead')} heads do the same work side by side, each with its own slices.`);
  const kv = story.play(1.4);
  story.wait(2.5);

  const layout = (a: Area) => {
    const s = a.size;
    const qW = a.portrait ? a.w - s * 2.5 : a.w * 0.8;
    const qx = a.portrait ? a.x + s * 2 : a.x + (a.w - qW) / 2;
    const rowH = Math.min(s * 1.1, (a.h * 0.25) / Math.max(T, 1));
    const qy = a.y + s * 2.2;
    // On a phone the three slices are stacked below Q, so Q is drawn as a thin bar.
    const qH = a.portrait ? Math.min(s * 2.4, rowH * T) : rowH * Math.min(T, 12);
    const below = qy + qH + s * 3.2;
    const { items: views } = arrangeBest({ ...a, y: below, h: a.y + a.h - below }, s * 1.5, (v) => (v as MatrixView).headerH, (stacked, factor) => {
      const each = stacked ? a.w - s * 4 : factor * ((a.w - s * 4) / 3 - s * 3);
      const rows = rowsThatFit(stacked ? (a.y + a.h - below - s) / 3 : a.y + a.h - below, s);
      return names.map(
        (n, i) =>
          new MatrixView(columnSlice(ex.trace, block(layer, QKV_STEP[n]), head * H, H), {
            size: s,
            maxWidth: each,
            maxRows: rows,
            maxCols: 5,
            colLabels: 'C',
            colOffset: head * H,
            rowLabels: i === 0 || stacked ? pieces : undefined,
            name: say`${n}_{${d.index(head, 'nHead')}}`,
            // Stacked, one brace under the last slice serves all three (they share their columns).
            colBrace: !stacked || i === names.length - 1 ? say`H = ${d.dim('H')}` : undefined,
          }),
      );
    });
    return { s, qx, qy, qW, qH, views };
  };

  return makeScene({
    name: 'heads',
    title: 'Splitting into heads',
    subtitle: blockOnly(ex),
    story,
    layout,
    frame(f, t, L) {
      const { s, qx, qy, qW, qH, views } = L;
      const slab = qW / nHead;
      const pc = cut.at(t);
      const pp = pick.at(t);
      f.fade(showQ.at(t), () => {
        label(f, qx - s * 0.5, qy + qH / 2, 'Q', { size: s * TEXT.large, bold: true, align: 'right' });
        f.rect(qx, qy, qW, qH, { fill: 'panel', stroke: 'faint' });
        brace(f, 'below', qx, qx + qW, qy + qH + s * 0.3, say`C = ${d.dim('C')}`, { size: s * TEXT.small, paint: 'dim' });
        for (let h = 1; h < nHead; h++) {
          f.fade(stagger(pc, h - 1, nHead - 1, 0.2), () => f.path([qx + h * slab, qy - s * 0.2, qx + h * slab, qy + qH + s * 0.2], { stroke: 'ink', lineWidth: 1.2 }));
        }
        const every = Math.ceil((nHead * s * 1.2) / qW);
        for (let h = 0; h < nHead; h += every) {
          f.fade(stagger(pc, h, nHead, 0.2), () => f.text(qx + (h + 0.5) * slab, qy - s * 0.7, [d.index(h, 'nHead')], { size: s * TEXT.tiny, paint: h === head && pp > 0 ? 'ink' : 'muted', align: 'center', bold: h === head && pp > 0 }));
        }
        if (pp > 0) f.fade(pp, () => f.rect(qx + head * slab, qy - 2, slab, qH + 4, { fill: 'highlight', stroke: 'highlightStroke', lineWidth: 2 }));
      });
      const pk = kv.at(t);
      views.forEach((v, i) => {
        const p = i === 0 ? pp : stagger(pk, i - 1, 2, 0.5);
        f.fade(p, () => f.shift(0, (1 - p) * -s * 2, () => v.draw(f)));
      });
    },
  });
}

export const headsScene: SceneDefinition = { name: 'heads', title: 'Splitting into heads', build };
