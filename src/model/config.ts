// The model's shape: one small record passed explicitly everywhere, named like GPT-2's config.json.
// Validation lives here so every loader (files, trainer, page) rejects the same bad shapes.

export interface GPTConfig {
  /** Number of Transformer blocks (GPT-2 small: 12). */
  nLayer: number;
  /** Attention heads per block (GPT-2 small: 12). */
  nHead: number;
  /** Width of the residual stream, C (GPT-2 small: 768). */
  nEmbd: number;
  /** Vocabulary size, V (GPT-2: 50,257). */
  vocabSize: number;
  /** Longest context the position table covers (GPT-2: 1,024). */
  nPositions: number;
  /** Added to the variance inside every layer norm (GPT-2: 1e-5). */
  layerNormEpsilon: number;
  /** True when the output head is the token embedding table itself. */
  tieWordEmbeddings: boolean;
}

export const GPT2_SMALL: GPTConfig = {
  nLayer: 12,
  nHead: 12,
  nEmbd: 768,
  vocabSize: 50257,
  nPositions: 1024,
  layerNormEpsilon: 1e-5,
  tieWordEmbeddings: true,
};

/** Thrown for any model file or config problem; the message names the file and what to do. */
export class ModelError extends Error {
  override name = 'ModelError';
}

/** Head size H = C / n_head. */
export function headSize(config: GPTConfig): number {
  return config.nEmbd / config.nHead;
}

/** config.json's name for each size field, so messages name the field as the file spells it. */
export const FIELD_NAMES = {
  nLayer: 'n_layer',
  nHead: 'n_head',
  nEmbd: 'n_embd',
  vocabSize: 'vocab_size',
  nPositions: 'n_positions',
} as const;

/**
 * The largest value each size may take. Far above any GPT-2 (XL: 48 layers, 25 heads, width
 * 1,600, 50,257 tokens, 1,024 positions) or Llama-family model (at most about 256,000 tokens,
 * width 16,384, 126 layers), yet small enough that a config.json with a typo or from some other
 * program is refused before a single table is sized from it.
 */
export const CONFIG_LIMITS: Readonly<Record<keyof typeof FIELD_NAMES, number>> = {
  nLayer: 1_000,
  nHead: 1_024,
  nEmbd: 65_536,
  vocabSize: 1_000_000,
  nPositions: 1_048_576,
};

/**
 * Throws ModelError unless every size is a positive integer no larger than CONFIG_LIMITS and C
 * divides evenly into heads. Messages use config.json's field names.
 */
export function validateConfig(config: GPTConfig, where = 'config'): GPTConfig {
  for (const key of Object.keys(FIELD_NAMES) as (keyof typeof FIELD_NAMES)[]) {
    const value = config[key];
    const field = FIELD_NAMES[key];
    if (!Number.isInteger(value) || value <= 0) {
      throw new ModelError(`${where}: ${field} must be a positive integer, got ${JSON.stringify(value)}`);
    }
    if (value > CONFIG_LIMITS[key]) {
      throw new ModelError(
        `${where}: ${field} is ${value.toLocaleString('en-US')}, more than this program accepts (at most ${CONFIG_LIMITS[key].toLocaleString('en-US')}); ` +
          `no GPT-2-style model is that large, so the file is probably mistyped or not a model's config.json: fix ${field} or use the config.json that came with the weights`,
      );
    }
  }
  if (config.nEmbd % config.nHead !== 0) {
    throw new ModelError(
      `${where}: n_embd (${config.nEmbd}) is not divisible by n_head (${config.nHead}); each head needs an equal share of the width`,
    );
  }
  if (!(config.layerNormEpsilon > 0) || !Number.isFinite(config.layerNormEpsilon)) {
    throw new ModelError(`${where}: layer_norm_epsilon must be a positive number, got ${config.layerNormEpsilon}`);
  }
  return config;
}

/** Number of parameters, counting a tied head once (as GPT-2's "124M" does). */
export function parameterCount(config: GPTConfig): number {
  const { nLayer: L, nEmbd: C, vocabSize: V, nPositions: P } = config;
  const block = 2 * 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C);
  return V * C + P * C + L * block + 2 * C + (config.tieWordEmbeddings ? 0 : V * C);
}

/** Reads Hugging Face's GPT-2 config.json fields (with their defaults) into a GPTConfig. */
export function configFromHuggingFace(json: unknown, where = 'config.json'): GPTConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ModelError(`${where}: expected a JSON object with n_embd, n_head, n_layer, ...`);
  }
  const j = json as Record<string, unknown>;
  const num = (key: string, fallback?: number): number => {
    const v = j[key] ?? fallback;
    if (typeof v !== 'number') {
      throw new ModelError(`${where}: "${key}" must be a number, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  return validateConfig(
    {
      nLayer: num('n_layer'),
      nHead: num('n_head'),
      nEmbd: num('n_embd'),
      vocabSize: num('vocab_size', 50257),
      nPositions: num('n_positions', (j['n_ctx'] as number | undefined) ?? 1024),
      layerNormEpsilon: num('layer_norm_epsilon', 1e-5),
      tieWordEmbeddings: j['tie_word_embeddings'] === undefined ? true : j['tie_word_embeddings'] === true,
    },
    where,
  );
}

/** The config.json our trainer writes: Hugging Face's field names, so transformers can read it too. */
export function configToHuggingFace(config: GPTConfig): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_embd: config.nEmbd,
    n_positions: config.nPositions,
    n_ctx: config.nPositions,
    vocab_size: config.vocabSize,
    layer_norm_epsilon: config.layerNormEpsilon,
    tie_word_embeddings: config.tieWordEmbeddings,
    activation_function: 'gelu_new',
  };
}
