// What the logit-lens scenes share (logit-lens.ts, compare-lens.ts): how a depth of the lens is
// named in its row, which depths fit a table (all of them, the blocks' outputs only, or some of
// those around a ⋮), and one cell: a token with its probability, drawn as a bar behind it.

import type { InlinePiece } from '../anim/inline-text.ts';
import { pickSlots, shortPiece, type Slot } from '../anim/matrix.ts';
import { at, type Source } from '../model/registry.ts';
import { percentDecimals, type Frame } from '../render/frame.ts';
import type { Said } from '../render/said.ts';

/** How stage d is named in its row: "embeddings", then per block "after attention" and "after the MLP" (`short`: "attn", "MLP"). */
export function stageLabel(d: number, short: boolean): InlinePiece[] {
  if (d === 0) return [{ text: 'embeddings' }];
  const l = (d - 1) >> 1;
  const kind = (d - 1) % 2 === 0 ? (short ? 'attn' : 'after attention') : short ? 'MLP' : 'after the MLP';
  return [{ text: 'block ' }, { count: l, source: at('block', l) }, { text: ` ${kind}` }];
}

/**
 * The stages a table of at most `fitRows` rows shows, of S: all when they fit, else the blocks'
 * outputs, else some of those around a gap (the last kept); and what is left out, in words.
 */
export function lensRows(S: number, fitRows: number): { shown: Slot[]; omitted: string } {
  if (S <= fitRows) return { shown: Array.from({ length: S }, (_, k) => k), omitted: '' };
  const outputs = Array.from({ length: S }, (_, k) => k).filter((k) => k === 0 || (k - 1) % 2 === 1);
  if (outputs.length <= fitRows) return { shown: outputs, omitted: 'Only the blocks’ outputs fit here; the rows after attention are left out.' };
  return {
    shown: pickSlots(outputs.length, fitRows, [outputs.length - 1]).map((k) => (k === 'gap' ? 'gap' : outputs[k])),
    omitted: 'Not every depth fits here: the rows after attention and some blocks are left out (⋮).',
  };
}

/** Where a cell is drawn: its left edge, middle line, width and row height; `pad` is the inner margin. */
interface CellBox {
  x: number;
  y: number;
  w: number;
  rowH: number;
  pad: number;
}

/** One token of a depth's row: its piece (cut to `pieceChars`) and its probability, with a bar as long as the probability behind them. */
export function lensCell(f: Frame, box: CellBox, piece: Said, prob: number, source: Source, fs: number, pieceChars: number, note: string): void {
  const { x, y, w, rowH, pad } = box;
  f.rect(x, y - rowH * 0.38, Math.max(1, w * prob), rowH * 0.76, { fill: 'highlight', radius: 2 });
  f.text(x + pad, y, [shortPiece(piece, pieceChars)], { size: fs, mono: true, paint: 'token' });
  f.number(x + w - pad, y, prob, source, { size: fs, percent: true, decimals: percentDecimals(prob), align: 'right' });
  f.spot(x, y - rowH / 2, w, rowH, prob, source, note);
}
