// The shape of a Llama-family model (Llama, Qwen2, SmolLM2, TinyLlama), read from config.json
// as transformers 4.x writes it (rope_theta + rope_scaling) or 5.x (rope_parameters), and the
// RoPE frequencies that config implies. See ../shared/docs/MODELS.md for the fields.

import { CONFIG_LIMITS, ModelError } from './config.ts';

type RopeScaling =
  | { kind: 'default' }
  | { kind: 'linear'; factor: number }
  | { kind: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

export interface LlamaConfig {
  family: 'llama' | 'qwen2';
  nLayer: number;
  /** Query heads. */
  nHead: number;
  /** Key/value heads; fewer than nHead means grouped-query attention. */
  nKvHead: number;
  /** Size of one head, D (hidden / heads unless config.json says head_dim). */
  headDim: number;
  /** Width of the residual stream, C. */
  hidden: number;
  /** Width of the MLP, I. */
  intermediate: number;
  vocabSize: number;
  maxPositions: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling;
  /** q/k/v projections carry biases (always in Qwen2; attention_bias in Llama). */
  qkvBias: boolean;
  tieWordEmbeddings: boolean;
}

const LLAMA_TYPES = new Set(['llama', 'mistral']);

/** Reads config.json's object; ModelError naming the field for anything we cannot run. */
export function llamaConfigFromJson(json: Record<string, unknown>, where = 'config.json'): LlamaConfig {
  const fail = (problem: string): never => {
    throw new ModelError(`${where}: ${problem}`);
  };
  // Limits as GPT-2's (config.ts): a mistyped config.json is refused before anything is sized from it.
  const count = (key: string, fallback: number | undefined, max: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    if ((v as number) > max) {
      fail(`"${key}" is ${(v as number).toLocaleString('en-US')}, more than this program accepts (at most ${max.toLocaleString('en-US')}); the file is probably mistyped or not a model's config.json`);
    }
    return v as number;
  };
  const L = CONFIG_LIMITS;
  const type = json.model_type;
  const family = type === 'qwen2' ? 'qwen2' : LLAMA_TYPES.has(type as string) ? 'llama' : fail(`model_type ${JSON.stringify(type)} is not a Llama-family model`);
  const hidden = count('hidden_size', undefined, L.nEmbd);
  const nHead = count('num_attention_heads', undefined, L.nHead);
  const nKvHead = count('num_key_value_heads', nHead, L.nHead);
  if (nHead % nKvHead !== 0) fail(`num_attention_heads (${nHead}) must be a multiple of num_key_value_heads (${nKvHead})`);
  const headDim = json.head_dim === undefined || json.head_dim === null ? hidden / nHead : count('head_dim', undefined, L.nEmbd);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) fail(`the head size ${headDim} must be an even whole number (RoPE turns pairs of dimensions)`);
  const act = json.hidden_act ?? 'silu';
  if (act !== 'silu') fail(`hidden_act ${JSON.stringify(act)} is not supported; the gated MLP here uses SiLU ("silu")`);
  if (json.mlp_bias === true) fail('mlp_bias true is not supported; the MLP projections here have no biases');
  if (json.use_sliding_window === true) fail('use_sliding_window true is not supported; attention here sees every earlier position');
  const eps = json.rms_norm_eps ?? 1e-6;
  if (typeof eps !== 'number' || !(eps > 0)) fail(`"rms_norm_eps" must be a positive number, got ${JSON.stringify(eps)}`);

  // 5.x: rope_parameters holds theta and the scaling; 4.x: rope_theta beside rope_scaling.
  const params = (json.rope_parameters ?? json.rope_scaling ?? null) as Record<string, unknown> | null;
  const theta = (json.rope_parameters as Record<string, unknown> | undefined)?.rope_theta ?? json.rope_theta ?? 10000;
  if (typeof theta !== 'number' || !(theta > 0)) fail(`"rope_theta" must be a positive number, got ${JSON.stringify(theta)}`);
  return {
    family,
    nLayer: count('num_hidden_layers', undefined, L.nLayer),
    nHead,
    nKvHead,
    headDim,
    hidden,
    intermediate: count('intermediate_size', undefined, 4 * L.nEmbd),
    vocabSize: count('vocab_size', undefined, L.vocabSize),
    maxPositions: count('max_position_embeddings', 2048, L.nPositions),
    rmsNormEps: eps as number,
    ropeTheta: theta as number,
    ropeScaling: ropeScaling(params, fail),
    qkvBias: family === 'qwen2' || json.attention_bias === true,
    // transformers' Llama and Qwen2 configs default to separate heads.
    tieWordEmbeddings: json.tie_word_embeddings === true,
  };
}

function ropeScaling(params: Record<string, unknown> | null, fail: (problem: string) => never): RopeScaling {
  if (params === null) return { kind: 'default' };
  const kind = params.rope_type ?? params.type ?? 'default';
  const num = (key: string): number => {
    const v = params[key];
    if (typeof v !== 'number' || !(v > 0)) fail(`rope scaling "${key}" must be a positive number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  if (kind === 'default') return { kind: 'default' };
  if (kind === 'linear') return { kind: 'linear', factor: num('factor') };
  if (kind === 'llama3') {
    return {
      kind: 'llama3',
      factor: num('factor'),
      lowFreqFactor: num('low_freq_factor'),
      highFreqFactor: num('high_freq_factor'),
      originalMaxPositions: num('original_max_position_embeddings'),
    };
  }
  return fail(`rope scaling type ${JSON.stringify(kind)} is not supported; this engine reads none, "linear" and "llama3"`);
}

/**
 * How fast each pair of dimensions turns: inv_freq[i] = θ^(−2i/D) radians per position for
 * i < D/2, then adjusted by the scaling kind (linear: all slowed by the factor; llama3: long
 * wavelengths slowed, short ones kept, the ones between blended).
 */
export function ropeFrequencies(config: LlamaConfig): Float64Array {
  const D = config.headDim;
  const inv = new Float64Array(D / 2);
  // float32 as transformers computes it, so angles match to the last bit we can.
  for (let i = 0; i < D / 2; i++) inv[i] = Math.fround(1 / Math.fround(config.ropeTheta ** Math.fround((2 * i) / D)));
  const s = config.ropeScaling;
  if (s.kind === 'linear') for (let i = 0; i < inv.length; i++) inv[i] /= s.factor;
  if (s.kind === 'llama3') {
    const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
    const highWavelen = s.originalMaxPositions / s.highFreqFactor;
    for (let i = 0; i < inv.length; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowWavelen) inv[i] /= s.factor;
      else if (wavelen >= highWavelen) {
        const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        inv[i] = (1 - smooth) * (inv[i] / s.factor) + smooth * inv[i];
      }
    }
  }
  return inv;
}

/** Number of parameters, counting a tied head once. */
export function llamaParameterCount(config: LlamaConfig): number {
  const { hidden: C, nHead, nKvHead, headDim: D, intermediate: I, vocabSize: V, nLayer } = config;
  const attention = C * nHead * D + 2 * C * nKvHead * D + nHead * D * C + (config.qkvBias ? (nHead + 2 * nKvHead) * D : 0);
  const block = 2 * C + attention + 3 * C * I; // two RMSNorm weights, attention, gate/up/down
  return V * C + nLayer * block + C + (config.tieWordEmbeddings ? 0 : V * C);
}
