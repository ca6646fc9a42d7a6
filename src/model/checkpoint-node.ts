// Model folders on disk (Node only): reading config.json, model.safetensors and the optional
// animated-transformer.json, and writing all three without ever leaving a half-written file.

import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelError, type GPTConfig } from './config.ts';
import type { GPTWeights } from './weights.ts';
import { readIfPresent } from './read-file-node.ts';
import { CONFIG_FILE, WEIGHTS_FILE, compactCheckpoint, configFromText, modelFromFiles, modelToFiles, type LoadedModel } from './checkpoint.ts';
import { describeTokenizer, loadTokenizer, type Tokenizer } from '../tokenizer/index.ts';
import { TOKENIZER_FILE, parseTokenizerDescription, tokenizerDescriptionText } from './tokenizer-file.ts';

export interface LoadedModelDir extends LoadedModel {
  /** From animated-transformer.json; GPT-2's when the folder has none. */
  tokenizer: Tokenizer;
}

const FOLDER_NEEDS = `a model folder must contain ${CONFIG_FILE} and ${WEIGHTS_FILE} (Hugging Face's GPT-2 layout), and may contain ${TOKENIZER_FILE}`;

/** Loads and checks a model folder. Throws ModelError saying which file is wrong and how. */
export async function loadModelDir(dir: string): Promise<LoadedModelDir> {
  const info = await stat(dir).catch(() => null);
  if (info === null) throw new ModelError(`${dir}: no such folder; ${FOLDER_NEEDS}`);
  if (!info.isDirectory()) throw new ModelError(`${dir}: is a file, not a folder; ${FOLDER_NEEDS}`);

  const configBytes = await readIfPresent(join(dir, CONFIG_FILE));
  if (configBytes === null) throw new ModelError(`${join(dir, CONFIG_FILE)} is missing; ${FOLDER_NEEDS}`);
  // Checked before the weights are read: a config with absurd sizes is refused at once.
  configFromText(configBytes.toString('utf8'), join(dir, CONFIG_FILE));
  const weightBytes = await readIfPresent(join(dir, WEIGHTS_FILE));
  if (weightBytes === null) {
    const torchOnly = (await readIfPresent(join(dir, 'pytorch_model.bin'))) !== null;
    const hint = torchOnly ? ' (pytorch_model.bin is not read: download or convert to model.safetensors)' : '';
    throw new ModelError(`${join(dir, WEIGHTS_FILE)} is missing${hint}; ${FOLDER_NEEDS}`);
  }
  const tokenizerBytes = await readIfPresent(join(dir, TOKENIZER_FILE));

  const model = modelFromFiles(configBytes.toString('utf8'), new Uint8Array(weightBytes.buffer, weightBytes.byteOffset, weightBytes.byteLength), dir);
  const description = parseTokenizerDescription(tokenizerBytes?.toString('utf8') ?? null, join(dir, TOKENIZER_FILE));
  const tokenizer = loadTokenizer(description);
  // Only a stated tokenizer is held to the model's vocabulary: a plain HF folder means GPT-2,
  // and the forward pass itself rejects ids beyond vocab_size.
  if (tokenizerBytes !== null && tokenizer.vocabSize > model.config.vocabSize) {
    throw new ModelError(
      `${join(dir, TOKENIZER_FILE)}: the ${tokenizer.kind} tokenizer has ${tokenizer.vocabSize} tokens but ${CONFIG_FILE} says vocab_size=${model.config.vocabSize}`,
    );
  }
  return { ...model, tokenizer };
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
