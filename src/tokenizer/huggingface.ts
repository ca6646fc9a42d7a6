// A model folder's own tokenizer (tokenizer.json, with tokenizer_config.json's special tokens),
// as Llama-family models ship it, run by @huggingface/tokenizers. Ids come from the library;
// only the display of pieces is ours, the same as GPT-2's: "␣robots", and a byte-fallback
// token such as <0xE2> as its byte.

import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type { Tokenizer } from './tokenizer.ts';
import { TokenizerError } from './errors.ts';
import { displayBytes, displayText } from './pieces.ts';

/** GPT-2's byte alphabet: the printable character each byte is written as in byte-level vocabularies. */
function byteOfCharacter(): Map<string, number> {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const chars = bytes.map((b) => String.fromCodePoint(b));
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(String.fromCodePoint(256 + n++));
    }
  }
  return new Map(chars.map((c, i) => [c, bytes[i]]));
}

const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;

export class HuggingFaceTokenizer implements Tokenizer {
  readonly kind = 'huggingface' as const;
  readonly vocabSize: number;
  readonly endOfText: number | null;
  private readonly hf: HfTokenizer;
  private readonly byteLevel: boolean;
  private readonly byteOf = byteOfCharacter();
  private readonly special: Set<number>;
  private readonly tokens: string[] = [];

  /** `where` names the folder in messages. */
  constructor(tokenizerJson: unknown, tokenizerConfig: Record<string, unknown>, where = 'tokenizer.json') {
    try {
      this.hf = new HfTokenizer(tokenizerJson as object, tokenizerConfig);
    } catch (e) {
      throw new TokenizerError(`${where}: cannot be read as a tokenizer (${(e as Error).message})`);
    }
    const json = tokenizerJson as { decoder?: { type?: string }; pre_tokenizer?: { type?: string } | null };
    const types = JSON.stringify([json.decoder, json.pre_tokenizer]);
    this.byteLevel = types.includes('"ByteLevel"');
    const vocab = this.hf.get_vocab(true);
    for (const [token, id] of vocab) this.tokens[id] = token;
    this.vocabSize = this.tokens.length;
    this.special = new Set(this.hf.get_added_tokens_decoder().keys());
    const eos = tokenText(tokenizerConfig.eos_token);
    this.endOfText = eos === null ? null : (this.hf.token_to_id(eos) ?? null);
  }

  encode(text: string): number[] {
    // Special tokens the template adds (a beginning-of-text token) come with the ids, as
    // Python's `tokenizers` gives them.
    return this.hf.encode(text).ids;
  }

  decode(ids: readonly number[]): string {
    return this.hf.decode([...ids], { skip_special_tokens: false });
  }

  piece(id: number): string {
    const token = this.tokens[id];
    if (token === undefined) throw new TokenizerError(`token id ${id} is outside this tokenizer's vocabulary (0 to ${this.vocabSize - 1})`);
    if (this.special.has(id)) return token;
    const byte = BYTE_TOKEN.exec(token);
    if (byte) return displayBytes(Uint8Array.of(parseInt(byte[1], 16)));
    if (this.byteLevel) return displayBytes(Uint8Array.from(Array.from(token, (c) => this.byteOf.get(c) ?? 0x3f)));
    return displayText(token.replaceAll('\u2581', ' '));
  }
}

/** tokenizer_config.json writes a special token as a string or as {"content": "..."}. */
function tokenText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return null;
}
