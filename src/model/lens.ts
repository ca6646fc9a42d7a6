// The logit lens: what the model would predict if it stopped reading at some depth. Each
// residual stream read (after the embeddings, after each block's attention, after each block)
// goes through the model's own ln_f and output head, then a softmax.
// Shape legend: T tokens, C width, V vocabulary.

import type { GPT } from './gpt.ts';
import { layernormForward } from './ops.ts';
import { block, type TraceName } from './registry.ts';
import { mostLikely } from './sampling.ts';
import { traced, type Trace } from './trace.ts';

export interface LensStage {
  /** Trace name of the residual stream read. */
  after: TraceName;
  /** T × V: a distribution over the vocabulary for every position. */
  probs: Float32Array;
}

/** embed.sum, then h.L.resid_1 and h.L.out for each block, in order. */
export function lensStageNames(nLayer: number): TraceName[] {
  const names: TraceName[] = ['embed.sum'];
  for (let l = 0; l < nLayer; l++) names.push(block(l, 'resid_1'), block(l, 'out'));
  return names;
}

/**
 * Every stage for every position. The head and the softmax run over all T rows, as the forward
 * pass runs them, so the last stage equals the trace's `probs` bit for bit with any kernels.
 */
export function logitLens(model: GPT, trace: Trace): LensStage[] {
  const { nEmbd: C, nLayer, layerNormEpsilon: eps } = model.config;
  return lensStageNames(nLayer).map((after) => {
    const x = traced(trace, after); // T × C
    const T = x.shape[0];
    const xf = new Float32Array(T * C); // T × C
    layernormForward(xf, x.data, model.weights.ln_f.weight, model.weights.ln_f.bias, T, C, eps);
    const probs = model.probabilities(model.headLogits(xf, T), T); // T × V
    return { after, probs };
  });
}

/** The n most likely tokens of one stage at one position, most likely first. */
export function lensTop(stage: LensStage, position: number, V: number, n: number): { id: number; prob: number }[] {
  const row = stage.probs.subarray(position * V, (position + 1) * V);
  return mostLikely(row, n).map((id) => ({ id, prob: row[id] }));
}
