// animated-transformer.json, the small file beside a model's weights that says which tokenizer
// it reads with: {"tokenizer": "gpt2"} or {"tokenizer": "char", "vocabulary": "..."}. A folder
// without it is a plain Hugging Face GPT-2 folder, so it means GPT-2. Kept apart from the
// tokenizers themselves so the page's worker can read it before GPT-2's tables have loaded.

import { ModelError } from './config.ts';
import { CharTokenizer } from '../tokenizer/char.ts';
import { TokenizerError } from '../tokenizer/errors.ts';
import type { TokenizerDescription } from '../tokenizer/index.ts';

/** Name of the tokenizer description file inside a model folder. */
export const TOKENIZER_FILE = 'animated-transformer.json';

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
