// GPT-2 weights from safetensors files (one model.safetensors, or the shards an index names),
// read as their bytes arrive. Checks everything a wrong file could get past silently: names and
// shapes (before any tensor data), finiteness, ties. Keeps each tensor where the model uses it:
// small ones as arrays, the large matrices held by the kernels when they can hold them (as
// floats, or as 16-bit halves when the memory plan says so), so no copy of them stays in
// JavaScript. Also reads our shared-row layout, in which the page ships the built-in model.

import { ModelError, type GPTConfig } from './config.ts';
import { checkWeightsFit } from './memory.ts';
import { parameterShapes, SharedRowTable, weightsFromNamed, type EmbeddingTable, type GPTWeights } from './weights.ts';
import { READABLE, type TensorEntry } from './safetensors.ts';
import { readThrough, SafetensorsReader, type TensorSink } from './safetensors-stream.ts';
import { INDEX_FILE, type ShardIndex } from './shards.ts';
import { floatToHalfBits, HALF_MAX, HalfArray } from '../kernels/half.ts';
import type { HeldMatrix, MatrixWriter, WeightMatrix } from '../kernels/held.ts';
import type { Kernels } from '../kernels/kernels.ts';

export interface ReadOptions {
  /**
   * Keep the token-embedding table as compact as the file holds it, for inference: F16 numbers
   * as the file's own halves instead of widened to floats (the table is most of a small model,
   * and the copy would double it), and rows shared between tokens once (SharedRowTable).
   */
  compactEmbeddings?: boolean;
  /** Kernels that hold the large matrices in their own memory (Kernels.holdMatrix); without, all are arrays. */
  kernels?: Kernels;
  /** How held matrices keep their numbers: 'f32' (default), or 'f16' halves (rounded from F32 files). */
  precision?: 'f32' | 'f16';
}

/**
 * A file in our shared-row layout stores the token embeddings as two tensors instead of
 * "wte.weight": rows, and which token has which row. compactCheckpoint writes ROW_TOKENS: the
 * token of each row but the last, every other token having the last row (for our models, the
 * one row of every token the training text never used), 4 bytes a row. Files written before
 * 2026-12-06 have ROW_OF instead, a row index for every token (4 bytes a token: 0.2 MB for
 * GPT-2's vocabulary); they load the same. Every other tensor is as in GPT-2's layout.
 */
export const SHARED_ROWS = 'wte.rows'; // U × C
export const ROW_TOKENS = 'wte.row_tokens'; // U − 1, I32, ascending
export const ROW_OF = 'wte.row_of'; // V, I32

/** Buffers GPT-2 checkpoints may carry (the causal mask); they are not parameters. */
const BUFFER = /^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$/;

const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Where a tensor's numbers are being kept, and whether all of them have come. */
interface Kept extends TensorSink {
  readonly total: number;
  filled: number;
  /** The tensor as the model keeps it, once complete. */
  result(): Float32Array | HalfArray | Int32Array | HeldMatrix;
  /** The numbers' running hash (only asked of the table and a tied head, to compare them). */
  hash?: () => string;
}

function arraySink(total: number): Kept {
  const data = new Float32Array(total);
  return { total, filled: 0, write(values, at) { data.set(values, at); this.filled += values.length; }, result: () => data };
}

function int32Sink(total: number): Kept {
  const data = new Int32Array(total);
  return { total, filled: 0, write(values, at) { data.set(values, at); this.filled += values.length; }, result: () => data };
}

/** Numbers narrowed to halves as they arrive (the reader refuses any beyond HALF_MAX); an F16 file's are taken as they are stored. */
function halfSink(total: number): Kept {
  const bits = new Uint16Array(total);
  return {
    total,
    filled: 0,
    limit: HALF_MAX,
    write(values, at) {
      for (let i = 0; i < values.length; i++) bits[at + i] = floatToHalfBits(values[i]);
      this.filled += values.length;
    },
    writeHalves(halves, at) {
      bits.set(halves, at);
      this.filled += halves.length;
    },
    result: () => new HalfArray(bits),
  };
}

