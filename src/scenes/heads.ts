// Scene 6, splitting into heads: Q, K and V are each cut lengthwise into n_head slices of
// H columns; the chosen head's slices (columns head·H … head·H + H − 1) come forward. With
// grouped-query attention (Llama family) K and V hold only n_kv heads, drawn as a narrower bar
// below Q with each of its heads joined to the query heads that share it.

import { arrangeBest } from '../anim/arrange.ts';
import { label } from '../anim/label.ts';
import { brace } from '../anim/marks.ts';
import { columnSlice, MatrixView, rowsThatFit } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import type { Frame } from '../render/frame.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, blockHead, blockOnly, tokenPieces } from './shared.ts';
import { say } from '../render/said.ts';
import { block } from '../model/registry.ts';
import { TEXT } from '../anim/metrics.ts';

const QKV_STEP = { Q: 'attn.q', K: 'attn.k', V: 'attn.v' } as const;

function build(ex: Explanation) {
  const { T, C, nHead, nKvHead, H } = dims(ex);
  const { layer, head } = ex;
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const names = ['Q', 'K', 'V'] as const;
  const group = nHead / nKvHead; // query heads per key/value head
  const grouped = group > 1;
  const kvHead = Math.floor(head / group);
  const qBrace = nHead * H === C ? say`C = ${d.dim('C')}` : say`n_{head} H = ${d.dim('qWidth')}`;
  const sliceOf = (n: (typeof names)[number]) => (n === 'Q' ? head : kvHead);

  const story = new Storyboard();
  story.beat(
    'cut',
    grouped
      ? say`Q is cut into ${d.dim('nHead')} heads of H = ${d.dim('H')} columns (${d.dim('nHead')} × ${d.dim('H')} = ${d.dim('qWidth')}). K and V hold only ${d.dim('nKvHead')} heads: each serves ${d.dim('kvGroup')} query heads (grouped-query attention), so keys, values and their cache are ${d.dim('kvGroup')} times smaller.`
      : say`Q is cut lengthwise into ${d.dim('nHead')} heads of H = ${d.dim('H')} columns each (${d.dim('nHead')} × ${d.dim('H')} = ${d.dim('qWidth')}). K and V are cut the same way.`,
  );
  const showQ = story.play(1.0);
  const cut = story.play(1.4);
  story.wait(1.0);
  story.beat(
    'pick',
    grouped
      ? say`We follow ${blockHead(ex)}: columns ${d.index(head * H, 'qWidth')} to ${d.index(head * H + H - 1, 'qWidth')} of Q. Its keys and values are key/value head ${d.index(kvHead, 'nKvHead')} (columns ${d.index(kvHead * H, 'kvWidth')} to ${d.index(kvHead * H + H - 1, 'kvWidth')} of K and V), shared by query heads ${d.index(kvHead * group, 'nHead')} to ${d.index(kvHead * group + group - 1, 'nHead')}.`
      : say`Each head works on its own slice, independently of the others. We follow ${blockHead(ex)}: columns ${d.index(head * H, 'qWidth')} to ${d.index(head * H + H - 1, 'qWidth')}.`,
  );
  const pick = story.play(1.4);
  story.wait(1.2);
  story.beat(
    'kv',
    grouped
      ? say`Its slices are three T × H matrices. All ${d.dim('nHead')} query heads work side by side; those sharing a key/value head compare their own queries with the same keys.`
      : say`Its slices of Q, K and V are three T × H matrices. All ${d.dim('nHead')} heads do the same work side by side, each with its own slices.`,
  );
  const kv = story.play(1.4);
  story.wait(2.5);

  const layout = (a: Area) => {
    const s = a.size;
    const qW = a.portrait ? a.w - s * 2.5 : a.w * 0.8;
    const qx = a.portrait ? a.x + s * 2 : a.x + (a.w - qW) / 2;
    const rowH = Math.min(s * 1.1, (a.h * 0.25) / Math.max(T, 1));
    const qy = a.y + s * 2.2;
    // On a phone the three slices are stacked below Q, so Q is drawn as a thin bar.
    // K and V's heads, when fewer: a bar as much narrower as they are, below Q's brace (thinner bars on a phone).
    const qH = a.portrait ? Math.min(s * (grouped ? 1.1 : 2.4), rowH * T) : grouped ? Math.min(s * 2.4, rowH * T) : rowH * Math.min(T, 12);
    const kvH = grouped ? Math.min(qH, s * 1.4) : 0;
    const kvY = qy + qH + s * (a.portrait ? 2.8 : 4);
    // On a phone K and V's width is written beside their bar rather than braced below it.
    const below = grouped ? kvY + kvH + s * (a.portrait ? 1.4 : 3.2) : qy + qH + s * 3.2;
    const { items: views } = arrangeBest({ ...a, y: below, h: a.y + a.h - below }, s * 1.5, (v) => (v as MatrixView).headerH, (stacked, factor) => {
      const each = stacked ? a.w - s * 4 : factor * ((a.w - s * 4) / 3 - s * 3);
      const rows = rowsThatFit(stacked ? (a.y + a.h - below - s) / 3 : a.y + a.h - below, s);
      return names.map(
        (n, i) =>
          new MatrixView(columnSlice(ex.trace, block(layer, QKV_STEP[n]), sliceOf(n) * H, H), {
            size: s,
            maxWidth: each,
            maxRows: rows,
            maxCols: 5,
            colLabels: n === 'Q' ? 'qWidth' : 'kvWidth',
            colOffset: sliceOf(n) * H,
            rowLabels: i === 0 || stacked ? pieces : undefined,
            name: say`${n}_{${d.index(sliceOf(n), n === 'Q' ? 'nHead' : 'nKvHead')}}`,
            // Stacked, one brace under the last slice serves all three (they share their columns).
            colBrace: !stacked || i === names.length - 1 ? say`H = ${d.dim('H')}` : undefined,
          }),
      );
    });
    return { s, qx, qy, qW, qH, kvY, kvH, views, portrait: a.portrait };
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
        brace(f, 'below', qx, qx + qW, qy + qH + s * 0.3, qBrace, { size: s * TEXT.small, paint: 'dim' });
        for (let h = 1; h < nHead; h++) {
          f.fade(stagger(pc, h - 1, nHead - 1, 0.2), () => f.path([qx + h * slab, qy - s * 0.2, qx + h * slab, qy + qH + s * 0.2], { stroke: 'ink', lineWidth: 1.2 }));
        }
        const every = Math.ceil((nHead * s * 1.2) / qW);
        for (let h = 0; h < nHead; h += every) {
          f.fade(stagger(pc, h, nHead, 0.2), () => f.text(qx + (h + 0.5) * slab, qy - s * 0.7, [d.index(h, 'nHead')], { size: s * TEXT.tiny, paint: h === head && pp > 0 ? 'ink' : 'muted', align: 'center', bold: h === head && pp > 0 }));
        }
        if (pp > 0) f.fade(pp, () => f.rect(qx + head * slab, qy - 2, slab, qH + 4, { fill: 'highlight', stroke: 'highlightStroke', lineWidth: 2 }));
      });
      if (grouped) f.fade(pc, () => drawSharedHeads(f, L, slab, pc, pp));
      const pk = kv.at(t);
      views.forEach((v, i) => {
        const p = i === 0 ? pp : stagger(pk, i - 1, 2, 0.5);
        f.fade(p, () => f.shift(0, (1 - p) * -s * 2, () => v.draw(f)));
      });
    },
  });

  /** K and V's heads under Q: each joined to the span of query heads that share it; the followed one marked. */
  function drawSharedHeads(f: Frame, L: { s: number; qx: number; qy: number; qW: number; qH: number; kvY: number; kvH: number; portrait: boolean }, slab: number, pc: number, pp: number): void {
    const { s, qx, qy, qW, qH, kvY, kvH } = L;
    const kvW = qW / group;
    const kx = qx + (qW - kvW) / 2;
    const kvSlab = kvW / nKvHead;
    label(f, kx - s * 0.5, kvY + kvH / 2, 'K, V', { size: s, bold: true, align: 'right' });
    f.rect(kx, kvY, kvW, kvH, { fill: 'panel', stroke: 'faint' });
    const kvWidth = say`n_{kv} H = ${d.dim('kvWidth')}`;
    if (L.portrait) label(f, kx + kvW + s * 0.5, kvY + kvH / 2, kvWidth, { size: s * TEXT.small, paint: 'dim' });
    else brace(f, 'below', kx, kx + kvW, kvY + kvH + s * 0.3, kvWidth, { size: s * TEXT.small, paint: 'dim' });
    for (let g = 0; g < nKvHead; g++) {
      const p = stagger(pc, g, nKvHead, 0.3);
      const mine = g === kvHead && pp > 0;
      f.fade(p, () => {
        if (g > 0) f.path([kx + g * kvSlab, kvY - s * 0.2, kx + g * kvSlab, kvY + kvH + s * 0.2], { stroke: 'ink', lineWidth: 1.2 });
        // The fan from this key/value head up to the query heads it serves (below Q's brace).
        const fanTop = qy + qH + s * 2.3;
        const left = qx + g * group * slab;
        const right = left + group * slab;
        const paint = mine ? 'highlightStroke' : 'faint';
        f.path([kx + g * kvSlab, kvY - 1, left, fanTop], { stroke: paint, lineWidth: mine ? 2 : 1 });
        f.path([kx + (g + 1) * kvSlab, kvY - 1, right, fanTop], { stroke: paint, lineWidth: mine ? 2 : 1 });
        if (mine) f.rect(kx + g * kvSlab, kvY - 2, kvSlab, kvH + 4, { fill: 'highlight', stroke: 'highlightStroke', lineWidth: 2 });
        if (kvSlab > s * 1.2) f.text(kx + (g + 0.5) * kvSlab, kvY + kvH / 2, [d.index(g, 'nKvHead')], { size: s * TEXT.tiny, paint: mine ? 'ink' : 'muted', align: 'center', bold: mine });
      });
    }
  }
}

export const headsScene: SceneDefinition = { name: 'heads', title: 'Splitting into heads', build };
