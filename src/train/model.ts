// The trainable GPT: parameters and gradients as one flat buffer each (with GPTWeights views, so
// checkpoints use the same names as inference), the activations of one batch as a struct of
// named buffers, and the full forward and backward pass built from layers.ts.
// The forward pass computes the same numbers as src/model/gpt.ts (a test checks it); it is a
// separate implementation because training works on whole batches and must keep activations.
//
// Shape legend: B sequences × T positions = N rows, C width, NH heads, Vc rows of the (possibly
// compressed, see vocab.ts) vocabulary, L layers.

import { validateConfig, type GPTConfig } from '../model/config.ts';
import { parameterShapes, weightsFromNamed, type GPTWeights } from '../model/weights.ts';
import type { TrainingKernels } from '../kernels/training.ts';
import {
  attentionBackward, attentionForward, attentionScratch, crossEntropyBackward, crossEntropyForward, dropoutBackward, dropoutForward,
  encoderBackward, encoderForward, geluBackward, layerNormBackward, linearBackward, linearForward,
} from './layers.ts';
import { geluForward, layernormForward, residualForward } from '../model/ops.ts';
import type { AttentionScratch } from './layers.ts';

/** Where one parameter tensor lives in the flat buffers. */
export interface ParameterSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

interface LayerActivations {
  ln1: Float32Array; ln1Mean: Float32Array; ln1Rstd: Float32Array; // N×C, N, N
  qkv: Float32Array; // N×3C
  att: Float32Array; // B×NH×T×T, softmax weights
  atty: Float32Array; // N×C, heads concatenated
  attproj: Float32Array; // N×C
  attprojMask: Float32Array | null; // N×C dropout mask (null without dropout)
  resid2: Float32Array; // N×C
  ln2: Float32Array; ln2Mean: Float32Array; ln2Rstd: Float32Array; // N×C, N, N
  fch: Float32Array; fchGelu: Float32Array; // N×4C each
  fcproj: Float32Array; // N×C
  fcprojMask: Float32Array | null; // N×C
  resid3: Float32Array; // N×C, the block's output
}

interface Activations {
  B: number;
  T: number;
  encoded: Float32Array; // N×C, embeddings (after dropout)
  encodedMask: Float32Array | null; // N×C
  layers: LayerActivations[];
  lnf: Float32Array; lnfMean: Float32Array; lnfRstd: Float32Array; // N×C, N, N
  probs: Float32Array; // N×Vc: logits, then probabilities, then dlogits
  // Gradient scratch, reused by every layer.
  dres: Float32Array; // N×C, gradient of the residual stream
  dln: Float32Array; // N×C
  dbranch: Float32Array; // N×C, a branch's gradient after dropout
  dqkv: Float32Array; // N×3C
  datty: Float32Array; // N×C
  dfch: Float32Array; dfchGelu: Float32Array; // N×4C
  attention: AttentionScratch; // per-head scratch
  dropped: Float32Array; // N×C scratch for a branch output after dropout
}

export class TrainModel {
  readonly config: GPTConfig;
  readonly slots: ParameterSlot[];
  readonly params: Float32Array;
  readonly grads: Float32Array;
  /** Views into params, named like GPT-2's checkpoint. */
  readonly weights: GPTWeights;
  /** The same views into grads. */
  readonly gradWeights: GPTWeights;
  private acts: Activations | null = null;
  private inputs: Int32Array = new Int32Array(0);
  private targets: Int32Array = new Int32Array(0);
  private dropoutRate = 0;
  /** The last forward's objective (mean cross-entropy, with label smoothing if any): what backward differentiates. */
  objective = NaN;

  /**
   * config.vocabSize is the compact vocabulary size Vc; `shared` is how many full-vocabulary
   * tokens the last row stands for (0: no compression). labelSmoothing ε: backward trains
   * towards targets with ε spread over the full vocabulary (0: none).
   */
  constructor(config: GPTConfig, readonly kernels: TrainingKernels, public shared = 0, readonly labelSmoothing = 0) {
    this.config = validateConfig(config);
    let offset = 0;
    this.slots = parameterShapes(config).map(({ name, shape }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const slot = { name, shape, offset, size };
      offset += size;
      return slot;
    });
    this.params = new Float32Array(offset);
    this.grads = new Float32Array(offset);
    const byName = new Map(this.slots.map((s) => [s.name, s]));
    const view = (buf: Float32Array) => (name: string) => {
      const s = byName.get(name)!;
      return buf.subarray(s.offset, s.offset + s.size);
    };
    this.weights = weightsFromNamed(config, view(this.params));
    this.gradWeights = weightsFromNamed(config, view(this.grads));
  }

