// What the model needs from a tokenizer: GPT-2's byte-level BPE (gpt2.ts), single characters
// (char.ts) for the tiny models readers train on their own text, and a Llama-family folder's
// own tokenizer.json (huggingface.ts).

export interface Tokenizer {
  /**
   * "gpt2" or "char": stored beside a trained model so it reloads with the same ids;
   * "huggingface": a model folder's own tokenizer.json (huggingface.ts).
   */
  readonly kind: 'gpt2' | 'char' | 'huggingface';
  readonly vocabSize: number;
  /** Id of the end-of-text token, or null when the vocabulary has none. */
  readonly endOfText: number | null;
  /** Text to ids. `<|endoftext|>` in the text is a special token only when allowSpecial is true. */
  encode(text: string, options?: { allowSpecial?: boolean }): number[];
  /** Ids back to text (partial UTF-8 at the end decodes to U+FFFD, as usual). */
  decode(ids: readonly number[]): string;
  /** One token for display: "␣robots" for " robots", "<0xE2>" for a byte that is part of a character. */
  piece(id: number): string;
}
