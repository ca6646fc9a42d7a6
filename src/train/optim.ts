// The optimiser side of training: AdamW as PyTorch defines it (decoupled weight decay, on 2-D
// tensors only, as nanoGPT configures it), nanoGPT's learning-rate schedule (linear warmup,
// cosine decay to a floor), and clipping of the gradient's global norm.

import type { TrainModel } from './model.ts';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export class AdamW {
  /** First and second moment estimates, one per parameter (same layout as model.params). */
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Steps taken so far (for bias correction). */
  step = 0;
  /** 1 where weight decay applies (2-D tensors: matrices and embeddings), else 0. */
  private readonly decay: Uint8Array;

  constructor(readonly model: TrainModel, readonly options: AdamWOptions) {
    this.m = new Float32Array(model.params.length);
    this.v = new Float32Array(model.params.length);
    this.decay = new Uint8Array(model.params.length);
    for (const s of model.slots) if (s.shape.length >= 2) this.decay.fill(1, s.offset, s.offset + s.size);
  }

  /** One update with learning rate lr from model.grads, after scaling the gradients by gradScale. */
  update(lr: number, gradScale = 1): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    this.step++;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    const p = this.model.params;
    const g = this.model.grads;
    const { m, v, decay } = this;
    const shrink = 1 - lr * weightDecay;
    for (let i = 0; i < p.length; i++) {
      const grad = g[i] * gradScale;
      m[i] = beta1 * m[i] + (1 - beta1) * grad;
      v[i] = beta2 * v[i] + (1 - beta2) * grad * grad;
      const mHat = m[i] / c1;
      const vHat = v[i] / c2;
      const w = decay[i] ? p[i] * shrink : p[i];
      p[i] = w - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  }
}

export interface Schedule {
  lr: number;
  minLr: number;
  warmupIters: number;
  /** Step at which the cosine reaches minLr (nanoGPT: lr_decay_iters, usually max_iters). */
  decayIters: number;
}

/** nanoGPT's get_lr: linear warmup over warmupIters, then cosine from lr down to minLr. */
export function learningRate(it: number, s: Schedule): number {
  if (it < s.warmupIters) return (s.lr * (it + 1)) / (s.warmupIters + 1);
  if (it > s.decayIters) return s.minLr;
  const ratio = (it - s.warmupIters) / Math.max(1, s.decayIters - s.warmupIters);
  const coeff = 0.5 * (1 + Math.cos(Math.PI * ratio));
  return s.minLr + coeff * (s.lr - s.minLr);
}

/** PyTorch's clip_grad_norm_: the factor that brings the global norm down to maxNorm (≤ 1). */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) return 1;
  return Math.min(1, maxNorm / (norm + 1e-6));
}