/** Numbers written into the kernels' memory; the writer is opened at the first numbers, so one is open at a time. */
function heldSink(total: number, open: () => MatrixWriter, half: boolean): Kept {
  let writer: MatrixWriter | null = null;
  let held: HeldMatrix | null = null;
  return {
    total,
    filled: 0,
    ...(half && { limit: HALF_MAX }),
    checksValues: true,
    write(values, at) {
      writer ??= open();
      writer.write(values as Float32Array, at);
      this.filled += values.length;
      if (this.filled === total) held = writer.finish();
    },
    result: () => held!,
  };
}

/** Adds a running hash of the numbers' bits to a sink (-0 counted as 0); they come widened to floats, so dtypes compare. */
function hashing(sink: Kept): Kept {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  const write = sink.write.bind(sink);
  return Object.assign(sink, {
    write(values: Float32Array | Int32Array, at: number) {
      const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
      for (let i = 0; i < words.length; i++) {
        const w = words[i] === 0x80000000 ? 0 : words[i];
        a = Math.imul(a ^ w, 0x9e3779b1);
        b = Math.imul(b ^ w, 0x85ebca77) ^ (b >>> 15);
      }
      write(values, at);
    },
    writeHalves: undefined,
    hash: () => `${a >>> 0}:${b >>> 0}`,
  });
}

/** Checks names, then takes each file's tensors as they arrive, then builds the weights. */
class GPT2WeightsCollector {
  /** Parameter name → the key the file stores it under. */
  private readonly keyOf = new Map<string, string>();
  private readonly kept = new Map<string, Kept>();
  private sharedRows = false;
  /** Which tensor of the shared-row layout says which row is each token's. */
  private rowIndex: typeof ROW_TOKENS | typeof ROW_OF = ROW_TOKENS;
  private tiedHeadStored = false;
  private readonly says: string;

  constructor(
    private readonly config: GPTConfig,
    private readonly options: ReadOptions,
  ) {
    this.says = `config.json says n_layer=${config.nLayer}, n_embd=${config.nEmbd}, vocab_size=${config.vocabSize}, n_positions=${config.nPositions}`;
  }

  /** Checks the full list of stored names (a header's, or an index's weight_map) before any data is read. */
  expect(names: ReadonlySet<string>, where: string): void {
    const fail = (problem: string): never => {
      throw new ModelError(`${where}: ${problem}`);
    };
    this.sharedRows = names.has(SHARED_ROWS) && !names.has('wte.weight') && !names.has('transformer.wte.weight');
    const used = new Set<string>();
    for (const { name } of parameterShapes(this.config)) {
      if (name === 'wte.weight' && this.sharedRows) {
        this.rowIndex = names.has(ROW_TOKENS) ? ROW_TOKENS : ROW_OF;
        if (names.has(ROW_TOKENS) === names.has(ROW_OF)) {
          fail(`holds "${SHARED_ROWS}" and ${names.has(ROW_OF) ? 'both' : 'neither'} of "${ROW_TOKENS}" and "${ROW_OF}"; one of them says which row is each token's`);
        }
        used.add(SHARED_ROWS).add(this.rowIndex);
        continue;
      }
      const key = [name, `transformer.${name}`].find((k) => names.has(k));
      if (key === undefined) {
        const untied = name === 'lm_head.weight' ? ' (config.json has tie_word_embeddings false, so the output head must be stored)' : '';
        fail(`tensor "${name}" is missing (also looked for "transformer.${name}")${untied}; ${this.says}`);
      }
      this.keyOf.set(name, key!);
      used.add(key!);
    }
    // A tied model may still store its head; it must then be the embedding table itself.
    this.tiedHeadStored = this.config.tieWordEmbeddings && names.has('lm_head.weight') && !this.sharedRows;
    if (this.tiedHeadStored) used.add('lm_head.weight');
    const unexpected = [...names].filter((k) => !used.has(k) && !BUFFER.test(k));
    if (unexpected.length > 0) {
      const list = unexpected.slice(0, 3).map((k) => `"${k}"`).join(', ') + (unexpected.length > 3 ? `, … (${unexpected.length} in all)` : '');
      fail(`holds tensors a GPT-2 with this config does not have: ${list}; does config.json belong to this file? (${this.says})`);
    }
  }

