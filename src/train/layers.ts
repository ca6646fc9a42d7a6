// Every layer of GPT-2 as a forward function and its backward function side by side, in the
// spirit of llm.c's train_gpt2.c. Forward functions write their outputs (and whatever the
// backward needs, such as layer norm's mean and 1/std); backward functions ADD into the
// parameter gradients (the caller zeroes them once per step), so a tensor used twice (the tied
// token embedding) receives both contributions. Input gradients are added too, except where a
// function says it overwrites (linear and dropout: their inputs have no other consumer).
//
// Shape legend: B sequences of T positions, N = B·T rows, C width, NH heads of size HS = C/NH,
// V vocabulary rows of the output head. All arrays are row-major Float32Array.

import type { TrainingKernels } from '../kernels/training.ts';
import { GELU_SCALE, softmaxForward } from '../model/ops.ts';

// ---------------------------------------------------------------------------------------------
// Embeddings: out[b,t,:] = wte[ids[b,t],:] + wpe[t,:]

/** ids: N (B×T); wte: V×C; wpe: (≥T)×C; out: N×C. */
export function encoderForward(out: Float32Array, ids: Int32Array, wte: Float32Array, wpe: Float32Array, B: number, T: number, C: number): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      const w = ids[b * T + t] * C;
      const p = t * C;
      for (let i = 0; i < C; i++) out[o + i] = wte[w + i] + wpe[p + i];
    }
  }
}

