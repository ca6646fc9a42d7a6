// Labels with subscripts and superscripts: "Q_h", "K_h^T", "W_{q}", "A_1 = Q_1 K_1^T".
// Markup: _x or _{…} lowers, ^x or ^{…} raises, at a smaller size. Everything else is plain.
// A label may be a phrase (said.ts): its plain words are markup, its declared parts are drawn
// as they are (a token's "_" stays a "_") and keep their place in the drawn text.

import type { Frame, Align } from '../render/frame.ts';
import type { Paint } from '../render/theme.ts';
import { textWidth } from '../render/text.ts';
import type { Phrase, SaidAt } from '../render/said.ts';

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
function escapeMarkup(text: string): string {
  return text.replace(/[\\_^]/g, (c) => `\\${c}`);
}

/** Marks where a declared part starts and ends inside markup (Unicode noncharacters, never drawn). */
const OPEN = '\uFDD0';
const CLOSE = '\uFDD1';
const MARKS = /[\uFDD0\uFDD1]/g;

/** A phrase as markup, its declared parts escaped and marked; and the parts in order. */
function markupOf(phrase: Phrase): { markup: string; parts: { text: string; claim: SaidAt['claim'] }[] } {
  if (typeof phrase === 'string') return { markup: phrase, parts: [] };
  let markup = '';
  const parts: { text: string; claim: SaidAt['claim'] }[] = [];
  for (const part of phrase) {
    if (typeof part === 'string') markup += part;
    else {
      const text = part.text.replace(MARKS, '\uFFFD');
      // Right after "_" or "^", the whole part is the sub- or superscript ("Y_" + "12").
      const script = /(^|[^\\])[_^]$/.test(markup);
      markup += (script ? '{' : '') + OPEN + escapeMarkup(text) + CLOSE + (script ? '}' : '');
      parts.push({ text, claim: part.claim });
    }
  }
  return { markup, parts };
}

/** The segments of a phrase, without marks, and where its declared parts sit in their joined text. */
function layOut(phrase: Phrase): { segments: Segment[]; said: SaidAt[] } {
  const { markup, parts } = markupOf(phrase);
  const marked = parse(markup);
  if (parts.length === 0) return { segments: marked, said: [] };
  const said: SaidAt[] = [];
  let offset = 0;
  let k = 0;
  const segments = marked.map((seg) => {
    let text = '';
    for (const ch of seg.text) {
      if (ch === OPEN) said.push({ ...parts[k], start: offset + text.length });
      else if (ch === CLOSE) k++;
      else text += ch;
    }
    offset += text.length;
    return { text, shift: seg.shift };
  });
  return { segments: segments.filter((seg) => seg.text !== ''), said };
}

export interface LabelOptions {
  size: number;
  paint?: Paint;
  bold?: boolean;
  italic?: boolean;
  align?: Align;
}

/** Estimated width of a label in px. */
export function labelWidth(markup: Phrase, size: number): number {
  let w = 0;
  for (const s of layOut(markup).segments) w += textWidth(s.text, s.shift === 0 ? size : size * SMALL);
  return w;
}

/** Draws a label whose vertical middle is at y (the renderer measures the runs with the real font). */
export function label(f: Frame, x: number, y: number, markup: Phrase, o: LabelOptions): void {
  const { segments, said } = layOut(markup);
  const runs = segments.map((s) => ({
    text: s.text,
    size: s.shift === 0 ? o.size : o.size * SMALL,
    dy: s.shift === -1 ? o.size * 0.3 : s.shift === 1 ? -o.size * 0.38 : 0,
  }));
  f.rich(x, y, runs, { paint: o.paint, bold: o.bold, italic: o.italic, align: o.align }, said);
}
