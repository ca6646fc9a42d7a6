// A model from the files of a Hugging Face GPT-2 folder (config.json + model.safetensors),
// held as bytes so the page can use it too; checkpoint-node.ts reads and writes folders.
// Checks everything a wrong file could get past silently: names, shapes, finiteness, ties.
// Also reads and writes our shared-row layout, in which the page ships the built-in model.

import { FIELD_NAMES, ModelError, configFromHuggingFace, configToHuggingFace, parameterCount, type GPTConfig } from './config.ts';
import { namedParameters, parameterShapes, SharedRowTable, weightsFromNamed, type EmbeddingTable, type GPTWeights } from './weights.ts';
import { parseSafetensors, tensorFloat32, tensorHalves, tensorInt32, writeSafetensors, type SafetensorsFile, type TensorToWrite } from './safetensors.ts';
import { halfBitsToFloat, HalfArray } from '../kernels/half.ts';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';

export interface LoadedModel<Table extends EmbeddingTable = Float32Array> {
  config: GPTConfig;
  weights: GPTWeights<Table>;
}

export interface LoadOptions {
  /**
   * Keep the token-embedding table as compact as the file holds it, for inference: F16 numbers
   * as the file's own halves instead of widened to floats (the table is most of a small model,
   * and the copy would double it), and rows shared between tokens once (SharedRowTable).
   */
  compactEmbeddings?: boolean;
}

/**
 * A file in our shared-row layout stores the token embeddings as these two tensors instead of
 * "wte.weight": each distinct row once, and for every token the index of its row.
 * compactCheckpoint writes it; every other tensor is as in GPT-2's layout.
 */
export const SHARED_ROWS = 'wte.rows'; // U × C
export const ROW_OF = 'wte.row_of'; // V, I32

/** "dir/file" for messages, whether or not `where` ends in a slash (empty `where`: just the file). */
function fileIn(where: string, file: string): string {
  if (where === '') return file;
  return where.endsWith('/') ? where + file : `${where}/${file}`;
}

/** Buffers GPT-2 checkpoints may carry (the causal mask); they are not parameters. */
const BUFFER = /^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$/;

const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * Parses config.json's text and model.safetensors' bytes into a checked model.
 * `where` names the folder in error messages. Throws ModelError for anything wrong.
 */
export function modelFromFiles(configJsonText: string, safetensorsBytes: Uint8Array, where: string): LoadedModel;
export function modelFromFiles(configJsonText: string, safetensorsBytes: Uint8Array, where: string, options: LoadOptions): LoadedModel<EmbeddingTable>;
export function modelFromFiles(configJsonText: string, safetensorsBytes: Uint8Array, where: string, options: LoadOptions = {}): LoadedModel<EmbeddingTable> {
  const configFile = fileIn(where, CONFIG_FILE);
  const config = configFromText(configJsonText, configFile);
  const file = parseSafetensors(safetensorsBytes, fileIn(where, WEIGHTS_FILE));
  // Before any tensor is read: a config far larger than the file is the wrong config (or a cut file).
  checkWeightsFit(config, file.data.length, file.where, configFile);
  return { config, weights: weightsFromFile(config, file, options.compactEmbeddings ?? false) };
}

/**
 * config.json's text as a checked GPTConfig (sizes within CONFIG_LIMITS, the same math as ours).
 * Cheap, so loaders call it before reading or downloading the weights the config describes.
 */
export function configFromText(configJsonText: string, configFile: string): GPTConfig {
  let json: unknown;
  try {
    json = JSON.parse(configJsonText);
  } catch (e) {
    throw new ModelError(`${configFile}: not valid JSON (${(e as Error).message})`);
  }
  const config = configFromHuggingFace(json, configFile);
  checkSameMath(json as Record<string, unknown>, configFile);
  return config;
}

/** Fewest bytes any file can store this config's weights in: 2 bytes a number, the embeddings as compact as the shared-row layout allows. */
export function minimumWeightBytes(config: GPTConfig): number {
  const { nEmbd: C, vocabSize: V } = config;
  const tableParameters = V * C * (config.tieWordEmbeddings ? 1 : 2);
  const others = parameterCount({ ...config, tieWordEmbeddings: true }) - V * C;
  // A shared-row table is an I32 row index per token and at least one row.
  const table = Math.min(2 * tableParameters, 4 * V + 2 * C + (config.tieWordEmbeddings ? 0 : 2 * V * C));
  return 2 * others + table;
}

