// Labels with subscripts and superscripts: "Q_h", "K_h^T", "W_{q}", "A_1 = Q_1 K_1^T".
// Markup: _x or _{…} lowers, ^x or ^{…} raises, at a smaller size. Everything else is plain.

import type { Frame, Align } from '../render/frame.ts';
import type { Paint } from '../render/theme.ts';
import { textWidth } from '../render/text.ts';

interface Segment {
  text: string;
  /** 0 normal, −1 subscript, +1 superscript */
  shift: -1 | 0 | 1;
}

const cache = new Map<string, Segment[]>();

function parse(markup: string): Segment[] {
  const hit = cache.get(markup);
  if (hit) return hit;
  const out: Segment[] = [];
  let plain = '';
  const chars = [...markup];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '\\' && i + 1 < chars.length) {
      plain += chars[++i];
    } else if ((ch === '_' || ch === '^') && i + 1 < chars.length) {
      if (plain) out.push({ text: plain, shift: 0 });
      plain = '';
      let body = '';
      if (chars[i + 1] === '{') {
        let j = i + 2;
        while (j < chars.length && chars[j] !== '}') body += chars[j++];
        i = j;
      } else {
        body = chars[i + 1];
        i += 1;
      }
      out.push({ text: body, shift: ch === '_' ? -1 : 1 });
    } else {
      plain += ch;
    }
  }
  if (plain) out.push({ text: plain, shift: 0 });
  cache.set(markup, out);
  return out;
}

/** The markup as one line of plain text (for screen readers): "e^{−∞}" reads "e^−∞", "W_{q}" reads "Wq". */
export function plainText(markup: string): string {
  return parse(markup).map((s) => (s.shift === 1 ? `^${s.text}` : s.text)).join('');
}

const SMALL = 0.68;

/** Makes text safe to put inside markup: "_" and "^" in a token piece stay literal. */
export function escapeMarkup(text: string): string {
  return text.replace(/[\\_^]/g, (c) => `\\${c}`);
}

export interface LabelOptions {
  size: number;
  paint?: Paint;
  bold?: boolean;
  italic?: boolean;
  align?: Align;
}

/** Estimated width of a label in px. */
export function labelWidth(markup: string, size: number): number {
  let w = 0;
  for (const s of parse(markup)) w += textWidth(s.text, s.shift === 0 ? size : size * SMALL);
  return w;
}

/** Draws a label whose vertical middle is at y (the renderer measures the runs with the real font). */
export function label(f: Frame, x: number, y: number, markup: string, o: LabelOptions): void {
  const runs = parse(markup).map((s) => ({
    text: s.text,
    size: s.shift === 0 ? o.size : o.size * SMALL,
    dy: s.shift === -1 ? o.size * 0.3 : s.shift === 1 ? -o.size * 0.38 : 0,
  }));
  f.rich(x, y, runs, { paint: o.paint, bold: o.bold, italic: o.italic, align: o.align });
}
