// The tokenizers: GPT-2's byte-pair encoding and the character one. Which one a model folder
// reads with is the model part's business (src/model/tokenizer-file.ts).

import type { Tokenizer } from './tokenizer.ts';
import { gpt2Tokenizer } from './gpt2.ts';
import { CharTokenizer } from './char.ts';
import { TokenizerError } from './errors.ts';

export type { Tokenizer } from './tokenizer.ts';
export { gpt2Tokenizer } from './gpt2.ts';
export { CharTokenizer, vocabularyFromText } from './char.ts';
export { TokenizerError } from './errors.ts';

/** Which tokenizer a model reads with, as a model folder's animated-transformer.json says. */
export type TokenizerDescription = { tokenizer: 'gpt2' } | { tokenizer: 'char'; vocabulary: string };

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
