// A training text for a character-level model, checked before any training starts: the bytes of a
// file decoded as UTF-8 (a binary file is refused), and the text's length and distinct characters
// held to what a run needs, each problem a TrainingTextError that says what is wrong and what to
// do. Also the text's character-frequency entropy, the loss of a model that knows only how often
// each character occurs: what a model must beat to have learned anything from context.

import { vocabularyFromText } from '../tokenizer/char.ts';
import { splitPoint, TRAIN_FRACTION } from './data.ts';

/** The most distinct characters a text may have: the output head scores every one at every position. */
export const MAX_CHARACTERS = 256;
/** The longest text accepted (in UTF-16 code units, as JavaScript counts length). */
export const MAX_TEXT_LENGTH = 20_000_000;

export class TrainingTextError extends Error {
  override name = 'TrainingTextError';
}

export interface TextSummary {
  /** Characters (code points) in the text. */
  characters: number;
  /** The distinct characters in code point order: the char tokenizer's vocabulary. */
  vocabulary: string;
  /** −Σ p(c) ln p(c) over the distinct characters c, in nats per character. */
  entropy: number;
}

/** Length, vocabulary and character-frequency entropy of a text (any text; nothing is checked). */
export function summarizeText(text: string): TextSummary {
  const counts = new Map<string, number>();
  let characters = 0;
  for (const ch of text) {
    counts.set(ch, (counts.get(ch) ?? 0) + 1);
    characters++;
  }
  let entropy = 0;
  for (const n of counts.values()) {
    const p = n / characters;
    entropy -= p * Math.log(p);
  }
  return { characters, vocabulary: vocabularyFromText(text), entropy };
}

/**
 * The shortest text that gives both splits (splitText: 90% training, 10% validation) one
 * sequence of blockSize + 1 characters, when every character is one UTF-16 code unit (a text
 * with emoji and the like needs a few more; checkTrainingText counts them exactly).
 */
export function minimumTextLength(blockSize: number): number {
  const need = blockSize + 1;
  // From just below a tenth's worth (floating point may round either way), step up until it fits.
  let length = Math.max(need, Math.floor(need / (1 - TRAIN_FRACTION)) - 2);
  while (length - Math.floor(length * TRAIN_FRACTION) < need) length++;
  return length;
}

const count = (n: number) => n.toLocaleString('en-US');

/** Checks a text for training with context `blockSize`; returns its summary or throws TrainingTextError. */
export function checkTrainingText(text: string, blockSize: number): TextSummary {
  if (text.trim() === '') throw new TrainingTextError('There is no text to learn from yet: paste some text or pick a text file.');
  if (text.length > MAX_TEXT_LENGTH) {
    throw new TrainingTextError(`The text has ${count(text.length)} characters; the page trains on at most ${count(MAX_TEXT_LENGTH)}. Use a part of it.`);
  }
  const minimum = minimumTextLength(blockSize);
  const summary = summarizeText(text);
  const cut = splitPoint(text);
  const charactersIn = (part: string) => {
    let n = 0;
    for (const _ of part) n++;
    return n;
  };
  if (summary.characters < minimum || Math.min(charactersIn(text.slice(0, cut)), charactersIn(text.slice(cut))) < blockSize + 1) {
    throw new TrainingTextError(
      `The text has ${count(summary.characters)} characters; training with a context of ${count(blockSize)} needs at least ${count(minimum)} ` +
        `(the last 10% is kept aside to check the model on, and must hold one window of ${count(blockSize + 1)} characters). ` +
        'Paste a longer text (a few hundred thousand characters learn well), or make the context shorter.',
    );
  }
  if (summary.vocabulary.length > MAX_CHARACTERS) {
    throw new TrainingTextError(
      `The text has ${count(summary.vocabulary.length)} distinct characters; a model trained here has at most ${count(MAX_CHARACTERS)}, one row of its ` +
        'embedding table and one output score each. Use a text in fewer characters, such as one language in one script.',
    );
  }
  return summary;
}

/**
 * A file's bytes as text. A file with NUL bytes is binary (text has none); other bytes must be
 * valid UTF-8 (plain ASCII is). `name` names the file in the TrainingTextError thrown.
 */
export function decodeTextFile(bytes: Uint8Array, name: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new TrainingTextError(`${name} is not a text file (byte ${count(nul)} is a NUL byte, which text never has). Pick a plain text file, such as a .txt in UTF-8.`);
  }
  try {
    // A leading byte-order mark is dropped, as editors do.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new TrainingTextError(`${name} is not UTF-8 text (it has bytes that are not UTF-8). Save it as UTF-8 in a text editor, or pick another file.`);
  }
}