  /** One file's header: checks its tensors' shapes and dtypes, and returns where each one's numbers go. */
  plan(entries: Map<string, TensorEntry>, where: string): Map<string, TensorSink> {
    const fail = (problem: string): never => {
      throw new ModelError(`${where}: ${problem}`);
    };
    const { nEmbd: C, vocabSize: V } = this.config;
    const sinks = new Map<string, TensorSink>();
    const paramOf = new Map([...this.keyOf].map(([name, key]) => [key, name]));
    const shapeOf = new Map(parameterShapes(this.config).map((p) => [p.name, p.shape]));
    for (const [key, entry] of entries) {
      if (BUFFER.test(key)) continue;
      const param = paramOf.get(key);
      let shape: number[];
      if (param !== undefined) shape = shapeOf.get(param)!;
      else if (key === SHARED_ROWS && this.sharedRows) shape = [entry.shape[0], C];
      else if (key === ROW_OF && this.sharedRows) shape = [V];
      // Its length is checked against the rows' count once both are read (they may be in two shards).
      else if (key === ROW_TOKENS && this.sharedRows) shape = [entry.shape[0]];
      else if (key === 'lm_head.weight' && this.tiedHeadStored) shape = [V, C];
      else fail(`holds tensor "${key}", which ${INDEX_FILE} does not list for this file`);
      if (showShape(entry.shape) !== showShape(shape!)) {
        const transposed = shape!.length === 2 && showShape(entry.shape) === showShape([shape![1], shape![0]]);
        // The shared rows' count is the file's own: only their width can be wrong.
        const expected = key === SHARED_ROWS ? `[rows, ${C}]` : showShape(shape!);
        const hint = key === SHARED_ROWS
          ? `; config.json says n_embd=${C}`
          : transposed
            ? '; it looks transposed: GPT-2 stores linear weights as [in, out] (Conv1D), not PyTorch Linear\'s [out, in]'
            : `; ${this.says}`;
        fail(`tensor "${key}" has shape ${showShape(entry.shape)}, expected ${expected}${hint}`);
      }
      const index = key === ROW_OF || key === ROW_TOKENS;
      if (index && entry.dtype !== 'I32') fail(`tensor "${key}" is stored as ${entry.dtype}; it must be I32`);
      if (!index && !READABLE.includes(entry.dtype)) fail(`tensor "${key}" is stored as ${entry.dtype}; this loader reads ${READABLE.join(', ')}`);
      if (key === SHARED_ROWS && entry.shape[0] < 1) fail(`tensor "${key}" has no rows`);
      const sink = this.sinkFor(param ?? key, shape!, entry.dtype);
      this.kept.set(param ?? key, sink);
      sinks.set(key, sink);
    }
    return sinks;
  }

