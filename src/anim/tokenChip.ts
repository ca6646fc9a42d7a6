// Token chips: a token's piece in a rounded green box, optionally with its id underneath.

import type { Source } from '../model/registry.ts';
import type { Frame } from '../render/frame.ts';
import { textWidth } from '../render/text.ts';
import { phraseText, type Part } from '../render/said.ts';
import { shortPiece } from './matrix.ts';
import { SPACE, TEXT } from './metrics.ts';

export function chipWidth(piece: Part, size: number): number {
  return textWidth(phraseText([shortPiece(piece, 14)]), size, true) + size * 1.0;
}

export function chipHeight(size: number): number {
  return size * SPACE.chip;
}

/** Draws a chip whose top-left is (x, y). The id, when given, is registered as a number. */
export function tokenChip(
  f: Frame,
  x: number,
  y: number,
  piece: Part,
  o: { size: number; id?: { value: number; source: Source }; highlight?: boolean },
): void {
  const w = chipWidth(piece, o.size);
  const h = chipHeight(o.size);
  f.rect(x, y, w, h, { fill: o.highlight ? 'highlight' : 'panel', stroke: o.highlight ? 'highlightStroke' : 'token', lineWidth: 1.5, radius: o.size * 0.4 });
  f.text(x + w / 2, y + h / 2, [shortPiece(piece, 14)], { size: o.size, mono: true, paint: 'token', align: 'center' });
  if (o.id) f.count(x + w / 2, y + h + o.size * 0.9, o.id.value, o.id.source, { size: o.size * TEXT.label, mono: true, paint: 'dim', align: 'center' });
}

/** Top-left corners for chips laid out left to right, wrapping within maxWidth, centred per line. */
export function flowChips(
  texts: readonly Part[],
  x: number,
  y: number,
  maxWidth: number,
  size: number,
  lineHeight: number,
): { pos: { x: number; y: number }[]; height: number } {
  const gap = size * 0.6;
  const lines: number[][] = [[]];
  let used = 0;
  texts.forEach((t, i) => {
    const w = chipWidth(t, size);
    const line = lines[lines.length - 1];
    if (line.length > 0 && used + gap + w > maxWidth) {
      lines.push([i]);
      used = w;
    } else {
      line.push(i);
      used += (line.length > 1 ? gap : 0) + w;
    }
  });
  const pos: { x: number; y: number }[] = [];
  lines.forEach((line, k) => {
    const width = line.reduce((a, i) => a + chipWidth(texts[i], size), 0) + gap * (line.length - 1);
    let cx = x + (maxWidth - width) / 2;
    for (const i of line) {
      pos[i] = { x: cx, y: y + k * lineHeight };
      cx += chipWidth(texts[i], size) + gap;
    }
  });
  return { pos, height: lines.length * lineHeight };
}
