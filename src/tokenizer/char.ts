// A character-level tokenizer for the small models readers train on their own text: every
// distinct character of the training text is one token, numbered in code point order.

import type { Tokenizer } from './tokenizer.ts';
import { TokenizerError } from './errors.ts';
import { displayText } from './pieces.ts';

const byCodePoint = (a: string, b: string): number => a.codePointAt(0)! - b.codePointAt(0)!;

/** The sorted distinct characters of a text (Tiny Shakespeare gives 65), as one string. */
export function vocabularyFromText(text: string): string {
  return Array.from(new Set(Array.from(text))).sort(byCodePoint).join('');
}

const codePoint = (ch: string): string => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly vocabSize: number;
  readonly endOfText = null;
  /** The characters in id order: character i has id i. */
  readonly vocabulary: string;
  private readonly chars: string[];
  private readonly ids: Map<string, number>;

  /** Builds the tokenizer from its vocabulary string (as stored in animated-transformer.json). */
  constructor(vocabulary: string) {
    this.chars = Array.from(vocabulary);
    this.ids = new Map(this.chars.map((ch, i) => [ch, i]));
    if (this.chars.length === 0) throw new TokenizerError('a character vocabulary must not be empty');
    if (this.ids.size !== this.chars.length) {
      const seen = new Set<string>();
      const twice = this.chars.find((ch) => seen.has(ch) || !seen.add(ch))!;
      throw new TokenizerError(`the character vocabulary lists ${JSON.stringify(twice)} (${codePoint(twice)}) twice`);
    }
    this.vocabulary = vocabulary;
    this.vocabSize = this.chars.length;
  }

  /** The tokenizer for a training text: its sorted distinct characters. */
  static fromText(text: string): CharTokenizer {
    return new CharTokenizer(vocabularyFromText(text));
  }

  encode(text: string): number[] {
    const out: number[] = [];
    let position = 0;
    for (const ch of text) {
      const id = this.ids.get(ch);
      if (id === undefined) {
        throw new TokenizerError(
          `character ${JSON.stringify(ch)} (${codePoint(ch)}) at position ${position} is not in this model's ` +
            `vocabulary of ${this.vocabSize} characters; use only characters from its training text`,
        );
      }
      out.push(id);
      position++;
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    return ids.map((id) => this.character(id)).join('');
  }

  piece(id: number): string {
    return displayText(this.character(id));
  }

  private character(id: number): string {
    const ch = this.chars[id];
    if (!Number.isInteger(id) || ch === undefined) {
      throw new TokenizerError(`token id ${id} is outside this vocabulary (0 to ${this.vocabSize - 1})`);
    }
    return ch;
  }
}