  /** Where a tensor goes: held by the kernels, or an array of floats, halves or whole numbers. */
  private sinkFor(name: string, shape: number[], dtype: string): Kept {
    const { kernels, compactEmbeddings = false, precision = 'f32' } = this.options;
    const total = shape.reduce((a, b) => a * b, 1);
    const holds = kernels?.holdMatrix !== undefined;
    const half = precision === 'f16';
    const hold = (transposed: boolean) => heldSink(total, () => kernels!.holdMatrix!(transposed ? shape[1] : shape[0], transposed ? shape[0] : shape[1], transposed, half), half);
    let sink: Kept;
    if (name === ROW_OF || name === ROW_TOKENS) sink = int32Sink(total);
    else if (holds && /^h\.\d+\.(attn|mlp)\.(c_attn|c_proj|c_fc)\.weight$/.test(name)) sink = hold(false);
    else if (holds && (name === 'lm_head.weight' ? !this.config.tieWordEmbeddings : name === 'wte.weight' && this.config.tieWordEmbeddings)) sink = hold(true);
    else if ((name === 'wte.weight' || name === SHARED_ROWS) && ((compactEmbeddings && dtype === 'F16') || (holds && half))) sink = halfSink(total);
    else sink = arraySink(total);
    return this.tiedHeadStored && (name === 'wte.weight' || name === 'lm_head.weight') ? hashing(sink) : sink;
  }

  /** After every file has been read: checks that all came, and builds the weights. */
  finish(where: string): GPTWeights<EmbeddingTable, WeightMatrix> {
    const fail = (problem: string): never => {
      throw new ModelError(`${where}: ${problem}`);
    };
    const needed = [...this.keyOf.keys(), ...(this.sharedRows ? [SHARED_ROWS, this.rowIndex] : []), ...(this.tiedHeadStored ? ['lm_head.weight'] : [])];
    for (const name of needed) {
      const kept = this.kept.get(name);
      if (!kept) fail(`tensor "${this.keyOf.get(name) ?? name}" is listed in ${INDEX_FILE} but its shard does not hold it`);
      if (kept!.filled !== kept!.total) fail(`tensor "${name}" got ${kept!.filled} of its ${kept!.total} numbers`);
    }
    if (this.tiedHeadStored && this.kept.get('lm_head.weight')!.hash!() !== this.kept.get('wte.weight')!.hash!()) {
      fail('"lm_head.weight" differs from the token embedding "wte.weight", but config.json says tie_word_embeddings (true by default); set "tie_word_embeddings": false to use a separate head');
    }
    const result = (name: string) => this.kept.get(name)!.result();
    let table: EmbeddingTable;
    if (this.sharedRows) {
      const rows = result(SHARED_ROWS) as Float32Array | HalfArray;
      const U = rows.length / this.config.nEmbd;
      const rowOf = this.rowIndex === ROW_TOKENS ? rowOfTokens(result(ROW_TOKENS) as Int32Array, U, this.config.vocabSize, fail) : checkedRowOf(result(ROW_OF) as Int32Array, U, fail);
      const shared = new SharedRowTable(rows, rowOf, this.config.nEmbd);
      table = this.options.compactEmbeddings ? shared : shared.expand();
    } else {
      table = result('wte.weight') as EmbeddingTable;
    }
    return weightsFromNamed(this.config, (name) => result(name) as Float32Array, table, (name) => result(name) as WeightMatrix);
  }
}

/** One weights file to read: its name in the folder, its size when known, and its bytes front to back. */
export interface WeightsSource {
  name: string;
  size: number | null;
  chunks(): AsyncIterable<Uint8Array>;
}

export interface StreamOptions extends ReadOptions {
  signal?: AbortSignal;
  /** Bytes read so far of one file. */
  onProgress?: (file: string, bytes: number, size: number | null) => void;
}

/** "dir/file" for messages, whether or not `where` ends in a slash (empty `where`: just the file). */
export function fileIn(where: string, file: string): string {
  if (where === '') return file;
  return where.endsWith('/') ? where + file : `${where}/${file}`;
}

/**
 * Reads GPT-2 weights from `sources`: one model.safetensors, or (with its index) every shard.
 * `where` names the folder in messages. Throws ModelError for anything wrong, before any tensor
 * is read for a config that asks for more weights than one file holds (callers check the total
 * of the sizes first: checkSourcesFit).
 */
