// The logit lens: what the model would predict if it stopped reading at some depth. Each
// residual stream read (after the embeddings, after each block's attention, after each block)
// goes through the model's own final norm (GPT-2's ln_f, the Llama family's RMSNorm) and output
// head, then a softmax.
// Shape legend: T tokens, C width, V vocabulary, S stages (1 + 2 · n_layer), N tokens kept.

import { architectureOf, type LanguageModel } from './language-model.ts';
import type { ModelConfig } from './architecture.ts';
import { block, blockInput, type TraceName } from './registry.ts';
import { mostLikely } from './sampling.ts';
import { traced, type Trace } from './trace.ts';

export interface LensStage {
  /** Trace name of the residual stream read. */
  after: TraceName;
  /** T × V: a distribution over the vocabulary for every position. */
  probs: Float32Array;
}

/** How many of each stage's most likely tokens an explanation keeps (lensAt). */
export const LENS_TOP = 5;

/** The lens at one position, as an explanation keeps it: each stage's N most likely tokens. */
export interface LensReading {
  /** The position read, from 0. */
  position: number;
  /** S trace names, in order (lensStages). */
  stages: TraceName[];
  /** N: tokens kept per stage. */
  top: number;
  /** S × N token ids, each stage's most likely first. */
  ids: Int32Array;
  /** S × N their probabilities. */
  probs: Float32Array;
}

/**
 * The block input first (embed.sum, or embed.token in a model without a position table), then
 * h.L.resid_1 and h.L.out for each block, in order.
 */
export function lensStages(config: Pick<ModelConfig, 'nLayer' | 'positions'>): TraceName[] {
  const names: TraceName[] = [blockInput(0, config)];
  for (let l = 0; l < config.nLayer; l++) names.push(block(l, 'resid_1'), block(l, 'out'));
  return names;
}

/** rows × V: softmax(head(final norm(x))) for `rows` rows of x (rows × C), as the forward pass ends. */
function throughHead(model: LanguageModel, x: Float32Array, rows: number): Float32Array {
  // The forward pass's own softmax (the kernels' where they have one), so the last stage equals `probs`.
  return model.probabilities(model.finalLogits(x, rows), rows); // rows × V
}

/**
 * Every stage for every position. The head and the softmax run over all T rows, as the forward
 * pass runs them, so the last stage equals the trace's `probs` bit for bit with any kernels.
 */
export function logitLens(model: LanguageModel, trace: Trace): LensStage[] {
  return lensStages(architectureOf(model)).map((after) => {
    const x = traced(trace, after); // T × C
    return { after, probs: throughHead(model, x.data, x.shape[0]) };
  });
}

/** The n most likely tokens of one stage at one position, most likely first. */
export function lensTop(stage: LensStage, position: number, V: number, n: number): { id: number; prob: number }[] {
  const row = stage.probs.subarray(position * V, (position + 1) * V);
  return mostLikely(row, n).map((id) => ({ id, prob: row[id] }));
}

/**
 * The lens at one position: one head product of S − 1 rows (every stage but the last at this
 * position) instead of S × T, which is what makes it affordable per explanation for GPT-2
 * small's shape. The last stage is the forward pass's own final norm, head and softmax of the last
 * block's output, so it is read from the trace's `probs`: the model's prediction, exactly.
 */
export function lensAt(model: LanguageModel, trace: Trace, position: number, top = LENS_TOP): LensReading {
  const config = architectureOf(model);
  const { nEmbd: C, vocabSize: V } = config;
  const stages = lensStages(config);
  const S = stages.length;
  const N = Math.min(top, V);
  const rows = new Float32Array((S - 1) * C); // (S − 1) × C: each stage's row at `position`
  stages.slice(0, -1).forEach((name, s) => rows.set(traced(trace, name).data.subarray(position * C, (position + 1) * C), s * C));
  const probs = throughHead(model, rows, S - 1); // (S − 1) × V
  const prediction = traced(trace, 'probs').data.subarray(position * V, (position + 1) * V);
  const ids = new Int32Array(S * N);
  const kept = new Float32Array(S * N);
  for (let s = 0; s < S; s++) {
    const row = s < S - 1 ? probs.subarray(s * V, (s + 1) * V) : prediction;
    mostLikely(row, N).forEach((id, k) => {
      ids[s * N + k] = id;
      kept[s * N + k] = row[id];
    });
  }
  return { position, stages, top: N, ids, probs: kept };
}
