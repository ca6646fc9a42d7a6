// GPT-2's tokenizer against real tiktoken's ids, display pieces, the character tokenizer,
// and the animated-transformer.json description file.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ModelError } from '../src/model/config.ts';
import {
  CharTokenizer,
  TokenizerError,
  describeTokenizer,
  gpt2Tokenizer,
  loadTokenizer,
  vocabularyFromText,
} from '../src/tokenizer/index.ts';
import { parseTokenizerDescription, tokenizerDescriptionText } from '../src/model/tokenizer-file.ts';

interface Case {
  text: string;
  ids: number[];
}
// Made by scripts/fixtures/tiktoken_r50k.py with real tiktoken.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/tiktoken-r50k.json', import.meta.url), 'utf8')) as {
  ordinary: Case[];
  allowSpecial: Case[];
};

const gpt2 = gpt2Tokenizer();

describe('GPT-2 tokenizer ids', () => {
  it('gives the ids REFERENCE.md lists', () => {
    const vectors: [string, number[]][] = [
      ['The robots will bring', [464, 14193, 481, 2222]],
      ['hello world', [31373, 995]],
      ['', []],
      ['0', [15]],
      ['00', [405]],
      ['000', [830]],
      ['0000', [2388]],
      ['00000', [20483]],
      ['000000', [10535]],
      ['0000000', [24598]],
      ['00000000', [8269]],
      ['000000000', [10535, 830]],
      ['0000000000', [8269, 405]],
      ['0000000000000000', [25645]],
      ['00000000000000000', [8269, 10535, 830]],
      [' \u00850', [220, 126, 227, 15]],
    ];
    for (const [text, ids] of vectors) expect(gpt2.encode(text), JSON.stringify(text)).toEqual(ids);
    expect(gpt2.encode('hello <|endoftext|>', { allowSpecial: true })).toEqual([31373, 220, 50256]);
    expect(gpt2.endOfText).toBe(50256);
    expect(gpt2.vocabSize).toBe(50257);
  });

  it(`matches tiktoken on all ${fixture.ordinary.length} fixture strings (awkward whitespace included)`, () => {
    for (const { text, ids } of fixture.ordinary) expect(gpt2.encode(text), JSON.stringify(text)).toEqual(ids);
    for (const { text, ids } of fixture.allowSpecial) {
      expect(gpt2.encode(text, { allowSpecial: true }), JSON.stringify(text)).toEqual(ids);
    }
  });

  it('treats <|endoftext|> as plain text unless special tokens are allowed', () => {
    expect(gpt2.encode('a<|endoftext|>')).not.toContain(50256);
    expect(gpt2.encode('a<|endoftext|>b<|endoftext|>', { allowSpecial: true }).filter((id) => id === 50256)).toHaveLength(2);
  });

  it('decodes what it encodes, for any Unicode text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        expect(gpt2.decode(gpt2.encode(s))).toBe(s);
        expect(gpt2.decode(gpt2.encode(s, { allowSpecial: true }))).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  it('token bytes concatenate to the text’s UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const bytes = gpt2.encode(s).flatMap((id) => Array.from(gpt2.bytes(id)));
        expect(bytes).toEqual(Array.from(new TextEncoder().encode(s)));
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a cut-off character to U+FFFD and rejects ids outside the vocabulary', () => {
    expect(gpt2.decode([447])).toBe('\ufffd'); // 447 is the bytes E2 80, the start of "—" and friends
    expect(() => gpt2.decode([50257])).toThrow(TokenizerError);
    expect(() => gpt2.piece(-1)).toThrow(/outside GPT-2's vocabulary/);
  });
});

describe('GPT-2 token pieces for display', () => {
  it('shows spaces, line breaks and partial characters visibly', () => {
    expect(gpt2.encode(' robots').map((id) => gpt2.piece(id))).toEqual(['\u2423robots']);
    expect(gpt2.piece(198)).toBe('\u21b5'); // "\n"
    expect(gpt2.piece(447)).toBe('<0xE2><0x80>');
    expect(gpt2.piece(50256)).toBe('<|endoftext|>');
    const emoji = gpt2.encode('\u{1F600}').map((id) => gpt2.piece(id));
    expect(emoji.join('')).toBe('<0xF0><0x9F><0x98><0x80>');
    expect(gpt2.piece(gpt2.encode(' caf\u00e9')[0])).toMatch(/^\u2423caf/);
  });

  it('never shows a replacement character for partial bytes, or a raw control character, for every one of the 50,257 tokens', () => {
    for (let id = 0; id < gpt2.vocabSize; id++) {
      const piece = gpt2.piece(id);
      expect(piece.length).toBeGreaterThan(0);
      if (/\p{Cc}/u.test(piece)) expect.fail(`token ${id} shows as ${JSON.stringify(piece)}`);
      // U+FFFD may appear only where the token really holds that character (EF BF BD).
      if (piece.includes('\ufffd') && !Buffer.from(gpt2.bytes(id)).toString('hex').includes('efbfbd')) {
        expect.fail(`token ${id} shows as ${JSON.stringify(piece)}`);
      }
    }
  });
});

describe('character tokenizer', () => {
  it('numbers the distinct characters in code point order', () => {
    expect(vocabularyFromText('hello world')).toBe(' dehlorw');
    // U+FFFD sorts before U+1F600 by code point, though not by UTF-16 unit.
    expect(vocabularyFromText('\u{1F600}\ufffdb')).toBe('b\ufffd\u{1F600}');
    const t = CharTokenizer.fromText('First Citizen:\nBefore we proceed');
    expect(t.kind).toBe('char');
    expect(t.endOfText).toBeNull();
    expect(t.vocabSize).toBe(Array.from(new Set('First Citizen:\nBefore we proceed')).length);
    const ids = t.encode('we proceed\n');
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < t.vocabSize)).toBe(true);
    expect(t.decode(ids)).toBe('we proceed\n');
    expect(t.encode('\n ')).toEqual([0, 1]); // the two smallest code points
    expect(t.piece(t.encode(' ')[0])).toBe('\u2423');
    expect(t.piece(t.encode('\n')[0])).toBe('\u21b5');
  });

  it('round-trips any text made of its vocabulary, astral characters included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 50 }), (s) => {
        const t = CharTokenizer.fromText(s);
        expect(t.decode(t.encode(s))).toBe(s);
        expect(new CharTokenizer(t.vocabulary).encode(s)).toEqual(t.encode(s));
      }),
    );
  });

  it('says which character is outside its vocabulary, and rejects bad vocabularies', () => {
    const t = new CharTokenizer('abc ');
    expect(() => t.encode('a cab!')).toThrow(TokenizerError);
    expect(() => t.encode('a cab!')).toThrow(/"!" \(U\+0021\) at position 5 is not in this model's vocabulary of 4/);
    expect(() => t.decode([4])).toThrow(/outside this vocabulary \(0 to 3\)/);
    expect(() => new CharTokenizer('')).toThrow(/must not be empty/);
    expect(() => new CharTokenizer('abca')).toThrow(/"a" \(U\+0061\) twice/);
  });
});