  private activations(B: number, T: number): Activations {
    if (this.acts && this.acts.B === B && this.acts.T === T) return this.acts;
    const { nEmbd: C, nHead: NH, nLayer: L, vocabSize: V } = this.config;
    const N = B * T;
    const f = (n: number) => new Float32Array(n);
    const drop = this.dropoutRate > 0;
    this.acts = {
      B, T,
      encoded: f(N * C), encodedMask: drop ? f(N * C) : null,
      layers: Array.from({ length: L }, () => ({
        ln1: f(N * C), ln1Mean: f(N), ln1Rstd: f(N), qkv: f(N * 3 * C), att: f(B * NH * T * T), atty: f(N * C),
        attproj: f(N * C), attprojMask: drop ? f(N * C) : null, resid2: f(N * C),
        ln2: f(N * C), ln2Mean: f(N), ln2Rstd: f(N), fch: f(N * 4 * C), fchGelu: f(N * 4 * C),
        fcproj: f(N * C), fcprojMask: drop ? f(N * C) : null, resid3: f(N * C),
      })),
      lnf: f(N * C), lnfMean: f(N), lnfRstd: f(N), probs: f(N * V),
      dres: f(N * C), dln: f(N * C), dbranch: f(N * C), dqkv: f(N * 3 * C), datty: f(N * C),
      dfch: f(N * 4 * C), dfchGelu: f(N * 4 * C), attention: attentionScratch(T, C / NH), dropped: f(N * C),
    };
    return this.acts;
  }

  /**
   * Runs B sequences of T compact ids (inputs: N). With targets (N compact ids) returns the mean
   * cross-entropy, else NaN. `dropout` > 0 (training only) needs `uniform` for the masks.
   * Afterwards probabilities() holds the N×Vc next-token distribution.
   */
  forward(inputs: Int32Array, targets: Int32Array | null, B: number, T: number, dropout = 0, uniform?: () => number): number {
    const { nEmbd: C, nHead: NH, vocabSize: V, layerNormEpsilon: eps } = this.config;
    const N = B * T;
    if (inputs.length !== N || (targets && targets.length !== N)) throw new Error(`forward: expected ${N} ids`);
    if (T > this.config.nPositions) throw new Error(`forward: T=${T} exceeds the context of ${this.config.nPositions}`);
    if (dropout > 0 && !uniform) throw new Error('forward: dropout needs a random source');
    if (dropout > 0 && this.dropoutRate === 0) this.acts = null; // reallocate with masks
    this.dropoutRate = Math.max(this.dropoutRate, dropout);
    const a = this.activations(B, T);
    const w = this.weights;
    const k = this.kernels;
    this.inputs = inputs;
    this.targets = targets ?? new Int32Array(0);
    const drop = dropout > 0;

    encoderForward(a.encoded, inputs, w.wte, w.wpe, B, T, C);
    if (drop) dropoutForward(a.encoded, a.encodedMask!, a.encoded, N * C, dropout, uniform!);
    let x = a.encoded;
    for (let l = 0; l < this.config.nLayer; l++) {
      const la = a.layers[l];
      const lw = w.h[l];
      layernormForward(la.ln1, x, lw.ln_1.weight, lw.ln_1.bias, N, C, eps, la.ln1Mean, la.ln1Rstd);
      linearForward(k, la.qkv, la.ln1, lw.attn.c_attn.weight, lw.attn.c_attn.bias, N, C, 3 * C);
      attentionForward(k, a.attention, la.atty, la.att, la.qkv, B, T, C, NH);
      linearForward(k, la.attproj, la.atty, lw.attn.c_proj.weight, lw.attn.c_proj.bias, N, C, C);
      let branch = la.attproj;
      if (drop) {
        dropoutForward(a.dropped, la.attprojMask!, la.attproj, N * C, dropout, uniform!);
        branch = a.dropped;
      }
      residualForward(la.resid2, x, branch, N * C);
      layernormForward(la.ln2, la.resid2, lw.ln_2.weight, lw.ln_2.bias, N, C, eps, la.ln2Mean, la.ln2Rstd);
      linearForward(k, la.fch, la.ln2, lw.mlp.c_fc.weight, lw.mlp.c_fc.bias, N, C, 4 * C);
      geluForward(la.fchGelu, la.fch, N * 4 * C);
      linearForward(k, la.fcproj, la.fchGelu, lw.mlp.c_proj.weight, lw.mlp.c_proj.bias, N, 4 * C, C);
      branch = la.fcproj;
      if (drop) {
        dropoutForward(a.dropped, la.fcprojMask!, la.fcproj, N * C, dropout, uniform!);
        branch = a.dropped;
      }
      residualForward(la.resid3, la.resid2, branch, N * C);
      x = la.resid3;
    }
    layernormForward(a.lnf, x, w.ln_f.weight, w.ln_f.bias, N, C, eps, a.lnfMean, a.lnfRstd);
    // Output head: logits[N×Vc] = lnf · headᵀ, head being wte itself when tied.
    k.matmulTransposed(a.probs, a.lnf, w.lm_head ?? w.wte, N, C, V);
    if (!targets) return NaN;
    const { crossEntropy, objective } = crossEntropyForward(a.probs, targets, N, V, this.shared, this.labelSmoothing);
    this.objective = objective;
    return crossEntropy;
  }

