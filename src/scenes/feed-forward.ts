// Scene 11, the feed-forward step (an MLP, multilayer perceptron): layer norm (h.L.ln_2),
// C → 4C (h.L.mlp.fc), GELU with its curve and a few cells before and after (h.L.mlp.gelu),
// 4C → C (h.L.mlp.proj), and the residual again (h.L.out). The Llama family's gated MLP
// (SwiGLU) has three matrices: RMSNorm (h.L.rms_2), the gate and the up-projection C → I
// (mlp.gate, mlp.up), SiLU of the gate with its curve (mlp.silu), the gate times the up-projection
// cell by cell (mlp.act), I → C (mlp.proj), and the residual.

import { arrangeBest, gridMiddle, Spacer } from '../anim/arrange.ts';
import { label } from '../anim/label.ts';
import { arrow } from '../anim/marks.ts';
import { MatrixView, wholeMatrix, type MatrixSource, rowsThatFit } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard, stageAt, type Track } from '../anim/timeline.ts';
import { gelu } from '../model/ops.ts';
import type { Frame } from '../render/frame.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { blockOnly, declared, dims, tokenPieces } from './shared.ts';
import { say, type Phrase } from '../render/said.ts';
import { block, type TraceName } from '../model/registry.ts';
import { TEXT } from '../anim/metrics.ts';

interface Stage {
  key: string;
  caption: Phrase;
  from: { tensor: TraceName; name: Phrase };
  op: Phrase;
  opNote: Phrase;
  to: { tensor: TraceName; name: Phrase };
  /** A function applied to each cell, drawn as its curve with the row's cells on it instead of an arrow. */
  curve?: { name: string; fn: (x: number) => number };
}

/** SiLU, x · sigmoid(x), for drawing its curve (the model's own numbers are in mlp.silu). */
const silu = (x: number) => x / (1 + Math.exp(-x));

type Declared = ReturnType<typeof declared>;

/** The last stage of either MLP: its output added to the residual stream. */
function residualStage(layer: number, d: Declared): Stage {
  const l = d.index(layer, 'nLayer');
  return {
    key: 'residual',
    caption: say`And the residual connection again: the MLP output is added to what came in, giving block ${l}’s output.`,
    from: { tensor: block(layer, 'mlp.proj'), name: 'MLP output' },
    op: `+ after attention`,
    opNote: 'cell by cell',
    to: { tensor: block(layer, 'out'), name: say`block ${l} output` },
  };
}

/** GPT-2's MLP: layer norm, C → 4C, GELU, 4C → C, residual. */
function geluStages(layer: number, d: Declared): Stage[] {
  const l = d.index(layer, 'nLayer');
  const four = d.dim('mlpRatio'); // the 4 of "4C": the MLP's width over C, read from its shape
  return [
    {
      key: 'ln',
      caption: say`Second half of block ${l}: the feed-forward network, also called the MLP (multilayer perceptron). First, layer norm again, with its own learned scale and shift.`,
      from: { tensor: block(layer, 'resid_1'), name: 'after attention' },
      op: 'layer norm',
      opNote: 'each row',
      to: { tensor: block(layer, 'ln_2'), name: 'normalised' },
    },
    {
      key: 'fc',
      caption: say`A learned C × ${four}C matrix (plus a bias) widens every row from ${d.dim('C')} to ${d.dim('mlpWidth')} numbers.`,
      from: { tensor: block(layer, 'ln_2'), name: 'normalised' },
      op: '× W_{fc} + b',
      opNote: say`C → ${four}C`,
      to: { tensor: block(layer, 'mlp.fc'), name: 'widened' },
    },
    {
      key: 'gelu',
      caption: say`Each of those numbers goes through GELU (Gaussian error linear unit): negative ones are squeezed towards ${d.constant('zero')}, positive ones pass almost unchanged. GPT models use GELU, not ReLU.`,
      from: { tensor: block(layer, 'mlp.fc'), name: 'before GELU' },
      op: 'GELU',
      opNote: 'each cell',
      to: { tensor: block(layer, 'mlp.gelu'), name: 'after GELU' },
      curve: { name: 'GELU(x)', fn: gelu },
    },
    {
      key: 'proj',
      caption: say`A learned ${four}C × C matrix (plus a bias) brings each row back to ${d.dim('C')} numbers.`,
      from: { tensor: block(layer, 'mlp.gelu'), name: 'after GELU' },
      op: '× W_{proj} + b',
      opNote: say`${four}C → C`,
      to: { tensor: block(layer, 'mlp.proj'), name: 'MLP output' },
    },
    residualStage(layer, d),
  ];
}

