// Rotary position embeddings (RoPE), the Llama family's way of placing tokens: no position table;
// in every head, dimensions i and i + H/2 of a query or key form a pair, a point in a plane, and
// RoPE turns that point by an angle of position × the pair's frequency (rope.angles). Shown on
// pair 0 of the explanation's head: the last token's query turned by its angle (attn.q → q_rot),
// a key halfway back turned by its own (attn.k → k_rot), then why the score sees only their distance: turning
// both back by the query's angle keeps their dot product, and leaves the key turned by the
// difference alone (rope.dot and rope.relative, the same numbers, with attn.scores beside them).

import { label } from '../anim/label.ts';
import { arrow } from '../anim/marks.ts';
import { MatrixView, wholeMatrix, pickSlots, rowsThatFit, shortPiece } from '../anim/matrix.ts';
import type { Area } from '../anim/area.ts';
import { makeScene } from './make-scene.ts';
import { Storyboard } from '../anim/timeline.ts';
import type { Frame } from '../render/frame.ts';
import type { Paint } from '../render/theme.ts';
import type { Explanation } from '../model/explanation.ts';
import type { SceneDefinition } from './contract.ts';
import { declared, dims, blockHead, tokenPieces } from './shared.ts';
import { say, type Phrase } from '../render/said.ts';
import { TEXT } from '../anim/metrics.ts';
import { at, block, namedValue, type ValueName } from '../model/registry.ts';

/** The pair the dial follows: dimensions 0 and H/2, which turn fastest (one radian per position before any scaling). */
const PAIR = 0;