describe('tokenizer description file', () => {
  it('means GPT-2 when absent, and round-trips both kinds', () => {
    expect(parseTokenizerDescription(null)).toEqual({ tokenizer: 'gpt2' });
    const char = new CharTokenizer('\n !abc');
    for (const t of [gpt2, char]) {
      const text = tokenizerDescriptionText(describeTokenizer(t));
      const back = loadTokenizer(parseTokenizerDescription(text));
      expect(back.kind).toBe(t.kind);
      expect(back.vocabSize).toBe(t.vocabSize);
      expect(back.encode('abc !\n'.slice(0, 5))).toEqual(t.encode('abc !'));
    }
    expect(JSON.parse(tokenizerDescriptionText(describeTokenizer(char)))).toEqual({ tokenizer: 'char', vocabulary: '\n !abc' });
    // Extra keys are allowed so the file can grow.
    expect(parseTokenizerDescription('{"tokenizer":"gpt2","trainedOn":"x.txt"}')).toEqual({ tokenizer: 'gpt2' });
  });

  it('rejects bad files with ModelError naming the file', () => {
    const bad = ['{', '[]', '{"tokenizer":"bpe"}', '{"tokenizer":"char"}', '{"tokenizer":"char","vocabulary":"aa"}'];
    for (const text of bad) {
      expect(() => parseTokenizerDescription(text, 'm/animated-transformer.json')).toThrow(ModelError);
      expect(() => parseTokenizerDescription(text, 'm/animated-transformer.json')).toThrow(/^m\/animated-transformer\.json: /);
    }
  });
});
