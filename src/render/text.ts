// Text sizes without a canvas: layout happens once per size, before any context exists
// (and numbersAt has none), so widths are estimated from character classes. The estimates
// err on the wide side for DejaVu Sans / Helvetica-like fonts; monospace is exact-ish.

export const SANS = '"DejaVu Sans", "Helvetica Neue", Arial, sans-serif';
export const MONO = '"DejaVu Sans Mono", Menlo, Consolas, monospace';

/** Approximate advance of one character in ems for a sans-serif font. */
function sansEm(ch: string): number {
  if (ch === ' ') return 0.32;
  if ('ilj.,:;\'|!ʼ'.includes(ch)) return 0.3;
  if ('()[]{}I'.includes(ch)) return 0.4;
  if ('mwMW@%'.includes(ch)) return 0.9;
  if (ch >= '0' && ch <= '9') return 0.64;
  if (ch >= 'A' && ch <= 'Z') return 0.74;
  if (ch >= 'a' && ch <= 'z') return 0.6;
  if (ch.codePointAt(0)! > 0x2e80) return 1.0; // CJK and emoji are about square
  return 0.65;
}

/** Estimated width in px of text at a font size, sans or mono. */
export function textWidth(text: string, size: number, mono = false): number {
  let em = 0;
  for (const ch of text) em += mono ? (ch.codePointAt(0)! > 0x2e80 ? 1.2 : 0.61) : sansEm(ch);
  return em * size;
}

/** Splits text into lines no wider than maxWidth (by estimate), breaking at spaces. */
export function wrapText(text: string, size: number, maxWidth: number): string[] {
  // Words wider than a line (long URLs, text without spaces) are cut into line-sized pieces.
  const words: string[] = [];
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    let piece = '';
    for (const ch of word) {
      if (piece && textWidth(piece + ch, size) > maxWidth) {
        words.push(piece);
        piece = '';
      }
      piece += ch;
    }
    words.push(piece);
  }
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, size) > maxWidth) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines;
}
