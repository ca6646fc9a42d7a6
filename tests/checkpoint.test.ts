// Model folders: Hugging Face's own saves load and compute transformers' logits; save → load
// round trips; every kind of bad folder gets a ModelError naming the file and the problem.

import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError, configToHuggingFace, type GPTConfig } from '../src/model/config.ts';
import { namedParameters, parameterShapes, SharedRowTable, weightsFromNamed, type GPTWeights } from '../src/model/weights.ts';
import { writeSafetensors, parseSafetensors, tensorFloat32, tensorInt32, type TensorToWrite } from '../src/model/safetensors.ts';
import { floatToHalfBits, HalfArray, halfBitsToFloat } from '../src/kernels/half.ts';
import { compactCheckpoint, modelFromFiles } from '../src/model/checkpoint.ts';
import { checkWeightsFit, minimumWeightBytes } from '../src/model/memory.ts';
import { ROW_OF, ROW_TOKENS, SHARED_ROWS } from '../src/model/checkpoint-read.ts';
import { loadModelDir, loadTokenizerFromDir, saveModelDir } from '../src/model/checkpoint-node.ts';
import { GPT } from '../src/model/gpt.ts';
import { CharTokenizer, gpt2Tokenizer } from '../src/tokenizer/index.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const scratch = await mkdtemp(join(tmpdir(), 'checkpoint-test-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));
let folders = 0;
const newFolder = async (): Promise<string> => {
  const dir = join(scratch, `m${folders++}`);
  await mkdir(dir);
  return dir;
};

const CONFIG: GPTConfig = {
  nLayer: 2, nHead: 2, nEmbd: 8, vocabSize: 11, nPositions: 6, layerNormEpsilon: 1e-5, tieWordEmbeddings: false,
};

/** Deterministic, varied weights for a config. */
function makeWeights(config: GPTConfig, seed = 1): GPTWeights {
  let s = seed;
  const next = (): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  };
  const arrays = new Map(parameterShapes(config).map(({ name, shape }) => [name, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next)]));
  return weightsFromNamed(config, (name) => arrays.get(name)!);
}

/** A safetensors file holding these weights under (possibly changed) names, plus extra tensors. */
function fileOf(config: GPTConfig, weights: GPTWeights, rename: (name: string) => string | null = (n) => n, extra: TensorToWrite[] = [], dtype: 'F32' | 'F16' = 'F32'): Uint8Array {
  const tensors = namedParameters(config, weights).flatMap((t) => {
    const name = rename(t.name);
    return name === null ? [] : [{ ...t, name }];
  });
  return writeSafetensors([...tensors, ...extra], { dtype });
}

const configText = (config: GPTConfig, patch: Record<string, unknown> = {}): string => JSON.stringify({ ...configToHuggingFace(config), ...patch });

async function folderWith(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await newFolder();
  for (const [name, data] of Object.entries(files)) await writeFile(join(dir, name), data);
  return dir;
}

const expectSameWeights = (config: GPTConfig, a: GPTWeights, b: GPTWeights): void => {
  const bs = namedParameters(config, b);
  namedParameters(config, a).forEach((t, i) => expect(bs[i].data, t.name).toEqual(t.data));
};

describe('folders saved by Hugging Face transformers', () => {
  for (const [folder, expected] of [
    ['hf-tied', { nLayer: 2, tieWordEmbeddings: true }],
    ['hf-untied-bf16', { nLayer: 2, tieWordEmbeddings: false }],
    ['hf-base-6layer', { nLayer: 6, tieWordEmbeddings: true }],
    ['hf-tied-sharded', { nLayer: 2, tieWordEmbeddings: true }],
  ] as const) {
    it(`${folder} loads unchanged and gives transformers' logits`, async () => {
      const model = await loadModelDir(join(FIXTURES, folder));
      expect(model.config).toMatchObject({ ...expected, nHead: 2, nEmbd: 8, vocabSize: 97, nPositions: 16 });
      expect(model.weights.lm_head === null).toBe(expected.tieWordEmbeddings);
      expect(model.tokenizer.kind).toBe('gpt2'); // no animated-transformer.json: GPT-2
      const reference = JSON.parse(await readFile(join(FIXTURES, folder, 'hf-logits.json'), 'utf8')) as { ids: number[]; logits: number[] };
      const { logits } = new GPT(model.config, model.weights).forward(reference.ids);
      expect(logits.length).toBe(reference.logits.length);
      let worst = 0;
      logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - reference.logits[i]))));
      expect(worst).toBeLessThan(1e-4);
    });
  }
});

