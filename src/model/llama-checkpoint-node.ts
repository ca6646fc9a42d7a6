// Llama-family folders on disk (Node only), and modelFromDir, which picks the family from
// config.json: GPT-2 folders go through checkpoint-node.ts exactly as before.

import { join } from 'node:path';
import { ModelError } from './config.ts';
import { loadModelDir, type LoadedModelDir } from './checkpoint-node.ts';
import { readIfPresent } from './read-file-node.ts';
import { familyOf, folderTokenizer, jsonObject, llamaFromFiles, TOKENIZER_CONFIG, TOKENIZER_JSON } from './llama-checkpoint.ts';
import { INDEX_FILE, shardsOfIndex } from './shards.ts';
import { llamaConfigFromJson, type LlamaConfig } from './llama-config.ts';
import { llamaPrecision, type Precision } from './memory.ts';
import type { LlamaWeights } from './llama.ts';
import type { HuggingFaceTokenizer } from '../tokenizer/huggingface.ts';

async function configJson(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, 'config.json');
  const bytes = await readIfPresent(path);
  if (bytes === null) throw new ModelError(`${path} is missing; a model folder must contain config.json and its weights`);
  return jsonObject(bytes.toString('utf8'), path);
}

/**
 * A Llama-family folder: config.json and model.safetensors, or the shards its index names. With
 * `memoryLimit` (the kernels' memory, in bytes), a model that cannot fit it is refused before any
 * weights file is read; `halves` allows one that fits only as 16-bit halves (the precision says
 * which: llamaPrecision).
 */
export async function loadLlamaDir(dir: string, memoryLimit = Infinity, halves = false): Promise<{ config: LlamaConfig; weights: LlamaWeights; precision: Precision }> {
  const json = await configJson(dir);
  const precision = llamaPrecision(llamaConfigFromJson(json, join(dir, 'config.json')), memoryLimit, dir, halves);
  const files = new Map<string, Uint8Array>();
  const index = await readIfPresent(join(dir, INDEX_FILE));
  const names = index !== null ? shardsOfIndex(index.toString('utf8'), join(dir, INDEX_FILE)) : ['model.safetensors'];
  for (const name of names) {
    const bytes = await readIfPresent(join(dir, name));
    if (bytes === null) {
      throw new ModelError(index !== null ? `${join(dir, name)} is missing; ${INDEX_FILE} names it` : `${join(dir, name)} is missing (and there is no ${INDEX_FILE} naming shards)`);
    }
    files.set(name, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  return { ...llamaFromFiles(json, files, dir), precision };
}

export type LoadedAnyModel =
  | ({ family: 'gpt2' } & LoadedModelDir)
  | ({ family: 'llama' } & { config: LlamaConfig; weights: LlamaWeights });

/** Any supported folder, its family chosen by config.json. */
export async function modelFromDir(dir: string): Promise<LoadedAnyModel> {
  const family = familyOf(await configJson(dir), join(dir, 'config.json'));
  if (family === 'gpt2') return { family, ...(await loadModelDir(dir)) };
  return { family, ...(await loadLlamaDir(dir)) };
}

/** A Llama-family folder's own tokenizer: tokenizer.json, with tokenizer_config.json's special tokens. */
export async function loadFolderTokenizer(dir: string): Promise<HuggingFaceTokenizer> {
  const path = join(dir, TOKENIZER_JSON);
  const bytes = await readIfPresent(path);
  if (bytes === null) throw new ModelError(`${path} is missing; a Llama-family folder needs its tokenizer.json (and tokenizer_config.json) beside config.json`);
  const config = await readIfPresent(join(dir, TOKENIZER_CONFIG));
  return folderTokenizer(bytes.toString('utf8'), config === null ? null : config.toString('utf8'), dir);
}

/**
 * Whether config.json in `dir` names a Llama-family model. Anything else (GPT-2, no folder, a
 * broken config.json) is false, so the GPT-2 loader reports it exactly as before.
 */
export async function isLlamaDir(dir: string): Promise<boolean> {
  try {
    return familyOf(await configJson(dir), join(dir, 'config.json')) === 'llama';
  } catch {
    return false;
  }
}
