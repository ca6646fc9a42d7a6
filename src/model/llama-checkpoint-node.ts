// Llama-family folders on disk (Node only), and modelFromDir, which picks the family from
// config.json: GPT-2 folders go through checkpoint-node.ts exactly as before.

import { join } from 'node:path';
import { ModelError } from './config.ts';
import { loadModelDir, type LoadedModelDir } from './checkpoint-node.ts';
import { readIfPresent } from './read-file-node.ts';
import { llamaFromFiles } from './llama-checkpoint.ts';
import { INDEX_FILE, shardsOfIndex } from './shards.ts';
import type { LlamaConfig } from './llama-config.ts';
import type { LlamaWeights } from './llama.ts';
import { HuggingFaceTokenizer } from '../tokenizer/huggingface.ts';
import { TokenizerError } from '../tokenizer/errors.ts';

export type ModelFamily = 'gpt2' | 'llama';

const GPT2_TYPES = new Set(['gpt2']);
const LLAMA_TYPES = new Set(['llama', 'qwen2', 'mistral']);

/** The family config.json names (model_type, else architectures); ModelError for others. */
export function familyOf(json: Record<string, unknown>, where: string): ModelFamily {
  const type = json.model_type;
  const arch = Array.isArray(json.architectures) ? String(json.architectures[0]) : '';
  if (GPT2_TYPES.has(type as string) || (type === undefined && arch.startsWith('GPT2'))) return 'gpt2';
  if (LLAMA_TYPES.has(type as string) || (type === undefined && /^(Llama|Qwen2|Mistral)ForCausalLM$/.test(arch))) return 'llama';
  if (type === undefined && arch === '' && json.n_embd !== undefined) return 'gpt2'; // our trainer's older folders
  throw new ModelError(
    `${where}: model_type ${JSON.stringify(type)} (${arch || 'no architectures'}) is not supported; this program runs GPT-2 ("gpt2") and Llama-family models ("llama", "qwen2", "mistral")`,
  );
}

async function configJson(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, 'config.json');
  const bytes = await readIfPresent(path);
  if (bytes === null) throw new ModelError(`${path} is missing; a model folder must contain config.json and its weights`);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ModelError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelError(`${path}: expected a JSON object`);
  return json as Record<string, unknown>;
}

/** A Llama-family folder: config.json and model.safetensors, or the shards its index names. */
export async function loadLlamaDir(dir: string): Promise<{ config: LlamaConfig; weights: LlamaWeights }> {
  const json = await configJson(dir);
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
  return llamaFromFiles(json, files, dir);
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
  const path = join(dir, 'tokenizer.json');
  const bytes = await readIfPresent(path);
  if (bytes === null) throw new ModelError(`${path} is missing; a Llama-family folder needs its tokenizer.json (and tokenizer_config.json) beside config.json`);
  const parse = (text: string, where: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ModelError(`${where}: not valid JSON (${(e as Error).message})`);
    }
  };
  const configBytes = await readIfPresent(join(dir, 'tokenizer_config.json'));
  const config = configBytes === null ? {} : (parse(configBytes.toString('utf8'), join(dir, 'tokenizer_config.json')) as Record<string, unknown>);
  try {
    return new HuggingFaceTokenizer(parse(bytes.toString('utf8'), path), config, path);
  } catch (e) {
    if (e instanceof TokenizerError) throw new ModelError(e.message);
    throw e;
  }
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
