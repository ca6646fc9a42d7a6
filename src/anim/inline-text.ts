// A line of words with numbers in it ("block 4, head 11 (0.93)"), where every number is drawn
// with its source through Frame.number() / Frame.count(), so a sentence on screen holds no
// digit the tests cannot trace. Pieces are measured once at layout and set left to right.

import type { Source } from '../model/registry.ts';
import { formatCount, formatFixed, type Frame } from '../render/frame.ts';
import { phraseText, type Phrase } from '../render/said.ts';
import type { Paint } from '../render/theme.ts';
import { textWidth } from '../render/text.ts';

/** Words (a phrase, whose digits are declared parts), a whole number (an index, a count) or a decimal, each with its own paint. */
export type InlinePiece =
  | { text: Phrase; paint?: Paint; bold?: boolean }
  | { count: number; source: Source; paint?: Paint; bold?: boolean }
  | { number: number; source: Source; decimals?: number; paint?: Paint; bold?: boolean };

function pieceText(p: InlinePiece): string {
  if ('text' in p) return typeof p.text === 'string' ? p.text : phraseText(p.text);
  if ('count' in p) return formatCount(p.count);
  return formatFixed(p.number, p.decimals ?? 2);
}

function pieceWidth(p: InlinePiece, size: number): number {
  // Bold text runs a little wider than the estimate for regular text.
  return textWidth(pieceText(p), size, !('text' in p)) * (p.bold ? 1.05 : 1);
}

/** Estimated width of the pieces set in a row at font size `size` (numbers in monospace). */
export function inlineWidth(pieces: readonly InlinePiece[], size: number): number {
  return pieces.reduce((w, p) => w + pieceWidth(p, size), 0);
}

/**
 * Draws the pieces from x (their left edge) on the middle line y; returns the right edge.
 * Words are measured by estimate and numbers (monospace) nearly exactly, so the words that
 * lead up to a number are set leftwards from where it starts: the estimate's error never
 * opens a gap before a number, only at the far left of the words.
 */
export function drawInline(f: Frame, x: number, y: number, pieces: readonly InlinePiece[], size: number, paint: Paint = 'ink'): number {
  const widths = pieces.map((p) => pieceWidth(p, size));
  const starts: number[] = [];
  pieces.forEach((_, i) => starts.push(i === 0 ? x : starts[i - 1] + widths[i - 1]));
  // Each word's right edge: the start of the next piece when a number comes before any gap in the words.
  const anchoredRight = pieces.map(() => false);
  for (let i = pieces.length - 2; i >= 0; i--) {
    if ('text' in pieces[i]) anchoredRight[i] = !('text' in pieces[i + 1]) || anchoredRight[i + 1];
  }
  pieces.forEach((p, i) => {
    const o = { size, paint: p.paint ?? paint, bold: p.bold };
    if ('text' in p) f.text(anchoredRight[i] ? starts[i] + widths[i] : starts[i], y, p.text, { ...o, align: anchoredRight[i] ? 'right' : 'left' });
    else if ('count' in p) f.count(starts[i], y, p.count, p.source, { ...o, mono: true, group: true });
    else f.number(starts[i], y, p.number, p.source, { ...o, decimals: p.decimals });
  });
  return starts.at(-1)! + widths.at(-1)!;
}

/**
 * Groups of pieces (each kept whole) set into lines no wider than maxWidth, a gap between
 * groups on a line. Returns the lines, each a list of groups.
 */
export function wrapGroups(groups: readonly InlinePiece[][], size: number, maxWidth: number, gap: number): InlinePiece[][][] {
  const lines: InlinePiece[][][] = [];
  let used = 0;
  for (const group of groups) {
    const w = inlineWidth(group, size);
    const line = lines.at(-1);
    if (line && used + gap + w <= maxWidth) {
      line.push(group);
      used += gap + w;
    } else {
      lines.push([group]);
      used = w;
    }
  }
  return lines;
}
