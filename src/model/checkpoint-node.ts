// Model folders on disk (Node only): reading config.json, the weights (model.safetensors, or the
// shards model.safetensors.index.json names, streamed from disk so a 6 GB file never sits in
// memory whole) and the optional animated-transformer.json, and writing them without ever
// leaving a half-written file.

import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelError, type GPTConfig } from './config.ts';
import type { EmbeddingTable, GPTWeights } from './weights.ts';
import { readIfPresent } from './read-file-node.ts';
import { CONFIG_FILE, WEIGHTS_FILE, compactCheckpoint, configFromText, modelToFiles, type LoadedModel } from './checkpoint.ts';
import { checkSourcesFit, readWeights, type ReadOptions, type WeightsSource } from './checkpoint-read.ts';
import { reserveFor, type MemoryPlan } from './memory.ts';
import { INDEX_FILE, parseIndex } from './shards.ts';
import type { WeightMatrix } from '../kernels/held.ts';
import { describeTokenizer, loadTokenizer, type Tokenizer } from '../tokenizer/index.ts';
import { TOKENIZER_FILE, parseTokenizerDescription, tokenizerDescriptionText } from './tokenizer-file.ts';

export interface LoadedModelDir<Table extends EmbeddingTable = Float32Array, Matrix extends WeightMatrix = Float32Array> extends LoadedModel<Table, Matrix> {
  /** From animated-transformer.json; GPT-2's when the folder has none. */
  tokenizer: Tokenizer;
  /** How the weights are kept, when kernels hold them. */
  plan?: MemoryPlan;
}

const FOLDER_NEEDS = `a model folder must contain ${CONFIG_FILE} and ${WEIGHTS_FILE} or the shards ${INDEX_FILE} names (Hugging Face's GPT-2 layout), and may contain ${TOKENIZER_FILE}`;

/** Bytes of a file on disk, in pieces of a few megabytes. */
function fileSource(dir: string, name: string, size: number): WeightsSource {
  return { name, size, chunks: () => createReadStream(join(dir, name), { highWaterMark: 4 << 20 }) };
}

/** A weights file's size, or null when it is not there. */
async function sizeOf(path: string): Promise<number | null> {
  const info = await stat(path).catch(() => null);
  return info?.isFile() ? info.size : null;
}

/**
 * Loads and checks a model folder. Throws ModelError saying which file is wrong and how. With
 * `options.kernels` that hold weights, the large matrices go straight into their memory (floats
 * when they fit, else halves: see memoryPlan), after a plan that refuses a model too large.
 */
export async function loadModelDir(dir: string): Promise<LoadedModelDir>;
export async function loadModelDir(dir: string, options: ReadOptions): Promise<LoadedModelDir<EmbeddingTable, WeightMatrix>>;
export async function loadModelDir(dir: string, options: ReadOptions = {}): Promise<LoadedModelDir<EmbeddingTable, WeightMatrix>> {
  const info = await stat(dir).catch(() => null);
  if (info === null) throw new ModelError(`${dir}: no such folder; ${FOLDER_NEEDS}`);
  if (!info.isDirectory()) throw new ModelError(`${dir}: is a file, not a folder; ${FOLDER_NEEDS}`);

  const configBytes = await readIfPresent(join(dir, CONFIG_FILE));
  if (configBytes === null) throw new ModelError(`${join(dir, CONFIG_FILE)} is missing; ${FOLDER_NEEDS}`);
  // Checked before the weights are read: a config with absurd sizes is refused at once.
  const config = configFromText(configBytes.toString('utf8'), join(dir, CONFIG_FILE));
  const indexBytes = await readIfPresent(join(dir, INDEX_FILE));
  const index = indexBytes === null ? null : parseIndex(indexBytes.toString('utf8'), join(dir, INDEX_FILE));
  const sources: WeightsSource[] = [];
  for (const name of index?.shards ?? [WEIGHTS_FILE]) {
    const size = await sizeOf(join(dir, name));
    if (size === null && index) throw new ModelError(`${join(dir, name)} is missing; ${INDEX_FILE} names it`);
    if (size === null) {
      const torchOnly = (await sizeOf(join(dir, 'pytorch_model.bin'))) !== null;
      const hint = torchOnly ? ' (pytorch_model.bin is not read: download or convert to model.safetensors)' : '';
      throw new ModelError(`${join(dir, WEIGHTS_FILE)} is missing${hint}; ${FOLDER_NEEDS}`);
    }
    sources.push(fileSource(dir, name, size!));
  }
  const tokenizerBytes = await readIfPresent(join(dir, TOKENIZER_FILE));
  const description = parseTokenizerDescription(tokenizerBytes?.toString('utf8') ?? null, join(dir, TOKENIZER_FILE));

  const tokenizer = loadTokenizer(description);
  // Only a stated tokenizer is held to the model's vocabulary: a plain HF folder means GPT-2,
  // and the forward pass itself rejects ids beyond vocab_size.
  if (tokenizerBytes !== null && tokenizer.vocabSize > config.vocabSize) {
    throw new ModelError(
      `${join(dir, TOKENIZER_FILE)}: the ${tokenizer.kind} tokenizer has ${tokenizer.vocabSize} tokens but ${CONFIG_FILE} says vocab_size=${config.vocabSize}`,
    );
  }
  checkSourcesFit(config, sources, index, dir);
  const plan = options.kernels ? reserveFor(config, options.kernels, dir, options.precision) : undefined;
  const weights = await readWeights(config, sources, index, dir, { ...options, precision: plan?.precision ?? options.precision });
  return { config, weights, tokenizer, plan };
}