describe('names and layouts', () => {
  const config = { ...CONFIG, tieWordEmbeddings: true };
  const weights = makeWeights(config);
  const buffers: TensorToWrite[] = [
    { name: 'h.0.attn.bias', shape: [1, 1, 6, 6], data: new Float32Array(36).fill(1) },
    { name: 'transformer.h.1.attn.masked_bias', shape: [], data: new Float32Array([-1e4]) },
  ];

  it('accepts names with and without "transformer.", ignoring attention buffers', () => {
    const prefixed = fileOf(config, weights, (n) => `transformer.${n}`, buffers);
    expectSameWeights(config, weights, modelFromFiles(configText(config), prefixed, 'm').weights);
    const mixed = fileOf(config, weights, (n) => (n.startsWith('h.1') ? `transformer.${n}` : n), buffers);
    expectSameWeights(config, weights, modelFromFiles(configText(config), mixed, 'm').weights);
  });

  it('accepts a tied model that also stores its head, if the head is the embedding', () => {
    const head = { name: 'lm_head.weight', shape: [config.vocabSize, config.nEmbd], data: weights.wte };
    const loaded = modelFromFiles(configText(config), fileOf(config, weights, undefined, [head]), 'm');
    expect(loaded.weights.lm_head).toBeNull();
    const other = { ...head, data: weights.wte.map((v) => v + 1) };
    expect(() => modelFromFiles(configText(config), fileOf(config, weights, undefined, [other]), 'm')).toThrow(
      /m\/model\.safetensors: "lm_head\.weight" differs from the token embedding/,
    );
  });

  it('reads F16 weights as their half-precision values', () => {
    const loaded = modelFromFiles(configText(config), fileOf(config, weights, undefined, [], 'F16'), 'm');
    const half = (v: number): number => halfBitsToFloat(floatToHalfBits(v));
    expect(loaded.weights.h[1].mlp.c_fc.weight).toEqual(weights.h[1].mlp.c_fc.weight.map(half));
  });

  it('can keep an F16 embedding table as the file\'s halves, still checked, and leaves other dtypes as floats', () => {
    const f16 = fileOf(config, weights, undefined, [], 'F16');
    const floats = modelFromFiles(configText(config), f16, 'm');
    const kept = modelFromFiles(configText(config), f16, 'm', { compactEmbeddings: true });
    expect(kept.weights.wte).toBeInstanceOf(HalfArray);
    expect((kept.weights.wte as HalfArray).toFloat32()).toEqual(floats.weights.wte);
    expect(kept.weights.h[1].attn.c_attn.weight).toEqual(floats.weights.h[1].attn.c_attn.weight);
    // Stored as floats, the table stays floats.
    expect(modelFromFiles(configText(config), fileOf(config, weights), 'm', { compactEmbeddings: true }).weights.wte).toBeInstanceOf(Float32Array);
    // A tied head stored beside it is compared with the halves' values.
    const head = { name: 'lm_head.weight', shape: [config.vocabSize, config.nEmbd], data: weights.wte };
    expect(modelFromFiles(configText(config), fileOf(config, weights, undefined, [head], 'F16'), 'm', { compactEmbeddings: true }).weights.lm_head).toBeNull();
    const broken = makeWeights(config);
    broken.wte[7] = Infinity;
    expect(() => modelFromFiles(configText(config), fileOf(config, broken, undefined, [], 'F16'), 'm', { compactEmbeddings: true })).toThrow(
      /tensor "wte\.weight" holds Infinity at index 7/,
    );
  });
});

