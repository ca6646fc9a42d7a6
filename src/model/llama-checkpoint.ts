// A Llama-family model from the files of a Hugging Face folder: config.json and the weights,
// in one model.safetensors or in shards named by model.safetensors.index.json, and its own
// tokenizer (tokenizer.json, tokenizer_config.json). Held as bytes and text so the page can use
// it too; llama-checkpoint-node.ts reads folders. F32, F16 and BF16 are widened to floats. Every
// tensor the config calls for must be there with its shape. Also: which family a config.json names.

import { ModelError } from './config.ts';
import { llamaConfigFromJson, llamaParameterCount, type LlamaConfig } from './llama-config.ts';
import type { LlamaBlockWeights, LlamaWeights } from './llama.ts';
import { parseSafetensors, tensorFloat32, type SafetensorsFile } from './safetensors.ts';
import { HuggingFaceTokenizer } from '../tokenizer/huggingface.ts';
import { TokenizerError } from '../tokenizer/errors.ts';

export const TOKENIZER_JSON = 'tokenizer.json';
export const TOKENIZER_CONFIG = 'tokenizer_config.json';

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

/** A JSON object from a model folder's file; ModelError naming `where` for anything else. */
export function jsonObject(text: string, where: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelError(`${where}: expected a JSON object`);
  return json as Record<string, unknown>;
}

/** A folder's own tokenizer from tokenizer.json's text and tokenizer_config.json's (null when absent). */
export function folderTokenizer(tokenizerText: string, configText: string | null, where: string): HuggingFaceTokenizer {
  const config = configText === null ? {} : jsonObject(configText, `${where}/${TOKENIZER_CONFIG}`);
  const path = `${where}/${TOKENIZER_JSON}`;
  try {
    return new HuggingFaceTokenizer(jsonObject(tokenizerText, path), config, path);
  } catch (e) {
    if (e instanceof TokenizerError) throw new ModelError(e.message);
    throw e;
  }
}

/**
 * Throws ModelError when weight files of `bytes` in all cannot hold what the config calls for,
 * at 2 bytes a number (F16 and BF16; F32 takes twice that): a config from another model, or a
 * cut file, is refused before the weights are read or downloaded.
 */
export function checkLlamaWeightsFit(config: LlamaConfig, bytes: number, weightsFile: string, configFile: string): void {
  const needed = 2 * llamaParameterCount(config);
  if (bytes >= needed) return;
  throw new ModelError(
    `${weightsFile} holds ${bytes.toLocaleString('en-US')} bytes, but ${configFile} needs at least ${needed.toLocaleString('en-US')} ` +
      `for its ${llamaParameterCount(config).toLocaleString('en-US')} parameters (hidden_size=${config.hidden}, num_hidden_layers=${config.nLayer}, ` +
      `intermediate_size=${config.intermediate}, vocab_size=${config.vocabSize}); this config.json belongs to another model or the file is incomplete`,
  );
}

/** The config and weights from config.json's object and the bytes of each weights file by name. */
export function llamaFromFiles(configJson: Record<string, unknown>, files: ReadonlyMap<string, Uint8Array>, where: string): { config: LlamaConfig; weights: LlamaWeights } {
  const config = llamaConfigFromJson(configJson, `${where}/config.json`);
  const parsed: SafetensorsFile[] = [...files].map(([name, bytes]) => parseSafetensors(bytes, `${where}/${name}`));
  const owner = new Map<string, SafetensorsFile>();
  for (const f of parsed) for (const name of f.entries.keys()) owner.set(name, f);
  const used = new Set<string>();
  const { hidden: C, intermediate: I, nHead, nKvHead, headDim: D, vocabSize: V } = config;
  const says = `config.json says hidden_size=${C}, num_attention_heads=${nHead}, num_key_value_heads=${nKvHead}, head_dim=${D}, intermediate_size=${I}, vocab_size=${V}`;

  const get = (name: string, shape: number[]): Float32Array => {
    const f = owner.get(name);
    if (!f) throw new ModelError(`${where}: tensor "${name}" is missing from the weights; ${says}`);
    const entry = f.entries.get(name)!;
    if (entry.shape.join(',') !== shape.join(',')) {
      throw new ModelError(`${f.where}: tensor "${name}" has shape [${entry.shape.join(', ')}], expected [${shape.join(', ')}]; ${says}`);
    }
    used.add(name);
    const data = tensorFloat32(f, name);
    for (let i = 0; i < data.length; i++) {
      if (data[i] - data[i] !== 0) throw new ModelError(`${f.where}: tensor "${name}" holds ${data[i]} at index ${i}; weights must be finite numbers`);
    }
    return data;
  };
  const maybe = (name: string, shape: number[], wanted: boolean): Float32Array | null => (wanted ? get(name, shape) : null);

  const layers: LlamaBlockWeights[] = [];
  for (let l = 0; l < config.nLayer; l++) {
    const p = `model.layers.${l}`;
    layers.push({
      input_layernorm: get(`${p}.input_layernorm.weight`, [C]),
      q_proj: get(`${p}.self_attn.q_proj.weight`, [nHead * D, C]),
      k_proj: get(`${p}.self_attn.k_proj.weight`, [nKvHead * D, C]),
      v_proj: get(`${p}.self_attn.v_proj.weight`, [nKvHead * D, C]),
      q_bias: maybe(`${p}.self_attn.q_proj.bias`, [nHead * D], config.qkvBias),
      k_bias: maybe(`${p}.self_attn.k_proj.bias`, [nKvHead * D], config.qkvBias),
      v_bias: maybe(`${p}.self_attn.v_proj.bias`, [nKvHead * D], config.qkvBias),
      o_proj: get(`${p}.self_attn.o_proj.weight`, [C, nHead * D]),
      post_attention_layernorm: get(`${p}.post_attention_layernorm.weight`, [C]),
      gate_proj: get(`${p}.mlp.gate_proj.weight`, [I, C]),
      up_proj: get(`${p}.mlp.up_proj.weight`, [I, C]),
      down_proj: get(`${p}.mlp.down_proj.weight`, [C, I]),
    });
  }
  const embed = get('model.embed_tokens.weight', [V, C]);
  const norm = get('model.norm.weight', [C]);
  let head: Float32Array | null = null;
  if (!config.tieWordEmbeddings) {
    if (!owner.has('lm_head.weight')) {
      throw new ModelError(`${where}: tensor "lm_head.weight" is missing, and config.json has tie_word_embeddings false (the default for this family); set it true if the head is the embedding table`);
    }
    head = get('lm_head.weight', [V, C]);
  } else if (owner.has('lm_head.weight')) {
    used.add('lm_head.weight'); // a tied model may store its head too; the embedding table is used
  }
  // Rotary tables some older checkpoints store are recomputed from the config.
  const unexpected = [...owner.keys()].filter((k) => !used.has(k) && !/\.rotary_emb\.inv_freq$/.test(k));
  if (unexpected.length > 0) {
    const list = unexpected.slice(0, 3).map((k) => `"${k}"`).join(', ') + (unexpected.length > 3 ? `, … (${unexpected.length} in all)` : '');
    throw new ModelError(`${where}: the weights hold tensors this config does not use: ${list}; does config.json belong to these files? (${says})`);
  }
  return { config, weights: { embed_tokens: embed, layers, norm, lm_head: head } };
}
