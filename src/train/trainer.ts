// One training run: the model, the optimiser, the seeded random streams and the step counter,
// with a step() that does one optimiser step on one random batch and an evaluate() that
// estimates the train and validation loss on fixed batches (the same ones every time, so
// evaluations are comparable and the best checkpoint is picked fairly).
// Saving and restoring all of this for --resume is in state.ts; the command is cli/commands/train.ts.

import type { GPTConfig } from '../model/config.ts';
import type { GPTWeights } from '../model/weights.ts';
import type { TrainingKernels } from '../kernels/training.ts';
import { randomBatch } from './data.ts';
import { initGPT2 } from './init.ts';
import { TrainModel } from './model.ts';
import { AdamW, clipScale, learningRate } from './optim.ts';
import { Rng, deriveSeed } from './rng.ts';
import { compactVocab, expandTable, toCompactIds, type VocabMap } from './vocab.ts';

export interface TrainSettings {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** Context length T of every training sequence (also the model's n_positions). */
  blockSize: number;
  batchSize: number;
  maxIters: number;
  lr: number;
  minLr: number;
  warmupIters: number;
  weightDecay: number;
  /** Clip the gradient's global norm to this (0: no clipping). */
  gradClip: number;
  dropout: number;
  /**
   * Label smoothing ε: each step trains towards the next token with weight 1 − ε and all the
   * vocabulary's tokens evenly with ε. Losses logged and evaluated are plain cross-entropy.
   */
  labelSmoothing: number;
  /** Evaluate (and maybe save the best model) every this many steps. */
  evalInterval: number;
  /** Batches per split in each evaluation. */
  evalIters: number;
  seed: number;
  beta1: number;
  beta2: number;
}

/** nanoGPT's small CPU configuration with its Shakespeare optimiser settings. */
export const DEFAULT_SETTINGS: TrainSettings = {
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  blockSize: 64,
  batchSize: 12,
  maxIters: 2000,
  lr: 1e-3,
  minLr: 1e-4,
  warmupIters: 100,
  weightDecay: 0.1,
  gradClip: 1,
  dropout: 0,
  labelSmoothing: 0,
  evalInterval: 250,
  evalIters: 20,
  seed: 1337,
  beta1: 0.9,
  beta2: 0.99,
};

/** Token ids of the two splits in the tokenizer's full vocabulary. */
export interface TokenData {
  train: Int32Array;
  val: Int32Array;
  /** The tokenizer's vocabulary size. */
  vocabSize: number;
}

export interface StepResult {
  loss: number;
  lr: number;
  gradNorm: number;
}

export interface Evaluation {
  iter: number;
  train: number;
  val: number;
}

/** The random streams' and counters' state: everything besides the numbers in the buffers. */
export interface TrainerCounters {
  iter: number;
  adamStep: number;
  batchRng: number;
  dropoutRng: number;
  bestVal: number;
  bestIter: number;
  history: Evaluation[];
  /** The training loss of every step taken so far: losses[i] is step i + 1's. */
  losses: number[];
}

export class Trainer {
  readonly vocab: VocabMap;
  readonly model: TrainModel;
  readonly optimizer: AdamW;
  /** Next step to take (0-based, as nanoGPT's iter_num). */
  iter = 0;
  bestVal = Infinity;
  bestIter = -1;
  history: Evaluation[] = [];
  /** losses[i]: the loss of the batch step i + 1 trained on (before its update). */
  losses: number[] = [];
  private readonly train: Int32Array; // compact ids
  private readonly val: Int32Array; // compact ids
  private readonly batchRng: Rng;
  private readonly dropoutRng: Rng;
  private readonly inputs: Int32Array; // B×T
  private readonly targets: Int32Array; // B×T

  constructor(readonly settings: TrainSettings, data: TokenData, kernels: TrainingKernels) {
    const s = settings;
    // Tokens absent from the training split share one head row (vocab.ts): exact, and much faster.
    this.vocab = compactVocab(data.train, data.vocabSize);
    this.train = toCompactIds(this.vocab, data.train);
    this.val = toCompactIds(this.vocab, data.val);
    const config: GPTConfig = {
      nLayer: s.nLayer,
      nHead: s.nHead,
      nEmbd: s.nEmbd,
      vocabSize: this.vocab.fromCompact.length,
      nPositions: s.blockSize,
      layerNormEpsilon: 1e-5,
      tieWordEmbeddings: true,
    };
    this.model = new TrainModel(config, kernels, this.vocab.shared, s.labelSmoothing);
    initGPT2(this.model, s.seed);
    this.optimizer = new AdamW(this.model, { beta1: s.beta1, beta2: s.beta2, eps: 1e-8, weightDecay: s.weightDecay });
    this.batchRng = new Rng(deriveSeed(s.seed, 1));
    this.dropoutRng = new Rng(deriveSeed(s.seed, 2));
    this.inputs = new Int32Array(s.batchSize * s.blockSize);
    this.targets = new Int32Array(s.batchSize * s.blockSize);
  }