export async function readWeights(
  config: GPTConfig,
  sources: readonly WeightsSource[],
  index: ShardIndex | null,
  where: string,
  options: StreamOptions = {},
): Promise<GPTWeights<EmbeddingTable, WeightMatrix>> {
  const collector = new GPT2WeightsCollector(config, options);
  const configFile = fileIn(where, 'config.json');
  if (index) collector.expect(new Set(index.weightMap.keys()), fileIn(where, INDEX_FILE));
  for (const source of sources) {
    const file = fileIn(where, source.name);
    const reader = new SafetensorsReader(file, source.size, (entries, dataLength) => {
      if (!index) {
        if (dataLength !== null) checkWeightsFit(config, dataLength, file, configFile);
        collector.expect(new Set(entries.keys()), file);
      } else {
        const stray = [...entries.keys()].find((k) => index.weightMap.get(k) !== source.name && !BUFFER.test(k));
        if (stray) throw new ModelError(`${file}: holds tensor "${stray}", which ${INDEX_FILE} puts in ${index.weightMap.get(stray) ?? 'no shard'}`);
      }
      return collector.plan(entries, file);
    });
    await readThrough(reader, source.chunks(), { signal: options.signal, onProgress: (bytes) => options.onProgress?.(source.name, bytes, source.size) });
  }
  return collector.finish(index ? fileIn(where, INDEX_FILE) : fileIn(where, sources[0]?.name ?? ''));
}

/**
 * Before anything is read: the weights files' total size must hold the weights `config` calls
 * for (a ModelError blames the config otherwise). Sizes not known yet are left out.
 */
export function checkSourcesFit(config: GPTConfig, sources: readonly { name: string; size: number | null }[], index: ShardIndex | null, where: string): void {
  const known = sources.filter((s) => s.size !== null);
  if (known.length === 0) return;
  const what = index ? `the shards ${INDEX_FILE} names` : fileIn(where, known[0].name);
  checkWeightsFit(config, known.reduce((sum, s) => sum + s.size!, 0), what, fileIn(where, 'config.json'));
}

/** The same, synchronously, from one file's bytes in memory. */
export function weightsFromBytes(config: GPTConfig, bytes: Uint8Array, file: string, configFile: string, options: ReadOptions = {}): GPTWeights<EmbeddingTable, WeightMatrix> {
  const collector = new GPT2WeightsCollector(config, options);
  const reader = new SafetensorsReader(file, bytes.length, (entries, dataLength) => {
    checkWeightsFit(config, dataLength!, file, configFile);
    collector.expect(new Set(entries.keys()), file);
    return collector.plan(entries, file);
  });
  reader.push(bytes);
  reader.end();
  return collector.finish(file);
}

/** The earlier form's row of every token, each checked to be one of the U rows. */
function checkedRowOf(rowOf: Int32Array, U: number, fail: (problem: string) => never): Int32Array {
  const bad = rowOf.findIndex((r) => r < 0 || r >= U);
  if (bad >= 0) fail(`tensor "${ROW_OF}" gives token ${bad} row ${rowOf[bad]}, but "${SHARED_ROWS}" has rows 0…${U - 1}`);
  return rowOf;
}

/** Every token's row, from the tokens of rows 0…U − 2 (ascending); the others have row U − 1. */
function rowOfTokens(tokens: Int32Array, U: number, V: number, fail: (problem: string) => never): Int32Array {
  if (tokens.length !== U - 1) fail(`tensor "${ROW_TOKENS}" names ${tokens.length} tokens, but "${SHARED_ROWS}" has ${U} rows: it must name one fewer`);
  const rowOf = new Int32Array(V).fill(U - 1);
  tokens.forEach((token, row) => {
    if (!(token >= 0 && token < V)) fail(`tensor "${ROW_TOKENS}" names token ${token} for row ${row}, but config.json has vocab_size=${V}`);
    if (row > 0 && token <= tokens[row - 1]) fail(`tensor "${ROW_TOKENS}" is not in ascending order at row ${row} (${tokens[row - 1]}, then ${token})`);
    rowOf[token] = row;
  });
  return rowOf;
}