function build(ex: Explanation) {
  const { T, H, nHead, nKvHead } = dims(ex);
  const { layer, head } = ex;
  const d = declared(ex);
  const half = H / 2;
  const kvHead = Math.floor((head * nKvHead) / nHead);
  const pieces = tokenPieces(ex);
  const i = T - 1; // the query: the last token
  const j = Math.floor(i / 2); // the key: a token halfway back, so both turn and their distance shows
  const trace = (name: ValueName) => namedValue(ex, name)!.data;
  const q = trace(block(layer, 'attn.q'));
  const k = trace(block(layer, 'attn.k'));
  const angles = trace('rope.angles');
  const qAt = (t: number, c: number) => (t * nHead + head) * H + c; // flat index into q / q_rot
  const kAt = (t: number, c: number) => (t * nKvHead + kvHead) * H + c; // into k / k_rot
  const pair = (data: ArrayLike<number>, index: (t: number, d: number) => number, t: number) =>
    [data[index(t, PAIR)], data[index(t, PAIR + half)]] as const;
  const thetaQ = angles[i * half + PAIR];
  const thetaK = angles[j * half + PAIR];
  const shared =
    nKvHead < nHead
      ? say` (query head ${d.index(head, 'nHead')} shares key/value head ${d.index(kvHead, 'nKvHead')} with ${d.count(nHead / nKvHead - 1, 'kvGroup')} others)`
      : '';
  const pairDims = say`${d.index(PAIR, 'H')} and ${d.index(PAIR + half, 'H')}`;

  const story = new Storyboard();
  story.beat('angles', `This model has no position table. Instead RoPE (rotary position embedding) gives every position an angle for each pair of dimensions in a head: position × the pair's frequency, in radians. The first pairs turn fast, the last ones slowly.`);
  const showAngles = story.play(1.6);
  story.wait(1.6);
  story.beat('query', say`In ${blockHead(ex)}, dimensions ${pairDims} of the query of “${pieces[i]}” form a point in a plane. RoPE turns it about the centre by its position's angle; every other pair of the head turns by its own angle.`);
  const turnQ = story.play(2.4);
  story.wait(1.2);
  story.beat('key', say`Keys are turned the same way, each by its own position's angle: here the key of “${pieces[j]}”${shared}. Values are not turned.`);
  const turnK = story.play(2.0);
  story.wait(1.2);
  story.beat('distance', 'Turn both points back by the query’s angle: the angle between them stays, so their dot product stays. What is left is the unturned query and the key turned by the difference of the angles, which depends only on how far apart the tokens are.');
  const turnBack = story.play(2.4);
  story.wait(1.0);
  story.beat('scores', say`For the query of “${pieces[i]}” and every key it sees: summed over all ${d.dim('ropePairs')} pairs, the two ways give the same products, and divided by √H they are the attention scores. So a query meets a key a given distance away the same way wherever the two stand in the text.`);
  const showTable = story.play(1.4);
  story.wait(3.0);

  // The dial and its readout (the query's numbers beside the key's) on the left, or on top on a
  // phone; the angles table, and later the products, beside them or below.
  const layout = (a: Area) => {
    const s = a.size;
    const line = s * 1.45;
    const groupW = s * 10;
    const readoutH = 3 * line;
    const leftW = a.portrait ? a.w : Math.max(2 * groupW + s, a.w * 0.42);
    // On a phone the dial's name goes below the subtitle, which sits above the middle.
    const dialTop = a.y + (a.portrait ? s * 2.6 : s * 1.6);
    const dialSpace = (a.portrait ? a.h * 0.45 : a.h) - readoutH - (dialTop - a.y) - s * 0.8;
    const r = Math.max(s * 2.2, Math.min((leftW - s * 2) / 2, dialSpace / 2));
    const dial = { cx: a.x + leftW / 2, cy: dialTop + r, r };
    const readout = { x: a.x + Math.max(0, (leftW - 2 * groupW) / 2), y: dial.cy + r + s * 1.1, groupW, line };
    const top = a.portrait ? readout.y + readoutH : a.y;
    const right = a.portrait ? { x: a.x, y: top, w: a.w, h: a.y + a.h - top } : { x: a.x + leftW + s, y: a.y + s * 0.5, w: a.w - leftW - s, h: a.h - s * 0.5 };
    const anglesView = new MatrixView(wholeMatrix(ex.trace, 'rope.angles'), {
      size: s,
      maxWidth: right.w - s * 5,
      maxRows: rowsThatFit(right.h, s),
      keepRows: [i, j],
      maxCols: 6,
      rowLabels: pieces,
      colLabels: 'ropePairs',
      name: 'angle θ of each pair (radians)',
      colBrace: say`${d.dim('ropePairs')} pairs`,
      rowBrace: say`T = ${d.dim('T')}`,
    });
    anglesView.at(right.x + Math.max(0, (right.w - anglesView.width) / 2), right.y);
    // The keys the product table lists: those the query may see (j ≤ i), as many as fit.
    const keyRows = pickSlots(i + 1, Math.max(3, Math.floor((right.h - s * 2.4) / (s * 1.5))), [j]);
    return { s, dial, readout, right, anglesView, keyRows };
  };


  return makeScene({
    name: 'rope',
    title: 'Rotary position embeddings',
    subtitle: blockHead(ex),
    story,
    layout,
    frame(f, t, L) {
      const { s, dial, anglesView } = L;
      const pa = showAngles.at(t);
      const pq = turnQ.at(t);
      const pk = turnK.at(t);
      const pb = turnBack.at(t);
      const pt = showTable.at(t);
      // Directions only: each arrow has a length of its own (the turn is what matters here, and
      // the dial says so), pointing where its pair points after the part of its turn done by t.
      const [qa, qb] = pair(q, qAt, i);
      const [ka, kb] = pair(k, kAt, j);
      const qFrom = Math.atan2(qb, qa);
      const kFrom = Math.atan2(kb, ka);
      const qAngle = qFrom + thetaQ * pq - thetaQ * pb;
      const kAngle = kFrom + thetaK * pk - thetaQ * pb;
      const qLen = dial.r * 0.85;
      const kLen = dial.r * 0.65;
      const tip = (angle: number, length: number) => [dial.cx + Math.cos(angle) * length, dial.cy - Math.sin(angle) * length] as const;

      // The angles table, until the products take its place.
      f.fade(1 - Math.min(1, 2 * pt), () =>
        anglesView.draw(f, {
          chrome: pa,
          alpha: (r) => Math.min(1, pa * 1.5 - (r / Math.max(1, T)) * 0.5),
          highlightCol: pq > 0 ? PAIR : undefined,
          fill: (r, c) => (c === PAIR && ((r === i && pq > 0) || (r === j && pk > 0)) ? 'highlight' : null),
        }),
      );
      f.fade(Math.max(pq, pa * 0.6), () => drawDial(f, dial, s, say`dims ${pairDims} (directions; lengths not to scale)`));
      // Each vector: its unturned direction faint, the turning arrow solid, the path of the turn.
      const vector = (name: string, paint: Paint, from: number, turned: number, angle: number, length: number, path: number) => {
        spiral(f, dial, from, turned, dial.r * path, paint);
        arrow(f, dial.cx, dial.cy, ...tip(from, length), { paint: 'faint', dashed: true });
        arrow(f, dial.cx, dial.cy, ...tip(angle, length), { paint, lineWidth: 2.4 });
        label(f, ...tip(angle, length + s * 0.9), name, { size: s, bold: true, paint, align: 'center' });
      };
      f.fade(pq, () => vector('q', 'accent', qFrom, thetaQ * pq, qAngle, qLen, 0.3));
      f.fade(pk, () => vector('k', 'dim', kFrom, thetaK * pk, kAngle, kLen, 0.45));
      // While both turn back, the angle between them stays: drawn between the two arrows.
      f.fade(Math.min(1, pb * 4) * (1 - pt), () => {
        let gap = (kAngle - qAngle) % (2 * Math.PI);
        if (gap > Math.PI) gap -= 2 * Math.PI;
        if (gap < -Math.PI) gap += 2 * Math.PI;
        const pts: number[] = [];
        for (let n = 0; n <= 24; n++) pts.push(...tip(qAngle + (gap * n) / 24, dial.r * 0.18));
        f.path(pts, { stroke: 'highlightStroke', lineWidth: 3 });
      });
      drawReadout(f, L, pq, pk, pb);
      f.fade(Math.max(0, 2 * pt - 1), () => drawProducts(f, L));
    },
  });

  /** The dial's numbers: each vector's pair before and after turning, and the angles. */
  function drawReadout(f: Frame, L: ReturnType<typeof layout>, pq: number, pk: number, pb: number): void {
    const { s, readout } = L;
    const { line, groupW } = readout;
    const size = s * TEXT.label;
    const rowOf = (x: number, y: number, name: string, paint: Paint, tensor: ValueName, index: (t: number, d: number) => number, t: number) => {
      label(f, x, y, name, { size, paint, bold: true });
      f.number(x + groupW * 0.62, y, trace(tensor)[index(t, PAIR)], at(tensor, index(t, PAIR)), { size, decimals: 2, align: 'right' });
      f.number(x + groupW * 0.95, y, trace(tensor)[index(t, PAIR + half)], at(tensor, index(t, PAIR + half)), { size, decimals: 2, align: 'right' });
    };
    const angle = (x: number, y: number, name: Phrase, t: number) => {
      label(f, x, y, name, { size, paint: 'muted' });
      f.number(x + groupW * 0.62, y, angles[t * half + PAIR], at('rope.angles', t * half + PAIR), { size, decimals: 2, align: 'right' });
      f.text(x + groupW * 0.66, y, 'rad', { size: size * 0.9, paint: 'muted' });
    };
    const { x, y } = readout;
    f.fade(pq, () => {
      rowOf(x, y, 'q', 'accent', block(layer, 'attn.q'), qAt, i);
      angle(x, y + line, say`θ_{${d.index(i, 'T')}}`, i);
      rowOf(x, y + 2 * line, 'q′', 'accent', block(layer, 'attn.q_rot'), qAt, i);
    });
    f.fade(pk * (1 - pb * 0.5), () => {
      const kx = x + groupW + s;
      rowOf(kx, y, 'k', 'dim', block(layer, 'attn.k'), kAt, j);
      angle(kx, y + line, say`θ_{${d.index(j, 'T')}}`, j);
      rowOf(kx, y + 2 * line, 'k′', 'dim', block(layer, 'attn.k_rot'), kAt, j);
    });
  }

  /** For the query and every key it may see: distance, turned · turned, unturned · key turned by the difference, score. */
  function drawProducts(f: Frame, L: ReturnType<typeof layout>): void {
    const { s, right, keyRows } = L;
    const size = s * TEXT.small;
    const line = s * 1.5;
    const cols = [0.3, 0.5, 0.75, 1].map((share) => right.x + (right.w - s * 0.4) * share);
    const y0 = right.y + s * 1.6;
    label(f, right.x, y0, 'key', { size, paint: 'muted' });
    label(f, cols[0], y0, 'apart', { size, paint: 'muted', align: 'right' });
    label(f, cols[1], y0, 'q′ · k′', { size, paint: 'muted', align: 'right' });
    label(f, cols[2], y0, 'q · turned k', { size, paint: 'muted', align: 'right' });
    label(f, cols[3], y0, 'score', { size, paint: 'muted', align: 'right' });
    keyRows.forEach((key, n) => {
      const y = y0 + (n + 1.2) * line;
      if (key === 'gap') {
        f.text(right.x + s, y, '⋮', { size, paint: 'muted' });
        return;
      }
      if (key === j) f.rect(right.x - s * 0.3, y - line * 0.45, right.w, line * 0.9, { fill: 'highlight', radius: 3 });
      f.text(right.x, y, [shortPiece(pieces[key])], { size, mono: true, paint: 'token' });
      f.text(cols[0], y, [d.count(i - key, 'T')], { size, mono: true, paint: 'dim', align: 'right' }); // positions apart
      const cell = i * T + key;
      f.number(cols[1], y, trace('rope.dot')[cell], at('rope.dot', cell), { size, decimals: 3, align: 'right' });
      f.number(cols[2], y, trace('rope.relative')[cell], at('rope.relative', cell), { size, decimals: 3, align: 'right' });
      const score = (head * T + i) * T + key;
      f.number(cols[3], y, trace(block(layer, 'attn.scores'))[score], at(block(layer, 'attn.scores'), score), { size, decimals: 3, align: 'right' });
    });
  }
}

