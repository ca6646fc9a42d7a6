// Scene 5, queries, keys and values: the block's layer-normalised input times three learned
// matrices (plus biases) gives Q, K and V (h.L.attn.q/k/v), one row per token, swept row by row.
// In the Llama family the input is RMS-normalised, the biases are there only in Qwen2, and with
// grouped-query attention K and V are narrower than Q (n_kv heads of H columns).

import { arrangeBest, gridMiddle } from '../anim/arrange.ts';
import { Spacer } from '../anim/arrange.ts';
import { label } from '../anim/label.ts';
import { brace } from '../anim/marks.ts';
import { MatrixView, wholeMatrix, rowsThatFit } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stageAt, stagger, type Track } from '../anim/timeline.ts';
import { within } from '../anim/easing.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, normWords, tokenPieces } from './shared.ts';
import { normBefore, type DimName } from '../model/registry.ts';
import { indexPart, say, type Phrase } from '../render/said.ts';
import { TEXT } from '../anim/metrics.ts';

const PARTS = [
  { key: 'q', name: 'Q', weight: 'W_q', bias: 'b_q', word: 'queries' },
  { key: 'k', name: 'K', weight: 'W_k', bias: 'b_k', word: 'keys' },
  { key: 'v', name: 'V', weight: 'W_v', bias: 'b_v', word: 'values' },
] as const;

/** How the block's input is named: LN(X) in block 0, LN(h_{L−1}) later (RMS for RMSNorm). */
function blockInputName(layer: number, fn: string): Phrase {
  return layer === 0 ? `${fn}(X)` : say`${fn}(h_{${indexPart(layer - 1, 'nLayer')}})`;
}

