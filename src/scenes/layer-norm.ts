// Layer normalisation (not in the original article): each row of X is shifted to mean 0 and
// scaled to spread 1, then scaled and shifted by learned per-column weights, giving
// h.0.ln_1. A strip of dots shows one row's C values moving from before to after. The Llama
// family's RMSNorm (h.0.rms_1, from the token embeddings) is told the same way: no mean
// subtracted, divided by the root mean square, scaled, and no shift.

import { arrangeBest, gridMiddle, Spacer } from '../anim/arrange.ts';
import { lerp } from '../anim/easing.ts';
import { label } from '../anim/label.ts';
import { arrow } from '../anim/marks.ts';
import { MatrixView, wholeMatrix, rowsThatFit } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard } from '../anim/timeline.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, normWords, tokenPieces } from './shared.ts';
import { blockInput, normBefore } from '../model/registry.ts';
import { say } from '../render/said.ts';
import { TEXT } from '../anim/metrics.ts';

function build(ex: Explanation) {
  const { T, C } = dims(ex);
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const x = wholeMatrix(ex.trace, blockInput(0, ex.config));
  const y = wholeMatrix(ex.trace, normBefore(0, 'attention', ex.config));
  const rms = ex.config.norm === 'rmsnorm';
  const norm = normWords(ex);
  const r = T - 1;
  let range = 1e-6;
  for (let c = 0; c < C; c++) range = Math.max(range, Math.abs(x.data[x.index(r, c)]), Math.abs(y.data[y.index(r, c)]));

  const story = new Storyboard();
  const whatX = ex.config.positions === 'table' ? '' : ' (here the token embeddings themselves: this model adds no position rows)';
  story.beat('row', say`Before attention, each row of X${whatX} is normalised on its own. Here is the row of “${pieces[r]}”: ${d.dim('C')} numbers, one dot each.`);
  const showX = story.play(1.2);
  story.wait(1.0);
  story.beat(
    'normalise',
    rms
      ? say`RMSNorm divides the row by its root mean square, the square root of the mean of its squared numbers. It subtracts no mean, so the row is not moved to centre on ${d.constant('zero')}: it is only scaled, to a root mean square of ${d.constant('rmsNorm.rms')} ...`
      : say`Layer norm subtracts the row’s mean and divides by its spread (standard deviation), so the row is centred on ${d.constant('layerNorm.mean')} with spread ${d.constant('layerNorm.spread')} ...`,
  );
  const move = story.play(2.2);
  story.wait(1.0);
  story.beat(
    'scale',
    rms
      ? '... then multiplies each column by a learned scale γ. There is no learned shift: nothing is added. The dots land on the row of RMS(X).'
      : '... then multiplies each column by a learned scale γ and adds a learned shift β. The dots land on the row of LN(X).',
  );
  const showY = story.play(1.2);
  story.wait(1.0);
  story.beat('all', `Every row is treated the same way, independently of the others. The result is still T × C. (Dropout, used in training, does nothing here.)`);
  const all = story.play(1.2);
  story.wait(2.0);

  const layout = (a: Area) => {
    const s = a.size;
    const stripH = a.portrait ? a.h * 0.22 : a.h * 0.3;
    const { items, mode } = arrangeBest({ ...a, h: a.h - stripH - s }, s * 0.5, gridMiddle, (stacked, factor) => {
      const each = stacked ? a.w - s * 4 : factor * ((a.w - s * 8) / 2 - s * 3);
      const rows = rowsThatFit(stacked ? (a.h - stripH - s * 4) / 2 : a.h - stripH - s, s);
      const common = { size: s, maxWidth: each, maxRows: rows, keepRows: [r], maxCols: 6, colLabels: 'C' as const, colBrace: say`C = ${d.dim('C')}` };
      return [
        new MatrixView(x, { ...common, rowLabels: pieces, name: 'X' }),
        new Spacer(s * 4, s * 2),
        new MatrixView(y, { ...common, rowLabels: stacked ? pieces : undefined, name: `${norm.fn}(X)`, rowBrace: say`T = ${d.dim('T')}` }),
      ] as const;
    });
    const [mx, gap, my] = items;
    const strip = { x: a.x + s * 3, w: a.w - s * 6, y: a.y + a.h - stripH, h: stripH - s * 1.5 };
    return { s, mx, my, gap, mode, strip };
  };

  return makeScene({
    name: 'layer-norm',
    title: rms ? 'RMS normalisation' : 'Layer normalisation',
    story,
    layout,
    frame(f, t, L) {
      const { s, mx, my, strip } = L;
      const px = showX.at(t);
      const pm = move.at(t);
      const py = showY.at(t);
      const pa = all.at(t);
      mx.draw(f, { highlightRow: r, chrome: px, alpha: (row) => (row === r ? px : Math.max(px * 0.25, pa)) });
      f.fade(py, () =>
        L.mode === 'row'
          ? arrow(f, L.gap.x + s * 0.5, mx.centerY, L.gap.x + L.gap.width - s * 0.5, mx.centerY, { paint: 'muted' })
          : arrow(f, L.gap.cx, L.gap.y, L.gap.cx, L.gap.y + L.gap.height, { paint: 'muted' }),
      );
      f.fade(py, () => my.draw(f, { highlightRow: r, alpha: (row) => (row === r ? 1 : pa) }));
      // The strip: an axis through 0, and one dot per column moving from X's value to LN(X)'s.
      f.fade(px, () => {
        const cx = strip.x + strip.w / 2;
        const axisY = strip.y + strip.h;
        f.path([strip.x, axisY, strip.x + strip.w, axisY], { stroke: 'faint', lineWidth: 1 });
        f.path([cx, strip.y, cx, axisY + s * 0.3], { stroke: 'faint', lineWidth: 1 });
        f.text(cx, axisY + s * 0.9, [d.constant('zero')], { size: s * TEXT.note, paint: 'muted', align: 'center' });
        const p = pm * 0.5 + py * 0.5;
        const dot = Math.max(2, Math.min(5, strip.w / C));
        for (let c = 0; c < C; c++) {
          const v = lerp(x.data[x.index(r, c)], y.data[y.index(r, c)], p);
          const jitter = (c * 0.6180339887) % 1;
          f.rect(cx + (v / range) * (strip.w / 2) - dot / 2, strip.y + jitter * (strip.h - dot - 2), dot, dot, { fill: p < 1 ? 'dim' : 'token' });
        }
        label(f, strip.x, strip.y - s * 0.6, py > 0.5 ? say`row “${pieces[r]}” of ${norm.fn}(X)` : say`row “${pieces[r]}” of X`, { size: s * TEXT.small, paint: 'muted' });
      });
    },
  });
}

export const layerNormScene: SceneDefinition = { name: 'layer-norm', title: 'Layer normalisation', build };