describe('the shared-row layout (compactCheckpoint)', () => {
  const config: GPTConfig = { ...CONFIG, tieWordEmbeddings: true };
  // Tokens 3, 5, 6 and 9 share row 3's values, as the tokens our model never saw in training do.
  const weights = makeWeights(config);
  const C = config.nEmbd;
  for (const v of [5, 6, 9]) weights.wte.copyWithin(v * C, 3 * C, 4 * C);

  it('stores each distinct row once, and loads back the same weights (as floats, or kept compact)', () => {
    for (const dtype of ['F32', 'F16'] as const) {
      const full = fileOf(config, weights, undefined, [], dtype);
      const compact = compactCheckpoint(full, 'm');
      const file = parseSafetensors(compact);
      expect(file.entries.get(SHARED_ROWS)).toMatchObject({ dtype, shape: [config.vocabSize - 3, C] });
      // The tokens with a row of their own; 3, 5, 6 and 9 share the last.
      expect(Array.from(tensorInt32(file, ROW_TOKENS))).toEqual([0, 1, 2, 4, 7, 8, 10]);
      expect(file.entries.has(ROW_OF)).toBe(false);
      // A file already compact comes back as it is (the built-in model is stored this way).
      expect(compactCheckpoint(compact, 'm')).toBe(compact);
      const want = modelFromFiles(configText(config), full, 'm');
      const got = modelFromFiles(configText(config), compact, 'm');
      expect(got.weights.wte).toBeInstanceOf(Float32Array);
      expectSameWeights(config, want.weights, got.weights);
      const kept = modelFromFiles(configText(config), compact, 'm', { compactEmbeddings: true }).weights.wte as SharedRowTable;
      expect(kept).toBeInstanceOf(SharedRowTable);
      expect(kept.rows).toBeInstanceOf(dtype === 'F16' ? HalfArray : Float32Array);
      expect(kept.distinctRows).toBe(config.vocabSize - 3);
      expect(Array.from(kept.rowOf)).toEqual([0, 1, 2, 7, 3, 7, 7, 4, 5, 7, 6]);
      expect(kept.expand()).toEqual(want.weights.wte);
    }
  });

  it('gives a GPT the same trace, bit for bit, whether its table is shared-row or full', () => {
    const full = fileOf(config, weights, undefined, [], 'F16');
    const want = modelFromFiles(configText(config), full, 'm');
    const got = modelFromFiles(configText(config), compactCheckpoint(full, 'm'), 'm', { compactEmbeddings: true });
    const ids = [3, 5, 0, 9, 10, 6];
    const a = new GPT(want.config, want.weights).trace(ids);
    const b = new GPT(got.config, got.weights).trace(ids);
    for (const [name, t] of a) expect(Array.from(b.get(name)!.data), name).toEqual(Array.from(t.data));
  });

  /** The compact file with its embedding tensors (the rows and what says whose they are) replaced by `table`. */
  const withTable = (...table: TensorToWrite[]): Uint8Array => {
    const compact = parseSafetensors(compactCheckpoint(fileOf(config, weights), 'm'));
    const others = [...compact.entries.keys()].filter((name) => name !== SHARED_ROWS && name !== ROW_TOKENS);
    return writeSafetensors([...table, ...others.map((name) => ({ name, shape: compact.entries.get(name)!.shape, data: tensorFloat32(compact, name) }))]);
  };
  const load = (bytes: Uint8Array) => () => modelFromFiles(configText(config), bytes, 'm', { compactEmbeddings: true });
  const rows = (count: number) => ({ name: SHARED_ROWS, shape: [count, C], data: Float32Array.from({ length: count * C }, (_, i) => i) });
  const tokens = (values: number[]) => ({ name: ROW_TOKENS, shape: [values.length], data: Int32Array.from(values) });
  const rowOf = (values: number[]) => ({ name: ROW_OF, shape: [values.length], data: Int32Array.from(values) });

  it('refuses row tokens that do not match the rows, are out of range, out of order or not I32, and rows that are not finite', () => {
    expect(load(withTable(rows(3), tokens([1, 4, 7])))).toThrow(/tensor "wte\.row_tokens" names 3 tokens, but "wte\.rows" has 3 rows: it must name one fewer/);
    expect(load(withTable(rows(3), tokens([1, 11])))).toThrow(/tensor "wte\.row_tokens" names token 11 for row 1, but config\.json has vocab_size=11/);
    expect(load(withTable(rows(3), tokens([4, 4])))).toThrow(/tensor "wte\.row_tokens" is not in ascending order at row 1 \(4, then 4\)/);
    expect(load(withTable(rows(3), { name: ROW_TOKENS, shape: [2], data: new Float32Array([1, 2]) }))).toThrow(/tensor "wte\.row_tokens" is stored as F32; it must be I32/);
    expect(load(withTable(rows(3), tokens([1, 2]), rowOf(Array(11).fill(0))))).toThrow(/holds "wte\.rows" and both of "wte\.row_tokens" and "wte\.row_of"/);
    expect(load(withTable(rows(3)))).toThrow(/holds "wte\.rows" and neither of "wte\.row_tokens" and "wte\.row_of"/);
    const infinite = { ...rows(2), data: new Float32Array(2 * C).map((_, i) => (i === 9 ? Infinity : 0)) };
    expect(load(withTable(infinite, tokens([5])))).toThrow(/tensor "wte\.rows" holds Infinity at index 9/);
    expect(load(withTable({ ...rows(1), shape: [1, 2 * C], data: new Float32Array(2 * C) }, tokens([])))).toThrow(/tensor "wte\.rows" has shape \[1, 16\], expected \[rows, 8\]/);
    // A single row that every token shares is a valid (if useless) table.
    const one = load(withTable(rows(1), tokens([])))().weights.wte as SharedRowTable;
    expect(Array.from(one.rowOf)).toEqual(Array(11).fill(0));
  });

  it('still reads the earlier form, a row index for every token ("wte.row_of"), and refuses a bad one', () => {
    const table = load(withTable(rows(3), rowOf([2, 0, 2, 1, 2, 2, 2, 2, 2, 2, 0])))().weights.wte as SharedRowTable;
    expect(Array.from(table.rowOf)).toEqual([2, 0, 2, 1, 2, 2, 2, 2, 2, 2, 0]);
    expect(Array.from(table.expand().subarray(3 * C, 4 * C))).toEqual(Array.from(rows(3).data.subarray(C, 2 * C)));
    // The same table in today's form loads the same numbers.
    const now = load(withTable({ ...rows(4), data: Float32Array.from([...rows(3).data.subarray(0, 2 * C), ...rows(3).data.subarray(0, C), ...rows(3).data.subarray(2 * C)]) }, tokens([1, 3, 10])))().weights.wte as SharedRowTable;
    expect(now.expand()).toEqual(table.expand());
    // compactCheckpoint turns the earlier form into today's, with the same numbers.
    const converted = compactCheckpoint(withTable(rows(3), rowOf([2, 0, 2, 1, 2, 2, 2, 2, 2, 2, 0])), 'm');
    expect(Array.from(tensorInt32(parseSafetensors(converted), ROW_TOKENS))).toEqual([1, 3, 10]);
    expect((load(converted)().weights.wte as SharedRowTable).expand()).toEqual(table.expand());
    expect(load(withTable(rows(2), rowOf([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2])))).toThrow(/tensor "wte\.row_of" gives token 10 row 2, but "wte\.rows" has rows 0…1/);
    expect(load(withTable(rows(2), rowOf([0, 1, 0])))).toThrow(/tensor "wte\.row_of" has shape \[3\], expected \[11\]/);
    expect(load(withTable(rows(2), { name: ROW_OF, shape: [11], data: new Float32Array(11) }))).toThrow(/tensor "wte\.row_of" is stored as F32; it must be I32/);
  });

  it('compacts only a file whose tensors share one float dtype', () => {
    const mixed = fileOf(config, weights, undefined, [{ name: 'extra', shape: [1], data: new Int32Array(1) }]);
    expect(() => compactCheckpoint(mixed, 'm')).toThrow(/m: only a file whose tensors are all F32 or all F16 can be compacted; it holds F32, I32/);
  });
});

