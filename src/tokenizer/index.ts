// Which tokenizer a model uses, and the small file that records it beside the weights:
// animated-transformer.json, {"tokenizer": "gpt2"} or {"tokenizer": "char", "vocabulary": "..."}.
// A folder without that file is a plain Hugging Face GPT-2 folder, so it means GPT-2.

import { ModelError } from '../model/config.ts';
import type { Tokenizer } from './tokenizer.ts';
import { gpt2Tokenizer } from './gpt2.ts';
import { CharTokenizer } from './char.ts';
import { TokenizerError } from './errors.ts';

export type { Tokenizer } from './tokenizer.ts';
export { gpt2Tokenizer, END_OF_TEXT, END_OF_TEXT_ID, GPT2_VOCAB_SIZE } from './gpt2.ts';
export { CharTokenizer, vocabularyFromText } from './char.ts';
export { TokenizerError } from './errors.ts';
export { displayBytes, displayText } from './pieces.ts';

/** Name of the tokenizer description file inside a model folder. */
export const TOKENIZER_FILE = 'animated-transformer.json';

export type TokenizerDescription = { tokenizer: 'gpt2' } | { tokenizer: 'char'; vocabulary: string };

/**
 * Reads animated-transformer.json's text; null (no such file) means GPT-2. Other keys in the
 * file are ignored, so later versions may add to it. Throws ModelError naming `where`.
 */
export function parseTokenizerDescription(jsonText: string | null, where = TOKENIZER_FILE): TokenizerDescription {
  if (jsonText === null) return { tokenizer: 'gpt2' };
  let json: unknown;
  try {
    json = JSON.parse(jsonText);
  } catch (e) {
    throw new ModelError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  const usage = 'expected {"tokenizer": "gpt2"} or {"tokenizer": "char", "vocabulary": "..."}';
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelError(`${where}: ${usage}`);
  const j = json as Record<string, unknown>;
  if (j.tokenizer === 'gpt2') return { tokenizer: 'gpt2' };
  if (j.tokenizer === 'char') {
    if (typeof j.vocabulary !== 'string') throw new ModelError(`${where}: "vocabulary" must be a string; ${usage}`);
    try {
      new CharTokenizer(j.vocabulary); // checks it is non-empty and has no repeats
    } catch (e) {
      if (e instanceof TokenizerError) throw new ModelError(`${where}: ${e.message}`);
      throw e;
    }
    return { tokenizer: 'char', vocabulary: j.vocabulary };
  }
  throw new ModelError(`${where}: unknown tokenizer ${JSON.stringify(j.tokenizer)}; ${usage}`);
}

/** The file's text for a description (written by the trainer and by saveModelDir). */
export function tokenizerDescriptionText(description: TokenizerDescription): string {
  return JSON.stringify(description, null, 2) + '\n';
}

/** The description that reloads this tokenizer with the same ids. */
export function describeTokenizer(tokenizer: Tokenizer): TokenizerDescription {
  if (tokenizer.kind === 'gpt2') return { tokenizer: 'gpt2' };
  if (tokenizer instanceof CharTokenizer) return { tokenizer: 'char', vocabulary: tokenizer.vocabulary };
  throw new TokenizerError('a character tokenizer must be a CharTokenizer to be described');
}

/** The tokenizer a description names. */
export function loadTokenizer(description: TokenizerDescription): Tokenizer {
  return description.tokenizer === 'gpt2' ? gpt2Tokenizer() : new CharTokenizer(description.vocabulary);
}