/** dout: N×C; adds into dwte (V×C) at the rows the ids picked and into dwpe (T×C). */
export function encoderBackward(dwte: Float32Array, dwpe: Float32Array, dout: Float32Array, ids: Int32Array, B: number, T: number, C: number): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      const w = ids[b * T + t] * C;
      const p = t * C;
      for (let i = 0; i < C; i++) {
        const d = dout[o + i];
        dwte[w + i] += d;
        dwpe[p + i] += d;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Layer norm over each row: out = (x − mean) · rstd · weight + bias, rstd = 1/√(var + eps).

// Its forward is layernormForward (src/model/ops.ts), asked for each row's mean and rstd.

/**
 * dout, inp: N×C. With norm = (x − mean)·rstd and g = dout·weight, the input gradient is
 * rstd · (g − mean(g) − norm · mean(g · norm)): the two means undo the mean and the scale
 * the normalisation took out. Adds into dinp (N×C), dweight and dbias (C).
 */
export function layerNormBackward(
  dinp: Float32Array, dweight: Float32Array, dbias: Float32Array, dout: Float32Array, inp: Float32Array,
  weight: Float32Array, mean: Float32Array, rstd: Float32Array, N: number, C: number,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    const m = mean[n];
    const s = rstd[n];
    let gMean = 0;
    let gNormMean = 0;
    for (let i = 0; i < C; i++) {
      const norm = (inp[o + i] - m) * s;
      const g = weight[i] * dout[o + i];
      gMean += g;
      gNormMean += g * norm;
    }
    gMean /= C;
    gNormMean /= C;
    for (let i = 0; i < C; i++) {
      const norm = (inp[o + i] - m) * s;
      const d = dout[o + i];
      dbias[i] += d;
      dweight[i] += norm * d;
      dinp[o + i] += (weight[i] * d - gMean - norm * gNormMean) * s;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Linear map in GPT-2's Conv1D layout: out[N×OC] = inp[N×IC] · weight[IC×OC] + bias[OC].

export function linearForward(
  k: TrainingKernels, out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
  N: number, IC: number, OC: number,
): void {
  k.matmul(out, inp, weight, bias, N, IC, OC);
}

/**
 * dinp[N×IC] = dout · weightᵀ (overwritten: every linear input here has a single consumer);
 * dweight[IC×OC] += inpᵀ · dout; dbias[OC] += column sums of dout.
 */
export function linearBackward(
  k: TrainingKernels, dinp: Float32Array, dweight: Float32Array, dbias: Float32Array | null,
  dout: Float32Array, inp: Float32Array, weight: Float32Array, N: number, IC: number, OC: number,
): void {
  k.matmulTransposed(dinp, dout, weight, N, OC, IC);
  k.matmulATransposed(dweight, inp, dout, IC, N, OC, true);
  if (dbias) {
    for (let n = 0; n < N; n++) {
      const o = n * OC;
      for (let j = 0; j < OC; j++) dbias[j] += dout[o + j];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Causal self-attention. qkv: N×3C holds each row's query, key and value side by side; head h
// uses columns h·HS … (h+1)·HS−1 of each. att: B×NH×T×T, the softmax weights (0 above the
// diagonal: the mask). out: N×C, the heads' outputs concatenated. Per sequence and head the
// work is three small matrix products, so they go through the (fast) kernels; the products
// also compute the masked half, which costs less than doing it in plain loops.

/** Per-head scratch: q, k, v, dout as T×HS each, and T×T for scores. */
export interface AttentionScratch {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  d: Float32Array;
  dq: Float32Array;
  dk: Float32Array;
  dv: Float32Array;
  scores: Float32Array;
}

export function attentionScratch(T: number, HS: number): AttentionScratch {
  const f = (n: number) => new Float32Array(n);
  return { q: f(T * HS), k: f(T * HS), v: f(T * HS), d: f(T * HS), dq: f(T * HS), dk: f(T * HS), dv: f(T * HS), scores: f(T * T) };
}

/** Copies columns col…col+HS−1 of T rows (stride `stride`, from row `row0`) into dst (T×HS). */
function gather(dst: Float32Array, src: Float32Array, row0: number, stride: number, col: number, T: number, HS: number): void {
  for (let t = 0; t < T; t++) dst.set(src.subarray((row0 + t) * stride + col, (row0 + t) * stride + col + HS), t * HS);
}

/** Adds src (T×HS) into columns col…col+HS−1 of T rows of dst, times `scale`. */
function scatterAdd(dst: Float32Array, src: Float32Array, row0: number, stride: number, col: number, T: number, HS: number, scale: number): void {
  for (let t = 0; t < T; t++) {
    const o = (row0 + t) * stride + col;
    for (let i = 0; i < HS; i++) dst[o + i] += scale * src[t * HS + i];
  }
}

export function attentionForward(
  k: TrainingKernels, sc: AttentionScratch, out: Float32Array, att: Float32Array, qkv: Float32Array,
  B: number, T: number, C: number, NH: number,
): void {
  const HS = C / NH;
  const scale = 1 / Math.sqrt(HS);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      gather(sc.q, qkv, b * T, 3 * C, h * HS, T, HS);
      gather(sc.k, qkv, b * T, 3 * C, C + h * HS, T, HS);
      gather(sc.v, qkv, b * T, 3 * C, 2 * C + h * HS, T, HS);
      const a = att.subarray((b * NH + h) * T * T, (b * NH + h + 1) * T * T); // T×T
      k.matmulTransposed(a, sc.q, sc.k, T, HS, T); // q·kᵀ
      for (let t = 0; t < T; t++) {
        // Row t may attend to positions 0…t only: later ones get weight exactly 0 (the mask).
        const r = t * T;
        for (let t2 = 0; t2 <= t; t2++) a[r + t2] *= scale;
        softmaxForward(a.subarray(r, r + t + 1));
        a.fill(0, r + t + 1, r + T);
      }
      k.matmul(sc.d, a, sc.v, null, T, T, HS); // weights · v
      for (let t = 0; t < T; t++) out.set(sc.d.subarray(t * HS, (t + 1) * HS), (b * T + t) * C + h * HS);
    }
  }
}

/**
 * dout: N×C; att: B×NH×T×T from the forward pass; adds into dqkv (N×3C).
 * Through out = att·v: datt = dout·vᵀ, dv = attᵀ·dout. Through the softmax:
 * dscore = att ⊙ (datt − rowsum(att ⊙ datt)). Through score = q·kᵀ/√HS: dq = dscore·k/√HS,
 * dk = dscoreᵀ·q/√HS.
 */
export function attentionBackward(
  k: TrainingKernels, sc: AttentionScratch, dqkv: Float32Array, dout: Float32Array, qkv: Float32Array, att: Float32Array,
  B: number, T: number, C: number, NH: number,
): void {
  const HS = C / NH;
  const scale = 1 / Math.sqrt(HS);
  const ds = sc.scores;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      gather(sc.q, qkv, b * T, 3 * C, h * HS, T, HS);
      gather(sc.k, qkv, b * T, 3 * C, C + h * HS, T, HS);
      gather(sc.v, qkv, b * T, 3 * C, 2 * C + h * HS, T, HS);
      gather(sc.d, dout, b * T, C, h * HS, T, HS);
      const a = att.subarray((b * NH + h) * T * T, (b * NH + h + 1) * T * T); // T×T
      k.matmulTransposed(ds, sc.d, sc.v, T, HS, T); // datt
      k.matmulATransposed(sc.dv, a, sc.d, T, T, HS); // dv = attᵀ·dout
      for (let t = 0; t < T; t++) {
        const r = t * T;
        let dot = 0;
        for (let t2 = 0; t2 <= t; t2++) dot += a[r + t2] * ds[r + t2];
        for (let t2 = 0; t2 <= t; t2++) ds[r + t2] = a[r + t2] * (ds[r + t2] - dot);
        ds.fill(0, r + t + 1, r + T);
      }
      k.matmul(sc.dq, ds, sc.k, null, T, T, HS); // dscore·k
      k.matmulATransposed(sc.dk, ds, sc.q, T, T, HS); // dscoreᵀ·q
      scatterAdd(dqkv, sc.dq, b * T, 3 * C, h * HS, T, HS, scale);
      scatterAdd(dqkv, sc.dk, b * T, 3 * C, C + h * HS, T, HS, scale);
      scatterAdd(dqkv, sc.dv, b * T, 3 * C, 2 * C + h * HS, T, HS, 1);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GELU, tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).

// Its forward is geluForward (src/model/ops.ts).

/** Adds dout · gelu'(inp) into dinp (all length n). */
export function geluBackward(dinp: Float32Array, inp: Float32Array, dout: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i];
    const th = Math.tanh(GELU_SCALE * (x + 0.044715 * x * x * x));
    const sech2 = 1 - th * th;
    const grad = 0.5 * (1 + th) + 0.5 * x * sech2 * GELU_SCALE * (1 + 3 * 0.044715 * x * x);
    dinp[i] += grad * dout[i];
  }
}

// ---------------------------------------------------------------------------------------------
// Residual connection: out = a + b. Its backward is the identity to both inputs, which the
// model does by letting both branches read the same gradient buffer. Its forward is
// residualForward (src/model/ops.ts).

// ---------------------------------------------------------------------------------------------
// Dropout (training only): keep each value with probability 1−p and scale it by 1/(1−p).

/** mask gets 0 or 1/(1−p) per value; out = inp · mask. `uniform` returns numbers in [0, 1). */
export function dropoutForward(out: Float32Array, mask: Float32Array, inp: Float32Array, n: number, p: number, uniform: () => number): void {
  const keep = 1 / (1 - p);
  for (let i = 0; i < n; i++) {
    mask[i] = uniform() < p ? 0 : keep;
    out[i] = inp[i] * mask[i];
  }
}

/** dinp = dout · mask (overwrites). */
export function dropoutBackward(dinp: Float32Array, dout: Float32Array, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dinp[i] = dout[i] * mask[i];
}

// ---------------------------------------------------------------------------------------------
// Softmax + cross-entropy over the head's logits, fused as usual.
//
// `shared` handles a vocabulary compressed for speed (see vocab.ts): the last row of the head
// may stand for `shared` identical rows of the full table (tokens absent from the training
// text). Its logit then counts `shared` times in the normaliser, which is exactly the softmax
// over the full vocabulary. shared = 0 means no such row.

/** A batch's mean −log p(target), and the mean objective the gradient is of (equal without smoothing). */
export interface CrossEntropy {
  crossEntropy: number;
  /** (1 − ε) · crossEntropy + ε · the mean over all tokens of −log p(token): label smoothing ε. */
  objective: number;
}

/**
 * logits: N×V, overwritten by the probabilities (a compressed last row holds the total
 * probability of all the tokens it stands for). targets: N compact ids. smoothing: label
 * smoothing ε (0: none), which changes only the objective, not crossEntropy.
 */
export function crossEntropyForward(probs: Float32Array, targets: Int32Array, N: number, V: number, shared: number, smoothing = 0): CrossEntropy {
  const logShared = shared > 0 ? Math.log(shared) : 0;
  const fullV = shared > 0 ? V - 1 + shared : V;
  let loss = 0;
  let uniform = 0;
  for (let n = 0; n < N; n++) {
    const o = n * V;
    // Σ over all fullV tokens of their own logits (the shared row stands for `shared` of them).
    let logitSum = 0;
    if (smoothing > 0) {
      for (let j = 0; j < V; j++) logitSum += probs[o + j];
      if (shared > 0) logitSum += (shared - 1) * probs[o + V - 1];
    }
    if (shared > 0) probs[o + V - 1] += logShared;
    let max = -Infinity;
    for (let j = 0; j < V; j++) if (probs[o + j] > max) max = probs[o + j];
    const target = targets[n];
    const targetLogit = probs[o + target];
    let sum = 0;
    for (let j = 0; j < V; j++) {
      const e = Math.exp(probs[o + j] - max);
      probs[o + j] = e;
      sum += e;
    }
    const logSum = Math.log(sum) + max;
    // −log p(target); a target in the shared row is one of its `shared` tokens.
    loss += logSum - targetLogit + (shared > 0 && target === V - 1 ? logShared : 0);
    uniform += logSum - logitSum / fullV;
    const inv = 1 / sum;
    for (let j = 0; j < V; j++) probs[o + j] *= inv;
  }
  const crossEntropy = loss / N;
  return { crossEntropy, objective: smoothing > 0 ? (1 - smoothing) * crossEntropy + (smoothing * uniform) / N : crossEntropy };
}

/**
 * probs (N×V) becomes dlogits of the mean objective, in place: (p − target distribution) / N,
 * the target being onehot(target) (1 − ε) plus ε spread evenly over all the full vocabulary's
 * tokens (the shared row gets its `shared` tokens' part).
 */
export function crossEntropyBackward(probs: Float32Array, targets: Int32Array, N: number, V: number, shared = 0, smoothing = 0): void {
  const inv = 1 / N;
  const even = smoothing / (shared > 0 ? V - 1 + shared : V);
  const sharedEven = shared > 0 ? even * shared : even;
  for (let n = 0; n < N; n++) {
    const o = n * V;
    probs[o + targets[n]] -= 1 - smoothing;
    if (smoothing > 0) {
      for (let j = 0; j < V; j++) probs[o + j] -= even;
      probs[o + V - 1] += even - sharedEven;
    }
    for (let j = 0; j < V; j++) probs[o + j] *= inv;
  }
}
