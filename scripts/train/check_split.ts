// Checks that our data split matches nanoGPT's on Tiny Shakespeare (REFERENCE.md):
// 1,003,854 / 111,540 characters and 301,966 / 36,059 GPT-2 tokens.
// Run: npx tsx scripts/train/check_split.ts [path] (default /work/shared/data/tinyshakespeare.txt)

import { readFileSync } from 'node:fs';
import { CharTokenizer, gpt2Tokenizer } from '../../src/tokenizer/index.ts';
import { splitText } from '../../src/train/data.ts';

const path = process.argv[2] ?? '/work/shared/data/tinyshakespeare.txt';
const text = readFileSync(path, 'utf8');
const chars = splitText(text, (s) => CharTokenizer.fromText(text).encode(s));
const t0 = performance.now();
const gpt2 = splitText(text, (s) => gpt2Tokenizer().encode(s));
const seconds = (performance.now() - t0) / 1000;
const expected = { trainChars: 1003854, valChars: 111540, trainTokens: 301966, valTokens: 36059 };
const got = { trainChars: chars.train.length, valChars: chars.val.length, trainTokens: gpt2.train.length, valTokens: gpt2.val.length };
console.log(`characters: ${got.trainChars} train / ${got.valChars} val (expected ${expected.trainChars} / ${expected.valChars})`);
console.log(`GPT-2 tokens: ${got.trainTokens} train / ${got.valTokens} val (expected ${expected.trainTokens} / ${expected.valTokens}), tokenized in ${seconds.toFixed(1)} s`);
const ok = (Object.keys(expected) as (keyof typeof expected)[]).every((k) => expected[k] === got[k]);
console.log(ok ? 'OK: the split matches nanoGPT' : 'MISMATCH');
process.exitCode = ok ? 0 : 1;