  /** Tokens processed per step. */
  get tokensPerStep(): number {
    return this.settings.batchSize * this.settings.blockSize;
  }

  /** One optimiser step on a fresh random training batch. */
  step(): StepResult {
    const s = this.settings;
    const lr = learningRate(this.iter, { lr: s.lr, minLr: s.minLr, warmupIters: s.warmupIters, decayIters: s.maxIters });
    randomBatch(this.train, s.batchSize, s.blockSize, this.batchRng, this.inputs, this.targets);
    const uniform = () => this.dropoutRng.uniform();
    const loss = this.model.forward(this.inputs, this.targets, s.batchSize, s.blockSize, s.dropout, uniform);
    this.model.backward(s.dropout);
    const gradNorm = this.model.gradNorm();
    this.optimizer.update(lr, clipScale(gradNorm, s.gradClip));
    this.iter++;
    this.losses.push(loss);
    return { loss, lr, gradNorm };
  }

  /** Mean loss over evalIters fixed random batches of each split (no dropout). */
  evaluate(): Evaluation {
    const s = this.settings;
    const lossOn = (data: Int32Array, stream: number): number => {
      const rng = new Rng(deriveSeed(s.seed, stream));
      let sum = 0;
      for (let i = 0; i < s.evalIters; i++) {
        randomBatch(data, s.batchSize, s.blockSize, rng, this.inputs, this.targets);
        sum += this.model.forward(this.inputs, this.targets, s.batchSize, s.blockSize);
      }
      return sum / s.evalIters;
    };
    const result = { iter: this.iter, train: lossOn(this.train, 3), val: lossOn(this.val, 4) };
    this.history.push(result);
    return result;
  }

  /** Records an evaluation's validation loss; true when it is the best so far. */
  isNewBest(e: Evaluation): boolean {
    if (!(e.val < this.bestVal)) return false;
    this.bestVal = e.val;
    this.bestIter = e.iter;
    return true;
  }

  /** The model over the tokenizer's full vocabulary, for saving in the checkpoint format. */
  fullModel(): { config: GPTConfig; weights: GPTWeights } {
    const config = { ...this.model.config, vocabSize: this.vocab.fullSize };
    const w = this.model.weights;
    const C = config.nEmbd;
    const copy = (a: Float32Array) => a.slice();
    const weights: GPTWeights = {
      wte: expandTable(this.vocab, w.wte, C),
      wpe: copy(w.wpe),
      h: w.h.map((b) => ({
        ln_1: { weight: copy(b.ln_1.weight), bias: copy(b.ln_1.bias) },
        attn: {
          c_attn: { weight: copy(b.attn.c_attn.weight), bias: copy(b.attn.c_attn.bias) },
          c_proj: { weight: copy(b.attn.c_proj.weight), bias: copy(b.attn.c_proj.bias) },
        },
        ln_2: { weight: copy(b.ln_2.weight), bias: copy(b.ln_2.bias) },
        mlp: {
          c_fc: { weight: copy(b.mlp.c_fc.weight), bias: copy(b.mlp.c_fc.bias) },
          c_proj: { weight: copy(b.mlp.c_proj.weight), bias: copy(b.mlp.c_proj.bias) },
        },
      })),
      ln_f: { weight: copy(w.ln_f.weight), bias: copy(w.ln_f.bias) },
      lm_head: null,
    };
    return { config, weights };
  }

  counters(): TrainerCounters {
    return {
      iter: this.iter,
      adamStep: this.optimizer.step,
      batchRng: this.batchRng.state,
      dropoutRng: this.dropoutRng.state,
      bestVal: this.bestVal,
      bestIter: this.bestIter,
      history: this.history,
      losses: this.losses,
    };
  }

  restoreCounters(c: TrainerCounters): void {
    this.iter = c.iter;
    this.optimizer.step = c.adamStep;
    this.batchRng.state = c.batchRng;
    this.dropoutRng.state = c.dropoutRng;
    this.bestVal = c.bestVal;
    this.bestIter = c.bestIter;
    this.history = c.history.slice();
    this.losses = c.losses.slice();
  }
}