/** Only the tokenizer a model folder names (GPT-2's when it has no animated-transformer.json). */
export async function loadTokenizerFromDir(dir: string): Promise<Tokenizer> {
  const path = join(dir, TOKENIZER_FILE);
  const bytes = await readIfPresent(path);
  return loadTokenizer(parseTokenizerDescription(bytes?.toString('utf8') ?? null, path));
}

/**
 * Writes `data` under a temporary name in the same folder, then renames it into place, so a
 * crash or kill never leaves a half-written file under the real name. Failures become the
 * error `fail` makes from the message (ModelError by default).
 */
export async function writeAtomically(
  path: string,
  data: string | Uint8Array,
  fail: (message: string) => Error = (message) => new ModelError(message),
): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (e) {
    await rm(temporary, { force: true });
    throw fail(`${path}: cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export interface SaveOptions {
  /** How model.safetensors stores numbers (F16 halves the size; values must fit ±65504). */
  dtype?: 'F32' | 'F16';
  /** Recorded in animated-transformer.json so the model reloads with the same ids. */
  tokenizer: Tokenizer;
  /** Store each distinct token-embedding row once (compactCheckpoint's shared-row layout), which every loader reads. */
  sharedRows?: boolean;
}

/** Writes config.json, model.safetensors and animated-transformer.json into `dir` (created if needed). */
export async function saveModelDir(dir: string, config: GPTConfig, weights: GPTWeights, options: SaveOptions): Promise<void> {
  if (options.tokenizer.vocabSize > config.vocabSize) {
    throw new ModelError(`${dir}: the tokenizer has ${options.tokenizer.vocabSize} tokens but the model only ${config.vocabSize}`);
  }
  // Everything that can fail on bad values happens before the first file is touched.
  const files = modelToFiles(config, weights, options.dtype ?? 'F32');
  const { configJsonText } = files;
  const safetensorsBytes = options.sharedRows ? compactCheckpoint(files.safetensorsBytes, join(dir, WEIGHTS_FILE)) : files.safetensorsBytes;
  const tokenizerText = tokenizerDescriptionText(describeTokenizer(options.tokenizer));
  await mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new ModelError(`${dir}: cannot create the folder (${e.code ?? e.message})`);
  });
  // Weights first and config last: a folder without config.json is never mistaken for a model.
  await writeAtomically(join(dir, WEIGHTS_FILE), safetensorsBytes);
  await writeAtomically(join(dir, TOKENIZER_FILE), tokenizerText);
  await writeAtomically(join(dir, CONFIG_FILE), configJsonText);
}
