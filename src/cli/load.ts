// Loading the model and tokenizer for a command: `--model DIR`, or the embedded default model
// that ships in models/default/. Fast kernels are picked once here.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GPT } from '../model/gpt.ts';
import { loadModelDir, type LoadedModelDir } from '../model/checkpoint-node.ts';
import { isLlamaDir, loadFolderTokenizer, loadLlamaDir } from '../model/llama-checkpoint-node.ts';
import { Llama } from '../model/llama.ts';
import { architectureOf } from '../model/language-model.ts';
import { checkVocabulary, InputError } from '../model/explain.ts';
import { bestKernels, fastestBuild, wasmSimdSupported, type Kernels } from '../kernels/index.ts';
import { nodeThreadedKernels } from '../kernels/parallel/node.ts';
import { TWO_THREADS_FROM_PARAMETERS } from '../kernels/parallel/threaded.ts';
import { configFromText } from '../model/checkpoint.ts';
import { parameterCount } from '../model/config.ts';
import { llamaParameterCount } from '../model/llama-config.ts';
import { gpt2Tokenizer, type Tokenizer } from '../tokenizer/index.ts';
import { CommandError } from './usage.ts';

/** The embedded model's folder, found from this file so it works from any working directory. */
const DEFAULT_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../models/default');

interface CliModel {
  model: GPT;
  tokenizer: Tokenizer;
  /** A short name for display: the folder's name. */
  name: string;
  dir: string;
}

function modelDir(dir: string | undefined): string {
  if (dir !== undefined) return resolve(dir);
  if (!existsSync(join(DEFAULT_MODEL_DIR, 'config.json'))) {
    throw new CommandError(
      `no embedded model at ${DEFAULT_MODEL_DIR}; pass --model DIR, a folder with config.json and model.safetensors (Hugging Face's GPT-2 layout)`,
    );
  }
  return DEFAULT_MODEL_DIR;
}

const nameOf = (path: string): string => (path === DEFAULT_MODEL_DIR ? 'embedded model' : path.split(/[\\/]/).filter(Boolean).pop() ?? path);

/** Whether --model names a Llama-family folder (else a GPT-2 one, or the embedded model). */
export async function isLlamaForCli(dir: string | undefined): Promise<boolean> {
  return isLlamaDir(modelDir(dir));
}

/**
 * A GPT-2 folder's model for inference: its large matrices go straight into the fast kernels'
 * memory as the files are read (as halves when floats would not fit: GPT-2 XL), so no copy stays
 * in JavaScript.
 */
async function loadGpt2(path: string): Promise<CliModel> {
  const kernels = kernelsFor(gpt2Parameters(path));
  const loaded = await loadModelDir(path, { kernels });
  return { model: new GPT(loaded.config, loaded.weights, kernels), tokenizer: loaded.tokenizer, name: nameOf(path), dir: path };
}

/**
 * The fastest kernels for a model of `parameters`: on two threads (a worker thread taking half of
 * each large product, the same numbers to the bit) from TWO_THREADS_FROM_PARAMETERS up, as in
 * the page.
 */
function kernelsFor(parameters: number, halfWeights = false): Kernels {
  if (parameters < TWO_THREADS_FROM_PARAMETERS || !wasmSimdSupported()) return bestKernels({ halfWeights });
  return nodeThreadedKernels({ build: fastestBuild(), halfWeights });
}

/** A GPT-2 folder's parameter count from its config.json, or 0 if that cannot be read (the load then says why). */
function gpt2Parameters(path: string): number {
  try {
    return parameterCount(configFromText(readFileSync(join(path, 'config.json'), 'utf8'), join(path, 'config.json')));
  } catch {
    return 0;
  }
}

/** The weights as float arrays, for what computes with them outside the kernels (the loss). */
export async function loadWeightsForCli(dir: string | undefined): Promise<LoadedModelDir & { name: string }> {
  const path = modelDir(dir);
  return { ...(await loadModelDir(path)), name: nameOf(path) };
}

/** The tokenizer alone: the model folder's if one is given or embedded, else GPT-2's. */
export async function loadTokenizerFor(dir: string | undefined): Promise<Tokenizer> {
  if (dir === undefined && !existsSync(join(DEFAULT_MODEL_DIR, 'config.json'))) return gpt2Tokenizer();
  // A Llama-family folder reads with its own tokenizer.json; GPT-2 folders exactly as before.
  if (dir !== undefined && (await isLlamaDir(resolve(dir)))) return loadFolderTokenizer(resolve(dir));
  return (await loadModelDir(modelDir(dir))).tokenizer;
}

/** Encodes a prompt, keeping only the last `window` tokens as generation does. */
export function promptIds(
  tokenizer: Tokenizer,
  prompt: string,
  window: number,
  vocabSize: number,
): { ids: number[]; dropped: number } {
  const all = tokenizer.encode(prompt);
  if (all.length === 0) throw new InputError('the prompt has no tokens; give some text');
  checkVocabulary(all, vocabSize, tokenizer);
  const dropped = Math.max(0, all.length - window);
  return { ids: all.slice(dropped), dropped };
}

export type AnyCliModel =
  | ({ family: 'gpt2'; context: number; vocabSize: number } & CliModel)
  | { family: 'llama'; context: number; vocabSize: number; model: Llama; tokenizer: Tokenizer; name: string; dir: string };

/** A GPT-2 folder (or the embedded model), or a Llama-family folder with its own tokenizer. */
export async function loadAnyForCli(dir: string | undefined): Promise<AnyCliModel> {
  const path = modelDir(dir);
  if (!(await isLlamaDir(path))) {
    const gpt = await loadGpt2(path);
    return { family: 'gpt2', context: gpt.model.config.nPositions, vocabSize: gpt.model.config.vocabSize, ...gpt };
  }
  // As GPT-2 XL's, matrices whose floats would not fit the kernels' memory are kept as halves.
  const { config, weights, precision } = await loadLlamaDir(path, bestKernels().memoryLimit, true);
  const model = new Llama(config, weights, kernelsFor(llamaParameterCount(config), precision === 'f16'));
  const { nPositions: context, vocabSize } = architectureOf(model);
  return {
    family: 'llama',
    context,
    vocabSize,
    model,
    tokenizer: await loadFolderTokenizer(path),
    name: nameOf(path),
    dir: path,
  };
}