const SIZE_FIELDS = ['nLayer', 'nEmbd', 'vocabSize', 'nPositions'] as const;

/**
 * Throws ModelError when `bytes` (a weights file, or its data section) cannot hold the weights
 * `config` calls for, naming the field that asks for most of them: checked before anything is
 * sized from the config, so a wrong config.json is refused at once rather than after the file.
 */
export function checkWeightsFit(config: GPTConfig, bytes: number, weightsFile: string, configFile: string): void {
  const needed = minimumWeightBytes(config);
  if (bytes >= needed) return;
  // Name the field furthest out of line: the one that would have to shrink by the largest
  // factor for the weights to fit, were it the only one wrong.
  let culprit: (typeof SIZE_FIELDS)[number] | null = null;
  let worst = 2; // a field less than twice too large is not clearly the one at fault
  for (const key of SIZE_FIELDS) {
    const fits = (value: number) => minimumWeightBytes({ ...config, [key]: value }) <= bytes;
    if (!fits(1)) continue;
    let low = 1; // fits
    let high = config[key]; // does not
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (fits(mid)) low = mid;
      else high = mid;
    }
    if (config[key] / low > worst) [culprit, worst] = [key, config[key] / low];
  }
  const blame = culprit ? `, mostly for its ${FIELD_NAMES[culprit]} of ${config[culprit].toLocaleString('en-US')}` : '';
  const all = [...SIZE_FIELDS.map((k) => `${FIELD_NAMES[k]}=${config[k]}`), ...(config.tieWordEmbeddings ? [] : ['tie_word_embeddings=false'])].join(', ');
  throw new ModelError(
    `${weightsFile} holds ${showBytes(bytes)}, but ${configFile} needs at least ${showBytes(needed)} ` +
      `for its ${parameterCount(config).toLocaleString('en-US')} parameters${blame} (${all}); ` +
      'this config.json belongs to another model or the file is incomplete: use the config.json that came with the weights, or fetch the weights again',
  );
}

function showBytes(n: number): string {
  if (n < 1e3) return `${n} bytes`;
  const [unit, size] = n >= 1e12 ? ['TB', 1e12] : n >= 1e9 ? ['GB', 1e9] : n >= 1e6 ? ['MB', 1e6] : ['kB', 1e3];
  return `${(n / size).toFixed(1)} ${unit} (${n.toLocaleString('en-US')} bytes)`;
}

/**
 * Rejects config.json options that would make Hugging Face compute something other than the
 * forward pass we implement (tanh GELU, scores scaled by 1/√H only), rather than run it wrongly.
 */
function checkSameMath(json: Record<string, unknown>, configFile: string): void {
  const activation = json.activation_function;
  if (activation !== undefined && activation !== 'gelu_new' && activation !== 'gelu_pytorch_tanh') {
    throw new ModelError(`${configFile}: activation_function ${JSON.stringify(activation)} is not supported; this GPT-2 uses the tanh GELU ("gelu_new")`);
  }
  if (json.scale_attn_by_inverse_layer_idx === true || json.scale_attn_weights === false) {
    throw new ModelError(`${configFile}: scale_attn_by_inverse_layer_idx and scale_attn_weights=false are not supported; attention scores are scaled by 1/√(head size) only`);
  }
  if (json.n_inner !== undefined && json.n_inner !== null && json.n_inner !== 4 * (json.n_embd as number)) {
    throw new ModelError(`${configFile}: n_inner ${JSON.stringify(json.n_inner)} is not supported; the MLP is 4 × n_embd wide`);
  }
}

