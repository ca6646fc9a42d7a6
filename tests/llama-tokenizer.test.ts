// A model folder's own tokenizer.json through @huggingface/tokenizers gives exactly the ids
// Python's `tokenizers` gives (expected.json, from scripts/fixtures/llama_tokenizers.py),
// beginning-of-text token included, on a byte-level BPE and a ▁-marked BPE with byte fallback.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HuggingFaceTokenizer } from '../src/tokenizer/huggingface.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function load(folder: string): { tokenizer: HuggingFaceTokenizer; expected: { text: string; ids: number[]; tokens: string[] }[] } {
  const read = (file: string) => JSON.parse(readFileSync(join(FIXTURES, folder, file), 'utf8')) as unknown;
  return {
    tokenizer: new HuggingFaceTokenizer(read('tokenizer.json'), read('tokenizer_config.json') as Record<string, unknown>, folder),
    expected: read('expected.json') as { text: string; ids: number[]; tokens: string[] }[],
  };
}

describe.each(['tokenizer-bytelevel', 'tokenizer-metaspace'])('%s', (folder) => {
  const { tokenizer, expected } = load(folder);

  it.each(expected)('encodes $text exactly as Python does', ({ text, ids }) => {
    expect(tokenizer.encode(text)).toEqual(ids);
  });

  it('starts every encoding with the beginning-of-text token the template adds', () => {
    const bos = expected[0].ids[0];
    expect(tokenizer.piece(bos)).toMatch(/^<(s|\|begin_of_text\|)>$/);
    for (const e of expected) expect(e.ids[0]).toBe(bos);
  });

  it('decodes back to the text after the beginning-of-text token', () => {
    for (const { text, ids } of expected) expect(tokenizer.decode(ids.slice(1))).toBe(text);
  });

  it('names the end-of-text token from tokenizer_config.json', () => {
    expect(tokenizer.endOfText).not.toBeNull();
    expect(tokenizer.piece(tokenizer.endOfText!)).toMatch(/end_of_text|<\/s>/);
  });
});

describe('pieces display as GPT-2 pieces do', () => {
  it('byte-level: a space shows as ␣', () => {
    const { tokenizer } = load('tokenizer-bytelevel');
    const ids = tokenizer.encode(' the');
    expect(ids.slice(1).map((id) => tokenizer.piece(id)).join('')).toBe('␣the');
  });

  it('▁-marked: ▁ shows as ␣, a byte-fallback token as its byte, a newline as ↵', () => {
    const { tokenizer, expected } = load('tokenizer-metaspace');
    const storm = expected.find((e) => e.text.includes('🌊'))!;
    const pieces = storm.ids.map((id) => tokenizer.piece(id));
    expect(pieces).toContain('<0xF0>');
    expect(pieces.some((p) => p.startsWith('␣'))).toBe(true);
    const newline = expected.find((e) => e.text.includes('\n'))!;
    expect(newline.ids.map((id) => tokenizer.piece(id))).toContain('↵');
  });
});

describe('the command line reads a Llama folder with its own tokenizer', () => {
  it('loadTokenizerFor gives the folder tokenizer for Llama and GPT-2 for GPT-2 folders', async () => {
    const { mkdtempSync, copyFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { loadTokenizerFor } = await import('../src/cli/load.ts');
    const dir = mkdtempSync(join(tmpdir(), 'llama-tok-'));
    copyFileSync(join(FIXTURES, 'llama-gqa-tied', 'config.json'), join(dir, 'config.json'));
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(FIXTURES, 'tokenizer-metaspace', f), join(dir, f));
    const tokenizer = await loadTokenizerFor(dir);
    expect(tokenizer.kind).toBe('huggingface');
    const { expected } = load('tokenizer-metaspace');
    expect(tokenizer.encode(expected[0].text)).toEqual(expected[0].ids);
    expect((await loadTokenizerFor(join(FIXTURES, 'hf-tied'))).kind).toBe('gpt2');
  });
});
