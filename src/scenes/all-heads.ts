// All heads at a glance: every block × head attention pattern for the prompt as a small T × T
// map (h.L.attn.weights), labelled by block and head; the heads that put most weight on the
// previous token, the first token and the token itself (heads.previous, .first, .self) named
// with their mean weight. Choosing a map (click, tap, or Enter) asks the page to show that
// block and head in the attention scenes (a spot's `choose`). A phone shows one block at a
// time and turns the pages as the scene plays. A long prompt's maps are downsampled: each
// cell shows the largest weight among the tokens it covers, and says so when pointed at.

import type { Area } from '../anim/area.ts';
import { drawInline, inlineWidth, wrapGroups, type InlinePiece } from '../anim/inline-text.ts';
import { Storyboard, stagger } from '../anim/timeline.ts';
import type { Explanation } from '../model/explanation.ts';
import { FIRST_HABIT_ROW, type HeadHabit } from '../model/head-habits.ts';
import { at, block, namedValue, type Source } from '../model/registry.ts';
import { mostLikely } from '../model/sampling.ts';
import { traced } from '../model/trace.ts';
import type { Frame, SpotChoice } from '../render/frame.ts';
import type { Paint } from '../render/theme.ts';
import { textWidth, wrapText } from '../render/text.ts';
import type { SceneDefinition } from './contract.ts';
import { makeScene } from './make-scene.ts';
import { dims } from './shared.ts';

/**
 * At most about this many coloured cells over all maps on screen (the lower triangles; the
 * upper ones are masked), so a frame stays quick to draw: each is a rectangle of its own.
 */
const CELL_BUDGET = 12_000;
/** A cell narrower than this many px is merged with its neighbours. */
const MIN_CELL_PX = 2;
/** Weights this small are drawn as the map's background (they are still pointed at). */
const INVISIBLE_WEIGHT = 0.002;

const HABITS: { habit: HeadHabit; words: string; paint: Paint }[] = [
  { habit: 'previous', words: 'the previous token', paint: 'token' },
  { habit: 'first', words: 'the first token', paint: 'pos' },
  { habit: 'self', words: 'the token itself', paint: 'ink' },
];

/**
 * One map's cells at some resolution: G × G, each standing for the largest weight of the tokens
 * it covers. Made once per size, with what its spots say, so a frame allocates little.
 */
interface MapCells {
  G: number;
  /** G × G: the weight each cell shows. */
  values: Float32Array;
  /** G × G: how strongly each cell is coloured (0 for weights too small to see). */
  opacity: Float32Array;
  /** G × G: where each cell's weight is in h.L.attn.weights, and what the cell covers when downsampled. */
  sources: Source[];
  notes: (string | undefined)[];
  /** What choosing the map asks for: its block and head. */
  choose: SpotChoice;
}

/** Rows (or columns) c0 … c1 − 1 of T that cell i of G covers. */
function cover(i: number, G: number, T: number): [number, number] {
  const c0 = Math.floor((i * T) / G);
  return [c0, Math.max(c0 + 1, Math.floor(((i + 1) * T) / G))];
}

function mapCells(weights: Float32Array, l: number, head: number, T: number, G: number): MapCells {
  const values = new Float32Array(G * G);
  const sources: Source[] = [];
  const notes: (string | undefined)[] = [];
  for (let i = 0; i < G; i++) {
    const [r0, r1] = cover(i, G, T);
    for (let j = 0; j < G; j++) {
      const [c0, c1] = cover(j, G, T);
      let pick = (head * T + r0) * T + c0;
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          const k = (head * T + r) * T + c;
          if (weights[k] > weights[pick]) pick = k;
        }
      }
      values[i * G + j] = weights[pick];
      sources.push(at(block(l, 'attn.weights'), pick));
      const where = `at row ${Math.floor(pick / T) % T}, column ${pick % T}`;
      notes.push(G < T ? `this cell covers rows ${r0}–${r1 - 1} and columns ${c0}–${c1 - 1} and shows the largest weight among them, ${where}` : undefined);
    }
  }
  const opacity = values.map((v) => (v > INVISIBLE_WEIGHT ? Math.sqrt(v) : 0));
  return { G, values, opacity, sources, notes, choose: { layer: l, head } };
}

