// What a model is, for everything that shows it (explanations, scenes, the page, the CLI): its
// sizes under GPT-2's names where they mean the same, and which variant of each step it has.
// GPT-2 (config.ts) and the Llama family (llama-config.ts) each describe themselves here, so a
// scene asks "does this model have a position table?" rather than "is this GPT-2?".

import type { GPTConfig } from './config.ts';
import type { LlamaConfig } from './llama-config.ts';

export interface ModelConfig {
  /** "gpt2", or the Llama family's own: "llama" (also Mistral, SmolLM2, TinyLlama) or "qwen2". */
  family: 'gpt2' | 'llama' | 'qwen2';
  /** Number of Transformer blocks. */
  nLayer: number;
  /** Query heads per block. */
  nHead: number;
  /** Key/value heads per block: nHead in GPT-2; fewer means grouped-query attention. */
  nKvHead: number;
  /** Size of one head, H (C / nHead in GPT-2; a Llama config may set head_dim). */
  headDim: number;
  /** Width of the residual stream, C. */
  nEmbd: number;
  /** Width inside the feed-forward step: 4C in GPT-2, intermediate_size in the Llama family. */
  mlpWidth: number;
  /** Vocabulary size, V. */
  vocabSize: number;
  /** Longest context the model reads. */
  nPositions: number;
  /** Added inside every normalization (GPT-2's layer_norm_epsilon, Llama's rms_norm_eps). */
  layerNormEpsilon: number;
  /** True when the output head is the token embedding table itself. */
  tieWordEmbeddings: boolean;
  /** Layer norm (mean subtracted, scale and shift) or RMSNorm (no mean, no shift). */
  norm: 'layernorm' | 'rmsnorm';
  /** A learned table of position rows added to the tokens', or RoPE turning queries and keys. */
  positions: 'table' | 'rope';
  /** RoPE's base θ (null without RoPE). */
  ropeTheta: number | null;
  /** GELU between two matrices, or SwiGLU: silu(gate) × up, then down. */
  mlp: 'gelu' | 'swiglu';
  /** Which linear maps add a bias: all of them (GPT-2), only q/k/v (Qwen2), or none. */
  biases: 'all' | 'qkv' | 'none';
}

export function describeGpt2(config: GPTConfig): ModelConfig {
  return {
    family: 'gpt2',
    nLayer: config.nLayer,
    nHead: config.nHead,
    nKvHead: config.nHead,
    headDim: config.nEmbd / config.nHead,
    nEmbd: config.nEmbd,
    mlpWidth: 4 * config.nEmbd,
    vocabSize: config.vocabSize,
    nPositions: config.nPositions,
    layerNormEpsilon: config.layerNormEpsilon,
    tieWordEmbeddings: config.tieWordEmbeddings,
    norm: 'layernorm',
    positions: 'table',
    ropeTheta: null,
    mlp: 'gelu',
    biases: 'all',
  };
}

export function describeLlama(config: LlamaConfig): ModelConfig {
  return {
    family: config.family,
    nLayer: config.nLayer,
    nHead: config.nHead,
    nKvHead: config.nKvHead,
    headDim: config.headDim,
    nEmbd: config.hidden,
    mlpWidth: config.intermediate,
    vocabSize: config.vocabSize,
    nPositions: config.maxPositions,
    layerNormEpsilon: config.rmsNormEps,
    tieWordEmbeddings: config.tieWordEmbeddings,
    norm: 'rmsnorm',
    positions: 'rope',
    ropeTheta: config.ropeTheta,
    mlp: 'swiglu',
    biases: config.qkvBias ? 'qkv' : 'none',
  };
}