function build(ex: Explanation) {
  const { T, C, nHead, nKvHead, H } = dims(ex);
  const d = declared(ex);
  const L0 = ex.layer;
  const pieces = tokenPieces(ex);
  const norm = normWords(ex);
  const input = wholeMatrix(ex.trace, normBefore(L0, 'attention', ex.config));
  const outs = PARTS.map((p) => wholeMatrix(ex.trace, `h.${L0}.attn.${p.key}`));
  const inputWhat = L0 === 0 ? `X after ${norm.step}` : say`the output of block ${d.index(L0 - 1, 'nLayer')} after ${norm.step}`;
  const biased = ex.config.biases !== 'none';
  // Each matrix's width: C in GPT-2; n_head·H for Q and n_kv·H for K and V in the Llama family.
  const width: DimName[] = ['qWidth', 'kvWidth', 'kvWidth'];
  const shape = (i: number): Phrase => (ex.config.family === 'gpt2' ? 'C × C' : say`C × ${d.dim(width[i])}`);
  const widthBrace = (i: number): Phrase =>
    (i === 0 ? nHead : nKvHead) * H === C ? say`C = ${d.dim('C')}` : i === 0 ? say`n_{head} H = ${d.dim('qWidth')}` : say`n_{kv} H = ${d.dim('kvWidth')}`;
  const grouped = nKvHead < nHead;

  const story = new Storyboard();
  story.beat('input', say`Block ${d.index(L0, 'nLayer')} starts from ${inputWhat}: one row of ${d.dim('C')} numbers per token.`);
  const showInput = story.play(1.0);
  story.wait(0.8);
  const sweeps: Track[] = [];
  const swaps: Track[] = [];
  PARTS.forEach((p, i) => {
    const bias = biased ? ' and adding a bias' : '';
    story.beat(
      p.key,
      i === 0
        ? say`Multiplying by a learned ${shape(0)} matrix ${p.weight}${bias} gives the queries Q, row by row: each token's row is computed from that token's row alone.${biased ? '' : ' This model adds no biases.'}`
        : i === 1 && grouped
          ? say`Two more learned matrices give the keys K and the values V the same way, but narrower: this model keeps ${d.dim('nKvHead')} key/value heads for its ${d.dim('nHead')} query heads, so W_k and W_v are ${shape(1)}.`
          : `A second and a third learned matrix give the ${p.word} ${p.name} the same way.`,
    );
    swaps.push(story.play(0.5));
    sweeps.push(story.play(Math.min(3, 0.8 + 0.35 * T)));
    story.wait(i === 2 ? 2.0 : 0.8);
  });

  const layout = (a: Area) => {
    const s = a.size;
    let mOut: MatrixView[] = [];
    const { items, mode } = arrangeBest({ ...a, y: a.y + s * 1.2, h: a.h - s * 1.2 }, s * 0.5, gridMiddle, (stacked, factor) => {
      const each = stacked ? a.w - s * 4 : factor * ((a.w - s * 14) / 2 - s * 4);
      const rows = rowsThatFit(stacked ? (a.h - s * 14) / 2 : a.h - s * 2, s);
      const common = { size: s, maxWidth: each, maxRows: rows, maxCols: 6, colLabels: 'C' as const, colBrace: say`C = ${d.dim('C')}` };
      const mIn = new MatrixView(input, { ...common, rowLabels: pieces, name: blockInputName(L0, norm.fn) });
      mOut = outs.map((o, i) => new MatrixView(o, { ...common, rowLabels: stacked ? pieces : undefined, name: PARTS[i].name, rowBrace: say`T = ${d.dim('T')}`, colLabels: width[i], colBrace: widthBrace(i) }));
      const w = new Spacer(s * 5.5, Math.min(mIn.gridH, s * 5.5) + (stacked ? s * 2.2 : 0));
      return [mIn, new Spacer(s * 1.6, s * 2), w, new Spacer(s * 3.2, s * 2), mOut[0]] as const;
    });
    const [mIn, times, w, eq] = items;
    for (const m of mOut.slice(1)) m.at(mOut[0].x, mOut[0].y);
    return { s, mIn, mOut, times, w, eq, mode };
  };

  return makeScene({
    name: 'qkv',
    title: 'Queries, keys and values',
    subtitle: say`block ${d.index(L0, 'nLayer')} (blocks are numbered ${d.index(0, 'nLayer')} to ${d.index(dims(ex).nLayer - 1, 'nLayer')})`,
    story,
    layout,
    frame(f, t, Lay) {
      const { s, mIn, mOut, w } = Lay;
      // Which of Q, K, V is on stage, and how far its sweep has gone.
      const k = stageAt(t, swaps);
      const sweep = sweeps[k].at(t);
      const enter = swaps[k].at(t);
      const activeRow = sweep > 0 && sweep < 1 ? Math.min(T - 1, Math.floor(sweep * T)) : undefined;
      f.fade(showInput.at(t), () => mIn.draw(f, { highlightRow: activeRow }));
      f.fade(within(enter, 0, 2 / 3), () => {
        f.text(Lay.times.cx, Lay.mode === 'row' ? mIn.centerY : Lay.times.cy, '×', { size: s * TEXT.operator, align: 'center', paint: 'muted' });
        const wh = Math.min(mIn.gridH, s * 5.5);
        const wy = Lay.mode === 'row' ? mIn.centerY - wh / 2 : w.y;
        f.rect(w.x, wy, w.width, wh, { fill: 'panel', stroke: 'faint', radius: 3 });
        label(f, w.cx, wy + wh / 2, PARTS[k].weight, { size: s * TEXT.large, bold: true, align: 'center' });
        brace(f, 'below', w.x, w.x + w.width, wy + wh + s * 0.3, shape(k), { size: s * TEXT.note, paint: 'dim' });
        label(f, Lay.eq.cx, Lay.mode === 'row' ? mIn.centerY : Lay.eq.cy, biased ? `+ ${PARTS[k].bias} =` : '=', { size: s * TEXT.body, align: 'center', paint: 'muted' });
      });
      const m = mOut[k];
      m.draw(f, {
        alpha: (r) => stagger(sweep, r, T, 0.6),
        chrome: enter,
        highlightRow: activeRow,
      });
    },
  });
}

export const qkvScene: SceneDefinition = { name: 'qkv', title: 'Queries, keys and values', build };