  /** The last forward's output: logits (without targets) or probabilities (with), N×Vc. */
  outputs(): Float32Array {
    if (!this.acts) throw new Error('outputs: run forward first');
    return this.acts.probs;
  }

  /** Gradients of the last forward's mean loss into `grads` (overwritten). Needs targets. */
  backward(dropout = 0): void {
    const a = this.acts;
    if (!a || this.targets.length === 0) throw new Error('backward: run forward with targets first');
    const { nEmbd: C, nHead: NH, vocabSize: V, nLayer: L } = this.config;
    const { B, T } = a;
    const N = B * T;
    const w = this.weights;
    const g = this.gradWeights;
    const k = this.kernels;
    const drop = dropout > 0;
    this.grads.fill(0);

    // Head and loss. dlnf = dlogits · head; dhead += dlogitsᵀ · lnf.
    crossEntropyBackward(a.probs, this.targets, N, V, this.shared, this.labelSmoothing);
    const head = w.lm_head ?? w.wte;
    k.matmul(a.dln, a.probs, head, null, N, V, C);
    if (this.shared > 0) {
      // The shared row's probability covers `shared` identical tokens: the input gradient above
      // used it whole; each of those tokens' own rows gets 1/shared of it (vocab.ts).
      const s = 1 / this.shared;
      for (let n = 0; n < N; n++) a.probs[n * V + V - 1] *= s;
    }
    k.matmulATransposed(g.lm_head ?? g.wte, a.probs, a.lnf, V, N, C, true);
    const xLast = L > 0 ? a.layers[L - 1].resid3 : a.encoded;
    a.dres.fill(0);
    layerNormBackward(a.dres, g.ln_f.weight, g.ln_f.bias, a.dln, xLast, w.ln_f.weight, a.lnfMean, a.lnfRstd, N, C);

    for (let l = L - 1; l >= 0; l--) {
      const la = a.layers[l];
      const lw = w.h[l];
      const lg = g.h[l];
      const xIn = l === 0 ? a.encoded : a.layers[l - 1].resid3;
      // a.dres is the gradient of this block's output resid3 = resid2 + mlp branch.
      let dbranch = a.dres;
      if (drop) {
        dropoutBackward(a.dbranch, a.dres, la.fcprojMask!, N * C);
        dbranch = a.dbranch;
      }
      linearBackward(k, a.dfchGelu, lg.mlp.c_proj.weight, lg.mlp.c_proj.bias, dbranch, la.fchGelu, lw.mlp.c_proj.weight, N, 4 * C, C);
      a.dfch.fill(0);
      geluBackward(a.dfch, la.fch, a.dfchGelu, N * 4 * C);
      linearBackward(k, a.dln, lg.mlp.c_fc.weight, lg.mlp.c_fc.bias, a.dfch, la.ln2, lw.mlp.c_fc.weight, N, C, 4 * C);
      layerNormBackward(a.dres, lg.ln_2.weight, lg.ln_2.bias, a.dln, la.resid2, lw.ln_2.weight, la.ln2Mean, la.ln2Rstd, N, C);
      // Now a.dres is the gradient of resid2 = x + attention branch.
      dbranch = a.dres;
      if (drop) {
        dropoutBackward(a.dbranch, a.dres, la.attprojMask!, N * C);
        dbranch = a.dbranch;
      }
      linearBackward(k, a.datty, lg.attn.c_proj.weight, lg.attn.c_proj.bias, dbranch, la.atty, lw.attn.c_proj.weight, N, C, C);
      a.dqkv.fill(0);
      attentionBackward(k, a.attention, a.dqkv, a.datty, la.qkv, la.att, B, T, C, NH);
      linearBackward(k, a.dln, lg.attn.c_attn.weight, lg.attn.c_attn.bias, a.dqkv, la.ln1, lw.attn.c_attn.weight, N, C, 3 * C);
      layerNormBackward(a.dres, lg.ln_1.weight, lg.ln_1.bias, a.dln, xIn, lw.ln_1.weight, la.ln1Mean, la.ln1Rstd, N, C);
    }
    let demb = a.dres;
    if (drop) {
      dropoutBackward(a.dbranch, a.dres, a.encodedMask!, N * C);
      demb = a.dbranch;
    }
    encoderBackward(g.wte, g.wpe, demb, this.inputs, B, T, C);
  }

  /**
   * The gradient's global L2 norm over the FULL vocabulary: a shared row counts `shared` times,
   * as each token it stands for has that same gradient.
   */
  gradNorm(): number {
    let sum = 0;
    for (let i = 0; i < this.grads.length; i++) sum += this.grads[i] * this.grads[i];
    if (this.shared > 1) {
      const { nEmbd: C, vocabSize: V } = this.config;
      for (const table of [this.gradWeights.wte, this.gradWeights.lm_head]) {
        if (!table) continue;
        for (let i = (V - 1) * C; i < V * C; i++) sum += (this.shared - 1) * table[i] * table[i];
      }
    }
    return Math.sqrt(sum);
  }
}
