// The loss of a saved model on a token sequence: consecutive non-overlapping windows of T
// tokens, each predicting its next token at every position, averaged over all predictions.
// Runs on the trainer's batched forward pass (same numbers as GPT.forward, a test checks it).

import type { GPTConfig } from '../model/config.ts';
import { architectureOf, type LanguageModel } from '../model/language-model.ts';
import { namedParameters, type GPTWeights } from '../model/weights.ts';
import type { TrainingKernels } from '../kernels/training.ts';
import { TrainModel } from './model.ts';
import { compactTable, toCompactIds, vocabFromIdenticalRows } from './vocab.ts';

export interface LossResult {
  /** Predictions scored. */
  tokens: number;
  /** Mean −log p(next token), in nats. */
  loss: number;
}

/**
 * ids: the split's token ids. T: window length (≤ the model's context). At most maxTokens
 * predictions are scored (Infinity: the whole split, dropping the last partial window).
 */
export function sequenceLoss(
  config: GPTConfig, weights: GPTWeights, ids: Int32Array, T: number, kernels: TrainingKernels, maxTokens = Infinity, batch = 8,
): LossResult {
  const C = config.nEmbd;
  // Identical embedding rows (tokens a trained model never saw) are computed once: exact.
  const vocab = config.tieWordEmbeddings ? vocabFromIdenticalRows(weights.wte, config.vocabSize, C) : null;
  const compactConfig = vocab ? { ...config, vocabSize: vocab.fromCompact.length } : config;
  const model = new TrainModel(compactConfig, kernels, vocab ? vocab.shared : 0);
  const source = new Map(namedParameters(config, weights).map((p) => [p.name, p.data]));
  for (const s of model.slots) {
    const data = source.get(s.name)!;
    model.params.set(vocab && s.name === 'wte.weight' ? compactTable(vocab, data, C) : data, s.offset);
  }
  const compact = vocab ? toCompactIds(vocab, ids) : ids;
  const windows = Math.min(Math.floor((ids.length - 1) / T), Math.floor(maxTokens / T));
  let sum = 0;
  for (let w0 = 0; w0 < windows; w0 += batch) {
    const B = Math.min(batch, windows - w0);
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = (w0 + b) * T;
      inputs.set(compact.subarray(start, start + T), b * T);
      targets.set(compact.subarray(start + 1, start + T + 1), b * T);
    }
    sum += model.forward(inputs, targets, B, T) * B * T;
  }
  const tokens = windows * T;
  return { tokens, loss: sum / tokens };
}

/**
 * The same loss through a model's own forward pass, one window at a time: for the Llama family,
 * which the trainer does not build. Each row's −log p is its log-sum-exp minus the target's
 * logit, in float64.
 */
export function forwardLoss(model: LanguageModel, ids: Int32Array, T: number, maxTokens = Infinity): LossResult {
  const V = architectureOf(model).vocabSize;
  const windows = Math.min(Math.floor((ids.length - 1) / T), Math.floor(maxTokens / T));
  let sum = 0;
  for (let w = 0; w < windows; w++) {
    const start = w * T;
    const { logits } = model.forward(Array.from(ids.subarray(start, start + T))); // T × V
    for (let t = 0; t < T; t++) {
      const row = logits.subarray(t * V, (t + 1) * V);
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, row[v]);
      let total = 0;
      for (let v = 0; v < V; v++) total += Math.exp(row[v] - max);
      sum += max + Math.log(total) - row[ids[start + t + 1]];
    }
  }
  const tokens = windows * T;
  return { tokens, loss: sum / tokens };
}