/** The Llama family's gated MLP: RMSNorm, gate and up C → I, SiLU of the gate, gate × up, I → C, residual. */
function swigluStages(layer: number, d: Declared): Stage[] {
  const l = d.index(layer, 'nLayer');
  return [
    {
      key: 'ln',
      caption: say`Second half of block ${l}: the feed-forward network, also called the MLP (multilayer perceptron). First, RMSNorm again, with its own learned scale.`,
      from: { tensor: block(layer, 'resid_1'), name: 'after attention' },
      op: 'RMSNorm',
      opNote: 'each row',
      to: { tensor: block(layer, 'rms_2'), name: 'normalised' },
    },
    {
      key: 'gate',
      caption: say`This model's MLP is gated (SwiGLU) and has three learned matrices, none with a bias. The first, W_{gate} (C × I), widens every row from ${d.dim('C')} to ${d.dim('mlpWidth')} numbers: the gate.`,
      from: { tensor: block(layer, 'rms_2'), name: 'normalised' },
      op: '× W_{gate}',
      opNote: 'C → I',
      to: { tensor: block(layer, 'mlp.gate'), name: 'gate' },
    },
    {
      key: 'up',
      caption: say`A second matrix of the same shape, W_{up}, widens the same normalised row again: the ${d.dim('mlpWidth')} numbers the gate will let through, or not.`,
      from: { tensor: block(layer, 'rms_2'), name: 'normalised' },
      op: '× W_{up}',
      opNote: 'C → I',
      to: { tensor: block(layer, 'mlp.up'), name: 'up' },
    },
    {
      key: 'silu',
      caption: say`Each number of the gate goes through SiLU, x times the sigmoid of x: negative ones are squeezed towards ${d.constant('zero')}, positive ones pass almost unchanged.`,
      from: { tensor: block(layer, 'mlp.gate'), name: 'gate' },
      op: 'SiLU',
      opNote: 'each cell',
      to: { tensor: block(layer, 'mlp.silu'), name: 'SiLU(gate)' },
      curve: { name: 'SiLU(x)', fn: silu },
    },
    {
      key: 'gated',
      caption: say`Then the gate multiplies the up-projection, cell by cell: where SiLU gave nearly ${d.constant('zero')}, that feature is shut off; elsewhere it passes, scaled. This product takes the place of the single GELU of GPT models.`,
      from: { tensor: block(layer, 'mlp.silu'), name: 'SiLU(gate)' },
      op: '× up',
      opNote: 'cell by cell',
      to: { tensor: block(layer, 'mlp.act'), name: 'gated' },
    },
    {
      key: 'proj',
      caption: say`The third matrix, W_{down} (I × C), brings each row back to ${d.dim('C')} numbers.`,
      from: { tensor: block(layer, 'mlp.act'), name: 'gated' },
      op: '× W_{down}',
      opNote: 'I → C',
      to: { tensor: block(layer, 'mlp.proj'), name: 'MLP output' },
    },
    residualStage(layer, d),
  ];
}