/** Finds, checks and converts every parameter the config calls for. */
function weightsFromFile(config: GPTConfig, file: SafetensorsFile, compact: boolean): GPTWeights<EmbeddingTable> {
  const fail = (problem: string): never => {
    throw new ModelError(`${file.where}: ${problem}`);
  };
  const used = new Set<string>();
  const arrays = new Map<string, Float32Array>();
  let table: EmbeddingTable | null = null;
  const configSays = `config.json says n_layer=${config.nLayer}, n_embd=${config.nEmbd}, vocab_size=${config.vocabSize}, n_positions=${config.nPositions}`;
  const sharedRows = file.entries.has(SHARED_ROWS) && !file.entries.has('wte.weight') && !file.entries.has('transformer.wte.weight');

  for (const { name, shape } of parameterShapes(config)) {
    if (name === 'wte.weight' && sharedRows) {
      used.add(SHARED_ROWS).add(ROW_OF);
      const shared = sharedRowTable(config, file, compact, fail);
      table = compact ? shared : shared.expand();
      continue;
    }
    const key = [name, `transformer.${name}`].find((k) => file.entries.has(k));
    if (key === undefined) {
      const untied = name === 'lm_head.weight' ? ' (config.json has tie_word_embeddings false, so the output head must be stored)' : '';
      fail(`tensor "${name}" is missing (also looked for "transformer.${name}")${untied}; ${configSays}`);
    }
    const entry = file.entries.get(key!)!;
    if (showShape(entry.shape) !== showShape(shape)) {
      const transposed = shape.length === 2 && showShape(entry.shape) === showShape([shape[1], shape[0]]);
      const hint = transposed
        ? '; it looks transposed: GPT-2 stores linear weights as [in, out] (Conv1D), not PyTorch Linear\'s [out, in]'
        : `; ${configSays}`;
      fail(`tensor "${key}" has shape ${showShape(entry.shape)}, expected ${showShape(shape)}${hint}`);
    }
    used.add(key!);
    const data = finiteTensor(file, key!, compact && name === 'wte.weight', fail);
    if (name === 'wte.weight') table = data;
    else arrays.set(name, data as Float32Array);
  }

  // A tied model may still store its head; it must then be the embedding table itself.
  if (config.tieWordEmbeddings && file.entries.has('lm_head.weight')) {
    used.add('lm_head.weight');
    const head = file.entries.get('lm_head.weight')!;
    const wte = floatsOf(table!);
    const same = showShape(head.shape) === showShape([config.vocabSize, config.nEmbd]) &&
      tensorFloat32(file, 'lm_head.weight').every((v, i) => v === wte[i]);
    if (!same) {
      fail('"lm_head.weight" differs from the token embedding "wte.weight", but config.json says tie_word_embeddings (true by default); set "tie_word_embeddings": false to use a separate head');
    }
  }

  const unexpected = [...file.entries.keys()].filter((k) => !used.has(k) && !BUFFER.test(k));
  if (unexpected.length > 0) {
    const list = unexpected.slice(0, 3).map((k) => `"${k}"`).join(', ') + (unexpected.length > 3 ? `, … (${unexpected.length} in all)` : '');
    fail(`holds tensors a GPT-2 with this config does not have: ${list}; does config.json belong to this file? (${configSays})`);
  }
  return weightsFromNamed(config, (name) => arrays.get(name)!, table!);
}

/** A tensor's values, checked finite: as floats, or as the file's halves if `keepHalves` and F16. */
function finiteTensor(file: SafetensorsFile, key: string, keepHalves: boolean, fail: (problem: string) => never): Float32Array | HalfArray {
  const halves = keepHalves ? tensorHalves(file, key) : null;
  if (halves) {
    const bad = halves.firstNonFinite();
    if (bad >= 0) fail(`tensor "${key}" holds ${halfBitsToFloat(halves.bits[bad])} at index ${bad}; weights must be finite numbers`);
    return halves;
  }
  const data = tensorFloat32(file, key);
  for (let i = 0; i < data.length; i++) {
    // v - v is 0 for finite numbers and NaN for NaN and ±Infinity: one cheap test per value.
    if (data[i] - data[i] !== 0) fail(`tensor "${key}" holds ${data[i]} at index ${i}; weights must be finite numbers`);
  }
  return data;
}

