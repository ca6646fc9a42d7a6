// The trainer's gradients against finite differences, for every parameter tensor of a tiny
// model (tied and untied head, with and without the compressed vocabulary), and its forward
// pass against the inference model's.

import { describe, expect, it } from 'vitest';
import type { GPTConfig } from '../src/model/config.ts';
import { GPT } from '../src/model/gpt.ts';
import { plainTrainingKernels } from '../src/kernels/training.ts';
import { TrainModel } from '../src/train/model.ts';
import { Rng } from '../src/train/rng.ts';
import { compactVocab, expandTable, toCompactIds } from '../src/train/vocab.ts';

const base: GPTConfig = { nLayer: 2, nHead: 2, nEmbd: 8, vocabSize: 11, nPositions: 6, layerNormEpsilon: 1e-5, tieWordEmbeddings: true };
const B = 2;
const T = 5;

/** A model with larger-than-GPT-2 random weights so every gradient is well above rounding. */
function randomModel(config: GPTConfig, seed: number, labelSmoothing = 0): TrainModel {
  const m = new TrainModel(config, plainTrainingKernels, 0, labelSmoothing);
  const rng = new Rng(seed);
  for (const s of m.slots) {
    const isGain = s.name.endsWith('.weight') && s.shape.length === 1;
    for (let i = 0; i < s.size; i++) m.params[s.offset + i] = (isGain ? 1 : 0) + 0.3 * rng.normal();
  }
  return m;
}

function randomIds(n: number, V: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(V));
}

function checkGradients(m: TrainModel, inputs: Int32Array, targets: Int32Array): void {
  m.forward(inputs, targets, B, T);
  m.backward();
  // Backward differentiates the objective (the cross-entropy itself unless labels are smoothed).
  const objective = (): number => {
    m.forward(inputs, targets, B, T);
    return m.objective;
  };
  const analytic = m.grads.slice();
  const eps = 4e-2;
  const rng = new Rng(7);
  for (const slot of m.slots) {
    // Up to 12 elements per tensor, always including the first and the last.
    const picks = new Set([0, slot.size - 1]);
    while (picks.size < Math.min(12, slot.size)) picks.add(rng.int(slot.size));
    let worst = 0;
    for (const i of picks) {
      const j = slot.offset + i;
      const keep = m.params[j];
      const central = (h: number): number => {
        m.params[j] = keep + h;
        const up = objective();
        m.params[j] = keep - h;
        const down = objective();
        m.params[j] = keep;
        return (up - down) / (2 * h);
      };
      // Richardson extrapolation cancels the O(eps²) error of central differences, so eps can
      // stay large enough for float32 rounding (about 1e-7 of the loss) not to matter.
      const numeric = (4 * central(eps / 2) - central(eps)) / 3;
      const err = Math.abs(numeric - analytic[j]) / Math.max(1e-2, Math.abs(numeric), Math.abs(analytic[j]));
      worst = Math.max(worst, err);
    }
    expect(worst, `${slot.name}: worst relative error ${worst}`).toBeLessThan(2e-3);
    // And the tensor's gradient is not trivially zero (the check could then pass vacuously).
    const g = analytic.subarray(slot.offset, slot.offset + slot.size);
    expect(g.some((v) => v !== 0), `${slot.name} has a zero gradient`).toBe(true);
  }
}

