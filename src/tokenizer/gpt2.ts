// GPT-2's byte-level BPE (tiktoken's "r50k_base"): the merge ranks and merging come from the
// gpt-tokenizer package; only the splitting of text into words is ours (see SPLIT below).

import { BytePairEncodingCore } from 'gpt-tokenizer/BytePairEncodingCore';
import r50kRanks from 'gpt-tokenizer/bpeRanks/r50k_base';
import type { Tokenizer } from './tokenizer.ts';
import { TokenizerError } from './errors.ts';
import { displayBytes } from './pieces.ts';

const GPT2_VOCAB_SIZE = 50257;
const END_OF_TEXT = '<|endoftext|>';
const END_OF_TEXT_ID = 50256;

// GPT-2 first cuts text into words, numbers, punctuation runs and whitespace runs, then
// merges bytes within each. tiktoken's pattern uses \s meaning Unicode's White_Space; in
// JavaScript \s also means something else (it lacks U+0085 and adds U+FEFF), which is why
// pure-JS ports split " \u0085" differently. Spelling White_Space out gives tiktoken's cuts.
const SPLIT =
  /'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

class Gpt2Tokenizer implements Tokenizer {
  readonly kind = 'gpt2' as const;
  readonly vocabSize = GPT2_VOCAB_SIZE;
  readonly endOfText = END_OF_TEXT_ID;
  private readonly core = new BytePairEncodingCore({
    bytePairRankDecoder: r50kRanks,
    specialTokensEncoder: new Map([[END_OF_TEXT, END_OF_TEXT_ID]]),
    tokenSplitRegex: SPLIT,
  });
  private readonly utf8 = new TextEncoder();
  /** Raw bytes of each token, filled on first use. */
  private readonly bytesCache: (Uint8Array | undefined)[] = [];

  encode(text: string, options: { allowSpecial?: boolean } = {}): number[] {
    if (!options.allowSpecial) return this.core.encodeNative(text);
    // We cut at <|endoftext|> ourselves: gpt-tokenizer 4.0.0 finds an allowed special token
    // only at the very start of the text (its search regex is sticky).
    const out: number[] = [];
    text.split(END_OF_TEXT).forEach((segment, i) => {
      if (i > 0) out.push(END_OF_TEXT_ID);
      for (const id of this.core.encodeNative(segment)) out.push(id);
    });
    return out;
  }

  decode(ids: readonly number[]): string {
    const parts = ids.map((id) => this.bytes(id));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    // Not streaming: a character cut off at the end becomes U+FFFD, as tiktoken's decode does.
    return new TextDecoder('utf-8').decode(all);
  }

  piece(id: number): string {
    if (id === END_OF_TEXT_ID) return END_OF_TEXT;
    return displayBytes(this.bytes(id));
  }

  /** The bytes a token stands for (`<|endoftext|>` stands for its own name, as in tiktoken). */
  bytes(id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= GPT2_VOCAB_SIZE) {
      throw new TokenizerError(`token id ${id} is outside GPT-2's vocabulary (0 to ${GPT2_VOCAB_SIZE - 1})`);
    }
    let b = this.bytesCache[id];
    if (b === undefined) {
      const raw = id === END_OF_TEXT_ID ? END_OF_TEXT : r50kRanks[id];
      b = typeof raw === 'string' ? this.utf8.encode(raw) : Uint8Array.from(raw);
      this.bytesCache[id] = b;
    }
    return b;
  }
}

let shared: Gpt2Tokenizer | undefined;

/** GPT-2's tokenizer (built once; building its tables takes a moment). */
export function gpt2Tokenizer(): Tokenizer & { bytes(id: number): Uint8Array } {
  shared ??= new Gpt2Tokenizer();
  return shared;
}