function build(ex: Explanation) {
  const { T, nHead, nLayer } = dims(ex);
  const weights = Array.from({ length: nLayer }, (_, l) => traced(ex.trace, block(l, 'attn.weights')).data); // each n_head × T × T
  const telling = T > FIRST_HABIT_ROW; // a mean over rows 2 … T − 1 exists
  // The head with the largest mean weight on each habit's token (a ranking of registered values).
  const strongest = HABITS.map(({ habit, words, paint }) => {
    const name = `heads.${habit}` as const;
    const values = namedValue(ex, name)!.data;
    const index = telling ? mostLikely(values, 1)[0] : -1;
    return { name, words, paint, index, layer: Math.floor(index / nHead), head: index % nHead, value: values[index] };
  });

  const story = new Storyboard();
  story.beat('maps', 'Every head of every block at once. Each small map is one head’s attention weights for your prompt: a row for each token that looks, a column for each token it looks at. The darker the cell, the more weight.');
  const reveal = story.play(1.6);
  story.wait(0.8);
  story.beat('blocks', 'Block by block: the heads of one block all read the same rows, yet each has learned to look in its own way.');
  const tour = story.play(Math.max(3, 1.2 * nLayer), (p) => p);
  story.beat(
    'look',
    telling
      ? 'What to look for: heads that look mostly at the token just before, at the first token (a resting place when nothing else fits), or at the token itself. The strongest of each, with its mean weight, are named under the maps.'
      : 'What to look for, with three tokens or more: heads that look mostly at the token just before, at the first token, or at the token itself. With fewer, those are not yet three different tokens.',
  );
  const look = story.play(4.5, (p) => p);
  story.beat('choose', 'Choose a map (click or tap it, or pause and use the arrow keys and Enter) and the attention scenes follow that head.');
  story.wait(3);

  /** The block a phone shows at time t: 0 at first, each in turn, then each named head's, then the followed one. */
  const pageAt = (t: number): number => {
    if (t < tour.start) return 0;
    if (t < tour.end) return Math.min(nLayer - 1, Math.floor(tour.at(t) * nLayer));
    if (t < look.end && telling) return strongest[Math.min(2, Math.floor(look.at(t) * 3))].layer;
    return ex.layer;
  };

  const layout = (a: Area) => {
    const s = a.size;
    const labelSize = Math.max(9, s * 0.62);
    // The named heads, set in lines under the maps.
    const groups: InlinePiece[][] = telling
      ? strongest.map((st) => [
          { text: `Most on ${st.words}: `, paint: st.paint, bold: true },
          { text: 'block ' }, { count: st.layer, source: at('block', st.layer) },
          { text: ', head ' }, { count: st.head, source: at('head', st.head) },
          { text: ' (mean ' }, { number: st.value, source: at(st.name, st.index) }, { text: ')' },
        ])
      : [[{ text: 'Too few tokens to compare habits: the first, the previous and the token itself coincide.', paint: 'muted' }]];
    groups.push([{ text: 'Gold outline: the head the attention scenes follow', paint: 'highlightStroke', bold: true }]);
    const lineSize = s * 0.8;
    const lines = wrapGroups(groups, lineSize, a.w, s * 1.6);
    const bottom = a.y + a.h - lines.length * lineSize * 1.45 - s * 0.4;
    // Cells per map: every token when it fits, else fewer, each covering several tokens.
    const mapsShown = a.portrait ? nHead : nLayer * nHead;
    // G (G + 1) / 2 coloured cells per map at most.
    const budgetG = Math.floor((Math.sqrt(1 + (8 * CELL_BUDGET) / mapsShown) - 1) / 2);
    const cellsFor = (m: number) => Math.max(1, Math.min(T, Math.floor(m / MIN_CELL_PX), budgetG));
    const gridFrom = (top: number) => (a.portrait ? pageGrid(a, s, labelSize, top, bottom) : wholeGrid(a, s, labelSize, top, bottom));
    let grid = gridFrom(a.y);
    let G = cellsFor(grid.m);
    let noteLines: string[] = [];
    if (G < T) {
      noteLines = wrapText('A long prompt: each cell covers several tokens and shows the largest weight among them (point at one to see which).', s * 0.72, a.w);
      grid = gridFrom(a.y + noteLines.length * s * 0.9 + s * 0.2);
      G = cellsFor(grid.m);
    }
    const cells = weights.map((w, l) => Array.from({ length: nHead }, (_, h) => mapCells(w, l, h, T, G)));
    const turning = a.portrait ? wrapText('The pages turn as the scene plays; pause to stay on a block.', s * 0.8, a.w) : [];
    // The named heads sit just under the maps, or at the bottom when the maps fill the area.
    const linesY = Math.min(bottom, grid.bottomY + s * 0.6) + s * 0.4 + lineSize * 0.7;
    return { s, labelSize, lines, lineSize, linesY, grid, cells, G, noteLines, turning };
  };

  /** Landscape: every block, k blocks side by side in each row of the grid, as large as fits. */
  function wholeGrid(a: Area, s: number, labelSize: number, top: number, bottom: number) {
    const g = Math.max(2, s * 0.18); // between maps
    const groupGap = s * 1.2; // between blocks side by side
    const labelW = textWidth('block 00', labelSize) + s * 0.5;
    const headerH = labelSize * 1.5;
    const availH = bottom - top - headerH;
    let best = { k: 1, m: 0 };
    for (let k = 1; k <= nLayer; k++) {
      const rows = Math.ceil(nLayer / k);
      const mW = (a.w - k * labelW - (k - 1) * groupGap - k * (nHead - 1) * g) / (k * nHead);
      const mH = (availH - (rows - 1) * g) / rows;
      const m = Math.min(mW, mH, s * 8);
      if (m > best.m + 0.5) best = { k, m };
    }
    const k = best.k;
    const m = Math.max(1, best.m); // a frame far too small still gets maps, overlapping
    const rows = Math.ceil(nLayer / k);
    const groupW = labelW + nHead * m + (nHead - 1) * g;
    const totalW = k * groupW + (k - 1) * groupGap;
    const totalH = headerH + rows * m + (rows - 1) * g;
    const x0 = a.x + (a.w - totalW) / 2;
    const y0 = top + Math.max(0, (availH + headerH - totalH) / 2) + headerH;
    // Blocks run down the first column of blocks, then the next, like a table continued.
    const place = (l: number, h: number) => {
      const col = Math.floor(l / rows);
      const row = l % rows;
      return { x: x0 + col * (groupW + groupGap) + labelW + h * (m + g), y: y0 + row * (m + g) };
    };
    return { m, g, rows, place, headerY: y0 - headerH * 0.55, labelW, bottomY: y0 + totalH - headerH };
  }

  /** Portrait: one block's heads, as large as fits under the page line. */
  function pageGrid(a: Area, s: number, labelSize: number, top: number, bottom: number) {
    const g = Math.max(3, s * 0.5);
    const pageH = s * 4.2; // "block N" with its page dots, and the note on turning pages
    const headH = labelSize * 1.4;
    const availH = bottom - top - pageH;
    let best = { cols: 1, m: 0 };
    for (let cols = 1; cols <= nHead; cols++) {
      const rows = Math.ceil(nHead / cols);
      const m = Math.min((a.w - (cols - 1) * g) / cols, (availH - rows * headH - (rows - 1) * g) / rows, s * 14);
      if (m > best.m + 0.5) best = { cols, m };
    }
    const cols = best.cols;
    const m = Math.max(1, best.m);
    const rows = Math.ceil(nHead / cols);
    const totalW = cols * m + (cols - 1) * g;
    const totalH = rows * (m + headH) + (rows - 1) * g;
    const x0 = a.x + (a.w - totalW) / 2;
    const y0 = top + pageH + Math.max(0, (availH - totalH) / 2);
    const place = (_l: number, h: number) => ({ x: x0 + (h % cols) * (m + g), y: y0 + Math.floor(h / cols) * (m + headH + g) + headH });
    return { m, g, rows, place, headerY: 0, labelW: 0, bottomY: y0 + totalH };
  }

  type Layout = ReturnType<typeof layout>;

  /** One map: its background, its cells, a spot per cell that names the weight and chooses the head. */
  function drawMap(f: Frame, L: Layout, l: number, h: number) {
    const { x, y } = L.grid.place(l, h);
    const { m } = L.grid;
    const { G, values, opacity, sources, notes, choose } = L.cells[l][h];
    const cell = m / G;
    f.rect(x, y, m, m, { fill: 'panel', stroke: 'faint', lineWidth: 1 });
    f.cells(x, y, G, G, cell, cell, opacity, 'dim');
    for (let i = 0; i < G; i++) {
      for (let j = 0; j < G; j++) {
        const k = i * G + j;
        f.spot(x + j * cell, y + i * cell, cell, cell, values[k], sources[k], notes[k], { choose });
      }
    }
  }

  /** An outline around map (l, h). */
  const outline = (f: Frame, L: Layout, l: number, h: number, paint: Paint, width: number) => {
    const { x, y } = L.grid.place(l, h);
    const pad = width / 2 + 1;
    f.rect(x - pad, y - pad, L.grid.m + 2 * pad, L.grid.m + 2 * pad, { stroke: paint, lineWidth: width, radius: 2 });
  };

  return makeScene({
    name: 'all-heads',
    title: 'All heads at a glance',
    story,
    layout,
    frame(f, t, L, a) {
      const { s, labelSize, grid } = L;
      const pr = reveal.at(t);
      const pl = t >= look.start ? Math.min(1, (t - look.start) / 0.6) : 0;
      const blocks = a.portrait ? [pageAt(t)] : Array.from({ length: nLayer }, (_, l) => l);
      L.noteLines.forEach((line, i) => f.text(a.x + a.w / 2, a.y + s * 0.5 + i * s * 0.9, line, { size: s * 0.72, paint: 'muted', italic: true, align: 'center' }));
      if (a.portrait) drawPageLine(f, L, a, blocks[0], t);
      else drawHeader(f, L);
      // The tour: each block's row lit in turn (landscape; a phone turns the page instead).
      if (!a.portrait && tour.active(t)) {
        const l = Math.min(nLayer - 1, Math.floor(tour.at(t) * nLayer));
        const { x, y } = grid.place(l, 0);
        f.rect(x - grid.labelW - s * 0.2, y - grid.g / 2, grid.labelW + nHead * (grid.m + grid.g) + s * 0.2, grid.m + grid.g, { fill: 'highlight', radius: 3 });
      }
      for (const l of blocks) {
        f.fade(a.portrait ? pr : stagger(pr, l, nLayer, 0.3), () => {
          if (!a.portrait) {
            const { x, y } = grid.place(l, 0);
            drawInline(f, x - grid.labelW + s * 0.1, y + grid.m / 2, [{ text: 'block ' }, { count: l, source: at('block', l) }], labelSize, 'muted');
          }
          for (let h = 0; h < nHead; h++) {
            if (a.portrait) {
              const { x, y } = grid.place(l, h);
              drawInline(f, x, y - labelSize * 0.7, [{ text: 'head ' }, { count: h, source: at('head', h) }], labelSize, 'muted');
            }
            drawMap(f, L, l, h);
          }
        });
      }
      // The head the attention scenes follow, and the strongest of each habit once named.
      if (pr >= 1 && blocks.includes(ex.layer)) outline(f, L, ex.layer, ex.head, 'highlightStroke', 3);
      if (telling && pl > 0) {
        f.fade(pl, () => strongest.forEach((st) => blocks.includes(st.layer) && outline(f, L, st.layer, st.head, st.paint, 2)));
      }
      f.fade(pl, () =>
        L.lines.forEach((line, i) => {
          const gap = s * 1.6;
          const width = line.reduce((w, group) => w + inlineWidth(group, L.lineSize), 0) + gap * (line.length - 1);
          let x = a.x + (a.w - width) / 2;
          for (const group of line) x = drawInline(f, x, L.linesY + i * L.lineSize * 1.45, group, L.lineSize) + gap;
        }),
      );
    },
  });

  /** Head numbers above every column of maps (landscape). */
  function drawHeader(f: Frame, L: Layout) {
    const { grid, labelSize } = L;
    for (let col = 0; col * grid.rows < nLayer; col++) {
      const l = col * grid.rows;
      const { x } = grid.place(l, 0);
      f.text(x - labelSize * 0.4, grid.headerY, 'head', { size: labelSize, paint: 'muted', align: 'right' });
      for (let h = 0; h < nHead; h++) {
        const p = grid.place(l, h);
        f.count(p.x + grid.m / 2, grid.headerY, h, at('head', h), { size: labelSize, paint: 'muted', mono: true, align: 'center' });
      }
    }
  }

  /** A phone's page line: which block is shown, a dot per block, and how the pages turn. */
  function drawPageLine(f: Frame, L: Layout, a: Area, l: number, t: number) {
    const { s } = L;
    const y = a.y + s * (L.noteLines.length ? 0.5 + 0.9 * L.noteLines.length : 0) + s * 0.7;
    const page: InlinePiece[] = [{ text: 'block ', bold: true }, { count: l, source: at('block', l), bold: true }];
    drawInline(f, a.x, y, page, s);
    const dot = Math.min(s * 0.5, (a.w - inlineWidth(page, s) - s * 3) / (nLayer * 1.6));
    const dx = a.x + a.w - nLayer * dot * 1.6;
    for (let b = 0; b < nLayer; b++) f.rect(dx + b * dot * 1.6, y - dot / 2, dot, dot, { fill: b === l ? 'ink' : 'faint', radius: dot / 2 });
    const lines = t < look.end ? L.turning : ['This is the block the attention scenes follow.'];
    lines.forEach((line, i) => f.text(a.x, y + s * 1.2 + i * s * 0.95, line, { size: s * 0.8, paint: 'muted', italic: true }));
  }
}

export const allHeadsScene: SceneDefinition = { name: 'all-heads', title: 'All heads at a glance', build };
