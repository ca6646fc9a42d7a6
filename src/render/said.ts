// Numbers in drawn text, declared. A caption, a label or a brace is built from parts: plain
// words, and parts that say what they are (a dimension, an index, a value from the registry, a
// token's piece, ...). The frame records every text it draws with its parts, and the tests fail
// on any digit that no part declares (docs/ARCHITECTURE.md, "Numbers in text"):
//
//   say`C = ${d.dim('C')}`                  "C = 768": the model's width, which the tests read back
//   say`block ${d.index(layer, 'nLayer')}`  "block 2": an index, below n_layer
//
// Scenes make parts with declared(ex) (scenes/shared.ts); shapes that know no explanation (a
// matrix's column indices) use the constructors below.

import type { ConstantName, DimName, Source } from '../model/registry.ts';

/** What a part of a drawn text stands for, which the tests check against the explanation. */
export type Claim =
  /** A value in the registry (traced or derived): the number f.number draws, or one in a caption. */
  | { kind: 'value'; source: Source; value: number; scale?: number; sumOf?: number[]; complementOf?: number[] }
  /** A dimension of the model or the prompt (T, C, H, ...): the tests read it back from the model. */
  | { kind: 'dim'; dim: DimName }
  /** An index along a dimension, 0 ≤ value < that dimension: block 2, head 5, column 37. */
  | { kind: 'index'; value: number; of: DimName }
  /** How many things the screen shows or leaves out, 0 ≤ value ≤ a dimension. */
  | { kind: 'count'; value: number; atMost: DimName }
  /** A number fixed by the arithmetic rather than the model (a softmax row sums to 1), from the registry. */
  | { kind: 'constant'; name: ConstantName }
  /** A token's piece, which may hold digits ("␣2024"); `source` names where its id comes from. */
  | { kind: 'piece'; id: number; source?: Source }
  /** Part of the reader's prompt (with `second`, of the second prompt a comparison sets beside it). */
  | { kind: 'prompt'; second?: boolean }
  /** The model's name (a folder or a repository, which may hold digits). */
  | { kind: 'modelName' };

/** A run of text that says what it is. */
export interface Said {
  readonly text: string;
  readonly claim: Claim;
}

/** Plain words (which must hold no digits), or a declared part. */
export type Part = string | Said;

/** Text to draw: a plain string, or parts. */
export type Phrase = string | readonly Part[];

/** A declared part of a drawn text, where it starts in that text. */
export interface SaidAt extends Said {
  readonly start: number;
}

/** One text as drawn, with its declared parts: what the digit rule checks. */
export interface DrawnText {
  text: string;
  said: readonly SaidAt[];
  x: number;
  y: number;
  alpha: number;
}

/**
 * Builds a phrase from a template: the literal text is plain words, each ${…} a declared part
 * (or a phrase). Numbers cannot be interpolated: declare them (d.dim('C'), d.index(...)).
 */
export function say(strings: TemplateStringsArray, ...parts: (Part | readonly Part[])[]): Part[] {
  const out: Part[] = [];
  strings.forEach((literal, i) => {
    if (literal) out.push(literal);
    if (i < parts.length) {
      const part = parts[i];
      if (typeof part === 'string' || !Array.isArray(part)) out.push(part as Part);
      else out.push(...(part as readonly Part[]));
    }
  });
  return out;
}

/** A phrase's parts (a plain string is one part). */
export function phraseParts(phrase: Phrase): readonly Part[] {
  return typeof phrase === 'string' ? [phrase] : phrase;
}

/** The text a phrase draws. */
export function phraseText(phrase: Phrase): string {
  return typeof phrase === 'string' ? phrase : phrase.map((p) => (typeof p === 'string' ? p : p.text)).join('');
}

/** A phrase's text with where each declared part starts in it. */
export function phraseLayout(phrase: Phrase): { text: string; said: SaidAt[] } {
  if (typeof phrase === 'string') return { text: phrase, said: [] };
  let text = '';
  const said: SaidAt[] = [];
  for (const part of phrase) {
    if (typeof part === 'string') text += part;
    else {
      said.push({ ...part, start: text.length });
      text += part.text;
    }
  }
  return { text, said };
}

/** The same part with its text cut to at most `max` characters, ending in "…" when cut. */
export function shortened<P extends Part>(part: P, max: number): P {
  const text = typeof part === 'string' ? part : part.text;
  const chars = [...text];
  if (chars.length <= max) return part;
  const short = chars.slice(0, max - 1).join('') + '…';
  return (typeof part === 'string' ? short : { ...(part as Said), text: short }) as P;
}

/** An index along dimension `of`, drawn as its digits. */
export function indexPart(value: number, of: DimName): Said {
  return { text: String(value), claim: { kind: 'index', value, of } };
}
