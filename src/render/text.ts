// Text sizes without a canvas: layout happens once per size, before any context exists
// (and numbersAt has none), so widths are estimated from character classes. The estimates
// err on the wide side for DejaVu Sans / Helvetica-like fonts; monospace is exact-ish.

import { phraseParts, phraseText, type Part, type Phrase } from './said.ts';

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
  return wrapPhrase(text, size, maxWidth).map(phraseText);
}

/**
 * Splits a phrase into lines no wider than maxWidth (by estimate), breaking at the spaces of its
 * plain words. A declared part is never split, and stays with the words it touches (“␣robots”:).
 */
export function wrapPhrase(phrase: Phrase, size: number, maxWidth: number): Part[][] {
  const words: Part[][] = [];
  let word: Part[] = [];
  const endWord = () => {
    if (word.length) words.push(word);
    word = [];
  };
  for (const part of phraseParts(phrase)) {
    if (typeof part !== 'string') {
      word.push(part);
      continue;
    }
    for (const piece of part.split(/(\s+)/)) {
      if (/^\s+$/.test(piece)) endWord();
      else if (piece) word.push(piece);
    }
  }
  endWord();
  const lines: Part[][] = [];
  let line: Part[] = [];
  for (const whole of words) {
    // Plain words wider than a line (long URLs, text without spaces) are cut into line-sized pieces.
    for (const w of whole.every((p) => typeof p === 'string') ? cut(whole.join(''), size, maxWidth) : [whole]) {
      const next = line.length ? [...line, ' ', ...w] : w;
      if (line.length && textWidth(phraseText(next), size) > maxWidth) {
        lines.push(line);
        line = w;
      } else {
        line = next;
      }
    }
  }
  if (line.length) lines.push(line);
  return lines.map(joinPlain);
}

/** A plain word cut into pieces no wider than maxWidth. */
function cut(word: string, size: number, maxWidth: number): Part[][] {
  const pieces: Part[][] = [];
  let piece = '';
  for (const ch of word) {
    if (piece && textWidth(piece + ch, size) > maxWidth) {
      pieces.push([piece]);
      piece = '';
    }
    piece += ch;
  }
  pieces.push([piece]);
  return pieces;
}

/** Neighbouring plain strings joined into one. */
function joinPlain(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (typeof p === 'string' && typeof last === 'string') out[out.length - 1] = last + p;
    else out.push(p);
  }
  return out;
}