function build(ex: Explanation) {
  const { T, C } = dims(ex);
  const { layer } = ex;
  const d = declared(ex);
  const pieces = tokenPieces(ex);
  const r = T - 1;
  const stages = ex.config.mlp === 'swiglu' ? swigluStages(layer, d) : geluStages(layer, d);

  const story = new Storyboard();
  const tracks: { enter: Track; fill: Track }[] = stages.map((st) => {
    story.beat(st.key, st.caption);
    const enter = story.play(0.8);
    const fill = story.play(st.curve ? 2.4 : 1.4);
    story.wait(st.key === 'residual' ? 2.5 : 1.4);
    return { enter, fill };
  });
  const enters = tracks.map((track) => track.enter);

  // The stage whose function is drawn as a curve (GELU, or SiLU of the gate), and its input and output.
  const curveAt = stages.findIndex((st) => st.curve);
  const curve = stages[curveAt].curve!;
  const curveIn = wholeMatrix(ex.trace, stages[curveAt].from.tensor);
  const curveOut = wholeMatrix(ex.trace, stages[curveAt].to.tensor);
  // The MLP's width is 4C in GPT-2, written with the 4 read from its shape; I in the Llama family.
  const width = (cols: number): Phrase =>
    cols === C ? say`C = ${d.dim('C')}` : ex.config.mlp === 'gelu' ? say`${d.dim('mlpRatio')}C = ${d.dim('mlpWidth')}` : say`I = ${d.dim('mlpWidth')}`;

  const layout = (a: Area) => {
    const s = a.size;
    const view = (src: MatrixSource, name: Phrase, first: boolean, stacked: boolean, factor: number) => {
      const opW = stacked ? a.w * 0.7 : Math.min(s * 13, a.w * 0.24);
      const opH = stacked ? a.h * 0.2 : s * 8;
      const each = stacked ? a.w - s * 4 : factor * ((a.w - opW - s * 4) / 2 - s * 3);
      const rows = rowsThatFit(stacked ? (a.h - opH - s * 1.5) / 2 : a.h - s, s);
      return new MatrixView(src, {
        size: s,
        maxWidth: each,
        maxRows: rows,
        keepRows: [r],
        maxCols: 5,
        colLabels: src.cols === C ? 'C' : 'mlpWidth',
        rowLabels: first || stacked ? pieces : undefined,
        name,
        colBrace: width(src.cols),
        rowBrace: first ? undefined : say`T = ${d.dim('T')}`,
      });
    };
    const views = stages.map((st) => {
      const { items, mode } = arrangeBest({ ...a, y: a.y + s, h: a.h - s }, s * 0.6, gridMiddle, (stacked, factor) => [
        view(wholeMatrix(ex.trace, st.from.tensor), st.from.name, true, stacked, factor),
        new Spacer(stacked ? a.w * 0.7 : Math.min(s * 13, a.w * 0.24), stacked ? a.h * 0.2 : s * 8),
        view(wholeMatrix(ex.trace, st.to.tensor), st.to.name, false, stacked, factor),
      ] as const);
      const [A, op, B] = items;
      return { A, B, op, mode };
    });
    // The curve over the range of the row's visible values.
    const g = views[curveAt];
    const cols = g.A.colSlots.filter((c): c is number => c !== 'gap');
    let range = 2;
    for (const c of cols) range = Math.max(range, Math.abs(curveIn.data[curveIn.index(r, c)]));
    range = Math.min(range * 1.1, 8);
    return { s, views, cols, range };
  };

  const drawCurve = (f: Frame, L: ReturnType<typeof layout>, box: Spacer, p: number) => {
    const { s, range, cols } = L;
    const x0 = box.x + s * 0.8;
    const w = box.width - s * 1.6;
    const top = box.y + s * 1.4;
    const hgt = box.height - s * 2.4;
    // y spans the function's range on [−range, range]: from below its minimum (GELU's is about −0.17, SiLU's −0.28) to range.
    const yMin = -0.4;
    const px = (v: number) => x0 + ((v + range) / (2 * range)) * w;
    const py = (v: number) => top + hgt - ((v - yMin) / (range - yMin)) * hgt;
    f.path([x0, py(0), x0 + w, py(0)], { stroke: 'faint', lineWidth: 1 });
    f.path([px(0), top, px(0), top + hgt], { stroke: 'faint', lineWidth: 1 });
    const pts: number[] = [];
    for (let i = 0; i <= 80; i++) {
      const v = -range + (2 * range * i) / 80;
      pts.push(px(v), py(curve.fn(v)));
    }
    f.path(pts, { stroke: 'dim', lineWidth: 2 });
    label(f, box.cx, box.y + s * 0.5, curve.name, { size: s * TEXT.body, bold: true, align: 'center' });
    f.fade(p, () => {
      for (const c of cols) {
        const xv = curveIn.data[curveIn.index(r, c)];
        const yv = curveOut.data[curveOut.index(r, c)];
        f.rect(px(xv) - 3.5, py(yv) - 3.5, 7, 7, { fill: 'highlightStroke', radius: 3.5 });
      }
    });
  };

  return makeScene({
    name: 'feed-forward',
    title: 'Feed forward',
    subtitle: blockOnly(ex),
    story,
    layout,
    frame(f, t, L) {
      const { s } = L;
      const k = stageAt(t, enters);
      const { A, B, op, mode } = L.views[k];
      const pe = tracks[k].enter.at(t);
      const pf = tracks[k].fill.at(t);
      const st = stages[k];
      f.fade(pe, () => {
        A.draw(f, { highlightRow: st.curve ? r : undefined });
        if (st.curve) {
          drawCurve(f, L, op, pf);
        } else {
          const cy = mode === 'row' ? A.centerY : op.cy;
          label(f, op.cx, cy - s * 0.9, st.op, { size: s * TEXT.caption, bold: true, align: 'center' });
          arrow(f, op.x + s * 0.6, cy + s * 0.2, op.x + op.width - s * 0.6, cy + s * 0.2, { paint: 'muted', progress: pf });
          f.text(op.cx, cy + s * 1.2, st.opNote, { size: s * TEXT.note, paint: 'dim', align: 'center' });
        }
      });
      B.draw(f, { chrome: pe, alpha: (row) => Math.min(1, pf * 1.6 - (row / Math.max(1, T)) * 0.6), highlightRow: st.curve && pf > 0.5 ? r : undefined });
    },
  });
}

export const feedForwardScene: SceneDefinition = { name: 'feed-forward', title: 'Feed forward', build };