/** The token embeddings of a file in the shared-row layout, checked. */
function sharedRowTable(config: GPTConfig, file: SafetensorsFile, keepHalves: boolean, fail: (problem: string) => never): SharedRowTable {
  const { nEmbd: C, vocabSize: V } = config;
  const rowsEntry = file.entries.get(SHARED_ROWS)!;
  const rowOfEntry = file.entries.get(ROW_OF);
  if (!rowOfEntry) fail(`holds "${SHARED_ROWS}" but not "${ROW_OF}", which says which row is each token's`);
  const U = rowsEntry.shape[0];
  if (rowsEntry.shape.length !== 2 || rowsEntry.shape[1] !== C || U < 1) {
    fail(`tensor "${SHARED_ROWS}" has shape ${showShape(rowsEntry.shape)}, expected [rows, ${C}]; config.json says n_embd=${C}`);
  }
  if (showShape(rowOfEntry!.shape) !== showShape([V])) {
    fail(`tensor "${ROW_OF}" has shape ${showShape(rowOfEntry!.shape)}, expected [${V}]; config.json says vocab_size=${V}`);
  }
  const rowOf = tensorInt32(file, ROW_OF);
  for (let v = 0; v < V; v++) {
    if (rowOf[v] < 0 || rowOf[v] >= U) fail(`tensor "${ROW_OF}" gives token ${v} row ${rowOf[v]}, but "${SHARED_ROWS}" has rows 0…${U - 1}`);
  }
  return new SharedRowTable(finiteTensor(file, SHARED_ROWS, keepHalves, fail), rowOf, C);
}

/** Any table as a V × C Float32Array (a new one unless it is one). */
function floatsOf(table: EmbeddingTable): Float32Array {
  if (table instanceof SharedRowTable) return table.expand();
  return table instanceof HalfArray ? table.toFloat32() : table;
}

/**
 * The same checkpoint with its token embeddings in the shared-row layout: each distinct row of
 * "wte.weight" stored once. The page ships the built-in model this way (4.6 MB instead of 14.5).
 * The file's tensors must share one float dtype, F32 or F16, which the copy keeps (exactly).
 */
export function compactCheckpoint(safetensorsBytes: Uint8Array, where: string): Uint8Array {
  const file = parseSafetensors(safetensorsBytes, where);
  const dtypes = new Set([...file.entries.values()].map((e) => e.dtype));
  const dtype = [...dtypes][0];
  if (dtypes.size !== 1 || (dtype !== 'F32' && dtype !== 'F16')) {
    throw new ModelError(`${where}: only a file whose tensors are all F32 or all F16 can be compacted; it holds ${[...dtypes].join(', ')}`);
  }
  const key = ['wte.weight', 'transformer.wte.weight'].find((k) => file.entries.has(k));
  if (!key) throw new ModelError(`${where}: has no token embeddings "wte.weight" to compact`);
  const entry = file.entries.get(key)!;
  const [V, C] = entry.shape;
  const bytesPerRow = (entry.end - entry.begin) / V;
  const rowOf = new Int32Array(V);
  const firstUse = new Map<string, number>(); // a row's bytes → its index among distinct rows
  const distinct: number[] = []; // the token whose row each distinct row is
  for (let v = 0; v < V; v++) {
    const start = entry.begin + v * bytesPerRow;
    const bytes = String.fromCharCode(...file.data.subarray(start, start + bytesPerRow));
    let row = firstUse.get(bytes);
    if (row === undefined) {
      row = distinct.push(v) - 1;
      firstUse.set(bytes, row);
    }
    rowOf[v] = row;
  }
  const wte = tensorFloat32(file, key);
  const rows = new Float32Array(distinct.length * C);
  distinct.forEach((v, r) => rows.set(wte.subarray(v * C, (v + 1) * C), r * C));
  const tensors = [...file.entries.keys()].flatMap((name): TensorToWrite[] =>
    name === key
      ? [{ name: SHARED_ROWS, shape: [distinct.length, C], data: rows }, { name: ROW_OF, shape: [V], data: rowOf }]
      : [{ name, shape: file.entries.get(name)!.shape, data: tensorFloat32(file, name) }],
  );
  return writeSafetensors(tensors, { dtype, metadata: { format: 'pt' } });
}

/** The two files of a model folder, as text and bytes (checkpoint-node.ts writes them to disk). */
export function modelToFiles(
  config: GPTConfig,
  weights: GPTWeights,
  dtype: 'F32' | 'F16' = 'F32',
): { configJsonText: string; safetensorsBytes: Uint8Array } {
  const tensors = namedParameters(config, weights);
  for (const t of tensors) {
    if (!t.data) throw new ModelError(`weights have no "${t.name}" (config says tie_word_embeddings=${config.tieWordEmbeddings})`);
  }
  return {
    configJsonText: JSON.stringify(configToHuggingFace(config), null, 2) + '\n',
    safetensorsBytes: writeSafetensors(tensors, { dtype, metadata: { format: 'pt' } }),
  };
}