describe('saving and loading', () => {
  it('round-trips F32 weights exactly, with the tokenizer, leaving only the three files', async () => {
    const dir = join(scratch, 'saved', 'nested');
    const weights = makeWeights(CONFIG);
    const tokenizer = new CharTokenizer('\n !?abcdefg');
    await saveModelDir(dir, CONFIG, weights, { tokenizer });
    expect((await readdir(dir)).sort()).toEqual(['animated-transformer.json', 'config.json', 'model.safetensors']);
    const back = await loadModelDir(dir);
    expect(back.config).toEqual(CONFIG);
    expectSameWeights(CONFIG, weights, back.weights);
    expect(back.tokenizer.kind).toBe('char');
    expect(back.tokenizer.encode('bad ace!')).toEqual(tokenizer.encode('bad ace!'));
    expect((await loadTokenizerFromDir(dir)).vocabSize).toBe(tokenizer.vocabSize);
    expect((await loadTokenizerFromDir(join(FIXTURES, 'hf-tied'))).kind).toBe('gpt2');
    // Saving again over the same folder replaces the files whole.
    const tied = { ...CONFIG, tieWordEmbeddings: true, vocabSize: 50257 };
    const tiedWeights = makeWeights(tied, 7);
    await saveModelDir(dir, tied, tiedWeights, { tokenizer: gpt2Tokenizer(), dtype: 'F16' });
    const again = await loadModelDir(dir);
    expect(again.config).toEqual(tied);
    expect(again.tokenizer.kind).toBe('gpt2');
    expect(again.weights.wpe).toEqual(tiedWeights.wpe.map((v) => halfBitsToFloat(floatToHalfBits(v))));
    expect((await readdir(dir)).length).toBe(3);
  });

  it('refuses to save what cannot be stored, before writing anything', async () => {
    const weights = makeWeights(CONFIG);
    weights.h[0].ln_1.weight[2] = 1e6;
    const dir = join(scratch, 'never-made');
    await expect(saveModelDir(dir, CONFIG, weights, { tokenizer: CharTokenizer.fromText('abc'), dtype: 'F16' })).rejects.toThrow(
      /"h\.0\.ln_1\.weight" holds 1000000, beyond float16's range/,
    );
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
    await expect(saveModelDir(dir, CONFIG, weights, { tokenizer: gpt2Tokenizer() })).rejects.toThrow(/tokenizer has 50257 tokens but the model only 11/);
  });
});

