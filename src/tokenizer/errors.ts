// The one error type for text a tokenizer cannot handle (a character outside a character
// vocabulary, an id outside the vocabulary), so callers can print it as a user error.

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}