describe('trainer gradients', () => {
  const inputs = randomIds(B * T, base.vocabSize, 1);
  const targets = randomIds(B * T, base.vocabSize, 2);

  /** From B·T rows of logits: the mean −log p(target), and the mean over all tokens of −log p. */
  const lossesOf = (logits: Float32Array): { crossEntropy: number; even: number } => {
    let crossEntropy = 0;
    let even = 0;
    for (let n = 0; n < B * T; n++) {
      const row = Array.from(logits.subarray(n * base.vocabSize, (n + 1) * base.vocabSize));
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      crossEntropy += lse - row[targets[n]];
      even += lse - row.reduce((s, v) => s + v, 0) / row.length;
    }
    return { crossEntropy: crossEntropy / (B * T), even: even / (B * T) };
  };

  it('match finite differences for every tensor, tied head', () => {
    checkGradients(randomModel(base, 3), inputs, targets);
  });

  it('match finite differences for every tensor, untied head', () => {
    checkGradients(randomModel({ ...base, tieWordEmbeddings: false }, 4), inputs, targets);
  });

  it('match finite differences for every tensor with label smoothing', () => {
    checkGradients(randomModel(base, 3, 0.2), inputs, targets);
  });

  it('with label smoothing, report the plain cross-entropy and an objective that mixes in the mean over all tokens', () => {
    const eps = 0.2;
    const m = randomModel(base, 5, eps);
    m.forward(inputs, null, B, T);
    const { crossEntropy, even } = lossesOf(m.outputs().slice());
    expect(m.forward(inputs, targets, B, T)).toBeCloseTo(crossEntropy, 5);
    expect(m.objective).toBeCloseTo((1 - eps) * crossEntropy + eps * even, 5);
    expect(Math.abs(m.objective - crossEntropy)).toBeGreaterThan(0.01);
  });

  it('forward equals the inference model (GPT.forward) logits and its loss', () => {
    const m = randomModel(base, 5);
    m.forward(inputs, null, B, T);
    const logits = m.outputs();
    const gpt = new GPT(base, m.weights);
    for (let b = 0; b < B; b++) {
      const ref = gpt.forward(Array.from(inputs.subarray(b * T, (b + 1) * T))).logits;
      for (let i = 0; i < ref.length; i++) expect(logits[b * T * base.vocabSize + i]).toBeCloseTo(ref[i], 5);
    }
    // The loss is the mean −log softmax(target) of those logits.
    const { crossEntropy } = lossesOf(logits); // before forward with targets overwrites the logits
    expect(m.forward(inputs, targets, B, T)).toBeCloseTo(crossEntropy, 5);
  });

  it.each([0, 0.2])('with a compressed vocabulary, give the full vocabulary loss, gradients and gradient norm (label smoothing %s)', (eps) => {
    // Tokens 7…10 never occur in the training ids; give them one shared row, as training does.
    const V = base.vocabSize;
    const seenIds = randomIds(B * T, 7, 8);
    const seenTargets = randomIds(B * T, 7, 9);
    const map = compactVocab(Int32Array.from([...seenIds, ...seenTargets]), V);
    expect(map.shared).toBe(4);
    const compact = randomModel({ ...base, vocabSize: map.fromCompact.length }, 10, eps);
    compact.shared = map.shared;
    const full = new TrainModel(base, plainTrainingKernels, 0, eps);
    for (const s of compact.slots) {
      const src = compact.params.subarray(s.offset, s.offset + s.size);
      const dst = full.slots.find((f) => f.name === s.name)!;
      full.params.set(s.name === 'wte.weight' ? expandTable(map, src, base.nEmbd) : src, dst.offset);
    }
    const lossFull = full.forward(seenIds, seenTargets, B, T);
    full.backward();
    const lossCompact = compact.forward(toCompactIds(map, seenIds), toCompactIds(map, seenTargets), B, T);
    compact.backward();
    expect(lossCompact).toBeCloseTo(lossFull, 6);
    expect(compact.objective).toBeCloseTo(full.objective, 6);
    expect(compact.gradNorm()).toBeCloseTo(full.gradNorm(), 5);
    const C = base.nEmbd;
    const fullWte = full.gradWeights.wte;
    const compactWte = compact.gradWeights.wte;
    for (let id = 0; id < V; id++) {
      const c = map.toCompact[id];
      for (let i = 0; i < C; i++) expect(compactWte[c * C + i]).toBeCloseTo(fullWte[id * C + i], 6);
    }
    expect(compact.gradWeights.h[1].mlp.c_fc.weight[3]).toBeCloseTo(full.gradWeights.h[1].mlp.c_fc.weight[3], 6);
  });
});