describe('bad folders', () => {
  const weights = makeWeights(CONFIG);
  const good = { 'config.json': configText(CONFIG), 'model.safetensors': fileOf(CONFIG, weights) };

  const expectError = async (dir: string, message: RegExp): Promise<void> => {
    const attempt = loadModelDir(dir);
    await expect(attempt).rejects.toThrow(ModelError);
    await expect(attempt).rejects.toThrow(message);
  };

  it('names a missing folder or file and says what a folder must contain', async () => {
    await expectError(join(scratch, 'nowhere'), /nowhere: no such folder; a model folder must contain config\.json and model\.safetensors/);
    await expectError(await folderWith({ 'model.safetensors': good['model.safetensors'] }), /config\.json is missing; a model folder must contain/);
    await expectError(await folderWith({ 'config.json': good['config.json'] }), /model\.safetensors is missing; a model folder/);
    await expectError(await folderWith({ 'config.json': good['config.json'], 'pytorch_model.bin': 'x' }), /pytorch_model\.bin is not read/);
  });

  it('rejects a broken config.json', async () => {
    await expectError(await folderWith({ ...good, 'config.json': '{"n_layer": 2,' }), /config\.json: not valid JSON/);
    await expectError(await folderWith({ ...good, 'config.json': configText(CONFIG, { n_head: 3 }) }), /config\.json: n_embd \(8\) is not divisible by n_head \(3\)/);
    await expectError(await folderWith({ ...good, 'config.json': configText(CONFIG, { activation_function: 'relu' }) }), /activation_function "relu" is not supported/);
  });

  it('refuses absurd sizes at once, naming the field and its value, before reading the weights', async () => {
    // The weights "file" is a folder: were it read before config.json is checked, that error would come first.
    for (const [field, value] of [['vocab_size', 1e9], ['n_embd', 1e6], ['n_layer', 1e5], ['n_positions', 1e8]] as const) {
      const dir = await folderWith({ 'config.json': configText(CONFIG, { [field]: value, n_head: 1 }) });
      await mkdir(join(dir, 'model.safetensors'));
      const shown = value.toLocaleString('en-US');
      await expectError(dir, new RegExp(`config\\.json: ${field} is ${shown}, more than this program accepts \\(at most [\\d,]+\\);.*fix ${field}`));
    }
  });

  it('refuses a config that needs more bytes than the weights file holds, naming the field most out of line', async () => {
    const deep = await folderWith({ ...good, 'config.json': configText(CONFIG, { n_layer: 200 }) });
    await expectError(deep, /model\.safetensors holds [\d.]+ kB .* but .*config\.json needs at least 349\.1 kB .*mostly for its n_layer of 200 \(n_layer=200, n_embd=8, vocab_size=11, n_positions=6, tie_word_embeddings=false\); this config\.json belongs to another model/);
    const wide = await folderWith({ ...good, 'config.json': configText(CONFIG, { n_embd: 512 }) });
    await expectError(wide, /mostly for its n_embd of 512/);
    // The bound is never more than a real file holds: F16 files, tied or not, and the shared-row layout.
    for (const config of [CONFIG, { ...CONFIG, tieWordEmbeddings: true }]) {
      const bytes = fileOf(config, makeWeights(config), (n) => n, [], 'F16');
      const tensorBytes = parseSafetensors(bytes).data.length;
      expect(minimumWeightBytes(config)).toBeLessThanOrEqual(tensorBytes);
      if (config.tieWordEmbeddings) expect(minimumWeightBytes(config)).toBeLessThanOrEqual(parseSafetensors(compactCheckpoint(bytes, 'x')).data.length);
      expect(() => checkWeightsFit(config, tensorBytes, 'w', 'c')).not.toThrow();
      expect(() => checkWeightsFit(config, tensorBytes - 2 * config.vocabSize * config.nEmbd, 'w', 'c')).toThrow(/w holds .* but c needs at least/);
    }
  });

  it('names a missing tensor, with what the config expects', async () => {
    const file = fileOf(CONFIG, weights, (n) => (n === 'h.1.mlp.c_fc.bias' ? null : n));
    await expectError(await folderWith({ ...good, 'model.safetensors': file }), /model\.safetensors: tensor "h\.1\.mlp\.c_fc\.bias" is missing .*n_layer=2, n_embd=8/);
    const noHead = fileOf(CONFIG, weights, (n) => (n === 'lm_head.weight' ? null : n));
    await expectError(await folderWith({ ...good, 'model.safetensors': noHead }), /"lm_head\.weight" is missing.*tie_word_embeddings false/);
  });

  it('names a tensor of the wrong shape and the shape expected', async () => {
    const bigger = { ...CONFIG, nPositions: 7 };
    await expectError(await folderWith({ ...good, 'model.safetensors': fileOf(bigger, makeWeights(bigger)) }), /tensor "wpe\.weight" has shape \[7, 8\], expected \[6, 8\]/);
    // PyTorch Linear's [out, in] instead of Conv1D's [in, out]:
    const transposed = fileOf(CONFIG, weights, (n) => (n === 'h.0.attn.c_attn.weight' ? null : n), [
      { name: 'h.0.attn.c_attn.weight', shape: [24, 8], data: weights.h[0].attn.c_attn.weight },
    ]);
    await expectError(await folderWith({ ...good, 'model.safetensors': transposed }), /shape \[24, 8\], expected \[8, 24\]; it looks transposed/);
  });

  it('names a tensor holding NaN or Infinity', async () => {
    const broken = makeWeights(CONFIG);
    broken.h[1].attn.c_proj.bias[5] = NaN;
    await expectError(await folderWith({ ...good, 'model.safetensors': fileOf(CONFIG, broken) }), /tensor "h\.1\.attn\.c_proj\.bias" holds NaN at index 5/);
    broken.h[1].attn.c_proj.bias[5] = 0;
    broken.wte[0] = -Infinity;
    await expectError(await folderWith({ ...good, 'model.safetensors': fileOf(CONFIG, broken) }), /tensor "wte\.weight" holds -Infinity at index 0/);
  });

  it('rejects tensors the config has no place for (a config from another model)', async () => {
    const three = { ...CONFIG, nLayer: 3 };
    await expectError(await folderWith({ ...good, 'model.safetensors': fileOf(three, makeWeights(three)) }), /does not have: "h\.2\.ln_1\.weight", "h\.2\.ln_1\.bias", "h\.2\.attn\.c_attn\.weight", … \(12 in all\); does config\.json belong/);
  });

  it('passes safetensors errors through with the file name, and refuses a cut file by its size before reading it', async () => {
    const garbled = (good['model.safetensors'] as Uint8Array).slice();
    garbled.fill(0x7e, 9, 40); // inside the JSON header
    const dir = await folderWith({ ...good, 'model.safetensors': garbled });
    await expectError(dir, new RegExp(`${dir}/model\\.safetensors: header is not valid JSON`));
    const cut = await folderWith({ ...good, 'model.safetensors': good['model.safetensors'].subarray(0, 200) });
    await expectError(cut, new RegExp(`${cut}/model\\.safetensors holds 200 bytes, but .*config\\.json needs at least .*or the file is incomplete`));
  });

  it('checks animated-transformer.json against the model', async () => {
    await expectError(await folderWith({ ...good, 'animated-transformer.json': '{"tokenizer": "gpt2"}' }), /animated-transformer\.json: the gpt2 tokenizer has 50257 tokens but config\.json says vocab_size=11/);
    await expectError(await folderWith({ ...good, 'animated-transformer.json': '{"tokenizer": "sentencepiece"}' }), /animated-transformer\.json: unknown tokenizer/);
    const ok = await loadModelDir(await folderWith({ ...good, 'animated-transformer.json': '{"tokenizer": "char", "vocabulary": "abc"}' }));
    expect(ok.tokenizer.vocabSize).toBe(3);
  });
});
