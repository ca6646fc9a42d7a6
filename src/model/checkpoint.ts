// A model from the files of a Hugging Face GPT-2 folder (config.json + model.safetensors),
// held as bytes so the page can use it too; checkpoint-node.ts reads and writes folders.
// Checks everything a wrong file could get past silently: names, shapes, finiteness, ties.

import { ModelError, configFromHuggingFace, configToHuggingFace, type GPTConfig } from './config.ts';
import { namedParameters, parameterShapes, weightsFromNamed, type EmbeddingTable, type GPTWeights } from './weights.ts';
import { parseSafetensors, tensorFloat32, tensorHalves, writeSafetensors, type SafetensorsFile } from './safetensors.ts';
import { halfBitsToFloat, type HalfArray } from '../kernels/half.ts';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';

export interface LoadedModel<Table extends EmbeddingTable = Float32Array> {
  config: GPTConfig;
  weights: GPTWeights<Table>;
}

export interface LoadOptions {
  /**
   * Keep an F16 token-embedding table as the file's own halves instead of widening it to floats
   * (for inference: the table is most of a small model, and the copy would double it).
   */
  halfEmbeddings?: boolean;
}

/** "dir/file" for messages, whether or not `where` ends in a slash (empty `where`: just the file). */
export function fileIn(where: string, file: string): string {
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
  let json: unknown;
  try {
    json = JSON.parse(configJsonText);
  } catch (e) {
    throw new ModelError(`${configFile}: not valid JSON (${(e as Error).message})`);
  }
  const config = configFromHuggingFace(json, configFile);
  checkSameMath(json as Record<string, unknown>, configFile);
  const file = parseSafetensors(safetensorsBytes, fileIn(where, WEIGHTS_FILE));
  return { config, weights: weightsFromFile(config, file, options.halfEmbeddings ?? false) };
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
function weightsFromFile(config: GPTConfig, file: SafetensorsFile, halfEmbeddings: boolean): GPTWeights<EmbeddingTable> {
  const fail = (problem: string): never => {
    throw new ModelError(`${file.where}: ${problem}`);
  };
  const used = new Set<string>();
  const arrays = new Map<string, Float32Array>();
  let wteHalves: HalfArray | null = null;
  const configSays = `config.json says n_layer=${config.nLayer}, n_embd=${config.nEmbd}, vocab_size=${config.vocabSize}, n_positions=${config.nPositions}`;

  for (const { name, shape } of parameterShapes(config)) {
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
    const halves = halfEmbeddings && name === 'wte.weight' ? tensorHalves(file, key!) : null;
    if (halves) {
      const bad = halves.firstNonFinite();
      if (bad >= 0) fail(`tensor "${key}" holds ${halfBitsToFloat(halves.bits[bad])} at index ${bad}; weights must be finite numbers`);
      wteHalves = halves;
      continue;
    }
    const data = tensorFloat32(file, key!);
    for (let i = 0; i < data.length; i++) {
      // v - v is 0 for finite numbers and NaN for NaN and ±Infinity: one cheap test per value.
      if (data[i] - data[i] !== 0) fail(`tensor "${key}" holds ${data[i]} at index ${i}; weights must be finite numbers`);
    }
    arrays.set(name, data);
  }

  // A tied model may still store its head; it must then be the embedding table itself.
  if (config.tieWordEmbeddings && file.entries.has('lm_head.weight')) {
    used.add('lm_head.weight');
    const head = file.entries.get('lm_head.weight')!;
    const wte = wteHalves ? wteHalves.toFloat32() : arrays.get('wte.weight')!;
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
  const named = (name: string) => arrays.get(name)!;
  return wteHalves ? weightsFromNamed(config, named, wteHalves) : weightsFromNamed(config, named);
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