/** The plane of one pair: a circle and two axes, named by the dimensions. */
function drawDial(f: Frame, dial: { cx: number; cy: number; r: number }, s: number, name: Phrase): void {
  const { cx, cy, r } = dial;
  const pts: number[] = [];
  for (let n = 0; n <= 64; n++) pts.push(cx + r * Math.cos((n / 64) * 2 * Math.PI), cy + r * Math.sin((n / 64) * 2 * Math.PI));
  f.path(pts, { stroke: 'grid', lineWidth: 1 });
  f.path([cx - r, cy, cx + r, cy], { stroke: 'faint', lineWidth: 1 });
  f.path([cx, cy - r, cx, cy + r], { stroke: 'faint', lineWidth: 1 });
  label(f, cx, cy - r - s * 0.7, name, { size: s * TEXT.small, paint: 'dim', align: 'center' });
}

/** The path of a turn: from `from` radians through `turn` more, widening a little each full turn. */
function spiral(f: Frame, dial: { cx: number; cy: number; r: number }, from: number, turn: number, radius: number, paint: Paint): void {
  if (Math.abs(turn) < 1e-3) return;
  const steps = Math.max(8, Math.ceil(Math.abs(turn) * 12));
  const pts: number[] = [];
  for (let n = 0; n <= steps; n++) {
    const a = from + (turn * n) / steps;
    const rr = radius * (1 + (0.12 * Math.abs(turn * n)) / steps / (2 * Math.PI));
    pts.push(dial.cx + rr * Math.cos(a), dial.cy - rr * Math.sin(a));
  }
  f.path(pts, { stroke: paint, lineWidth: 1.4 });
}

export const ropeScene: SceneDefinition = {
  name: 'rope',
  title: 'Rotary position embeddings',
  build,
  appliesTo: (config) => config.positions === 'rope',
};
