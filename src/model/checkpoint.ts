// A model from the files of a Hugging Face GPT-2 folder (config.json + model.safetensors),
// held as bytes so the page can use it too; checkpoint-node.ts reads and writes folders, and
// checkpoint-read.ts reads the weights (also as they stream in, and from shards). The checks
// made before any weight is read (config sizes against the files' bytes) are here, as is our
// shared-row layout's writer, in which the page ships the built-in model.

import { ModelError, configFromHuggingFace, configToHuggingFace, type GPTConfig } from './config.ts';
import { namedParameters, type EmbeddingTable, type GPTWeights } from './weights.ts';
import { parseSafetensors, tensorFloat32, tensorInt32, writeSafetensors, type SafetensorsFile, type TensorToWrite } from './safetensors.ts';
import { fileIn, ROW_OF, ROW_TOKENS, SHARED_ROWS, weightsFromBytes, type ReadOptions } from './checkpoint-read.ts';
import type { WeightMatrix } from '../kernels/held.ts';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';

export interface LoadedModel<Table extends EmbeddingTable = Float32Array, Matrix extends WeightMatrix = Float32Array> {
  config: GPTConfig;
  weights: GPTWeights<Table, Matrix>;
}

/**
 * Parses config.json's text and model.safetensors' bytes into a checked model.
 * `where` names the folder in error messages. Throws ModelError for anything wrong.
 */
export function modelFromFiles(configJsonText: string, safetensorsBytes: Uint8Array, where: string): LoadedModel;
export function modelFromFiles(configJsonText: string, safetensorsBytes: Uint8Array, where: string, options: ReadOptions): LoadedModel<EmbeddingTable, WeightMatrix>;
export function modelFromFiles(configJsonText: string, safetensorsBytes: Uint8Array, where: string, options: ReadOptions = {}): LoadedModel<EmbeddingTable, WeightMatrix> {
  const configFile = fileIn(where, CONFIG_FILE);
  const config = configFromText(configJsonText, configFile);
  return { config, weights: weightsFromBytes(config, safetensorsBytes, fileIn(where, WEIGHTS_FILE), configFile, options) };
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

/**
 * The same checkpoint with its token embeddings in the shared-row layout: the tokens whose rows
 * are bit for bit the same as the most others' share one row, stored last; every other token
 * keeps a row of its own ("wte.row_tokens" lists them). For our models the shared row is that
 * of the tokens their training text never used: the built-in model is stored and shipped this
 * way (7.9 MB instead of 22.9). The file's tensors must share one float dtype, F32 or F16, which
 * the copy keeps (exactly). A file already in that layout is returned as it is.
 */
export function compactCheckpoint(safetensorsBytes: Uint8Array, where: string): Uint8Array {
  const file = parseSafetensors(safetensorsBytes, where);
  if (file.entries.has(ROW_TOKENS)) return safetensorsBytes; // already in the shared-row layout
  if (file.entries.has(ROW_OF)) return compactCheckpoint(withFullTable(file), where); // its earlier form
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
  const tokensWith = new Map<string, number[]>(); // a row's bytes → the tokens that have it
  for (let v = 0; v < V; v++) {
    const start = entry.begin + v * bytesPerRow;
    const bytes = String.fromCharCode(...file.data.subarray(start, start + bytesPerRow));
    const tokens = tokensWith.get(bytes);
    if (tokens) tokens.push(v);
    else tokensWith.set(bytes, [v]);
  }
  const shared = [...tokensWith.values()].reduce((most, tokens) => (tokens.length > most.length ? tokens : most));
  const sharing = new Set(shared);
  const own = new Int32Array(V - shared.length); // the tokens with a row of their own, ascending
  for (let v = 0, r = 0; v < V; v++) if (!sharing.has(v)) own[r++] = v;
  const wte = tensorFloat32(file, key);
  const rows = new Float32Array((own.length + 1) * C);
  [...own, shared[0]].forEach((v, r) => rows.set(wte.subarray(v * C, (v + 1) * C), r * C));
  const tensors = [...file.entries.keys()].flatMap((name): TensorToWrite[] =>
    name === key
      ? [{ name: SHARED_ROWS, shape: [own.length + 1, C], data: rows }, { name: ROW_TOKENS, shape: [own.length], data: own }]
      : [{ name, shape: file.entries.get(name)!.shape, data: tensorFloat32(file, name) }],
  );
  return writeSafetensors(tensors, { dtype, metadata: { format: 'pt' } });
}

/** A file in the shared-row layout's earlier form (a row index for every token) with its table written out as "wte.weight". */
function withFullTable(file: SafetensorsFile): Uint8Array {
  const rows = tensorFloat32(file, SHARED_ROWS);
  const rowOf = tensorInt32(file, ROW_OF);
  const C = file.entries.get(SHARED_ROWS)!.shape[1];
  const wte = new Float32Array(rowOf.length * C);
  rowOf.forEach((row, v) => wte.set(rows.subarray(row * C, (row + 1) * C), v * C));
  const tensors = [...file.entries.keys()].flatMap((name): TensorToWrite[] =>
    name === ROW_OF ? [] : name === SHARED_ROWS
      ? [{ name: 'wte.weight', shape: [rowOf.length, C], data: wte }]
      : [{ name, shape: file.entries.get(name)!.shape, data: tensorFloat32(file, name) }],
  );
  return writeSafetensors(tensors, { dtype: file.entries.get(SHARED_ROWS)!.dtype as 'F32' | 'F16', metadata: { format: 'pt' } });
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
