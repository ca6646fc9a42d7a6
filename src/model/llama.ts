// The Llama family's forward pass (Llama, Qwen2, SmolLM2, TinyLlama), written beside gpt.ts to
// read the same way: token embeddings, blocks (attention then MLP, each added to the residual
// stream), final RMSNorm, output head. What differs from GPT-2: RMSNorm instead of layer norm,
// no position table but queries and keys turned by RoPE, fewer key/value heads than query heads
// (grouped-query attention), a gated SiLU MLP, and usually no biases.
// Tracing records every intermediate under the names in the registry (registry.ts, llamaTraceTable).
//
// Shape legend: T new tokens, P cached positions, S = P + T, C width, nH query heads and nKV
// key/value heads of size D, I MLP width, V vocabulary.
// Linear weights are kept as the files store them, nn.Linear's [out, in], so y = x · Wᵀ.

import { ropeFrequencies, type LlamaConfig } from './llama-config.ts';
import type { Trace } from './trace.ts';
import { softmaxRowsWith } from './ops.ts';
import { causalAttention } from './attention.ts';
import { block, type TraceName } from './registry.ts';
import type { Kernels } from '../kernels/kernels.ts';
import { plainKernels } from '../kernels/plain.ts';

export interface LlamaBlockWeights {
  input_layernorm: Float32Array; // C
  q_proj: Float32Array; // nH·D × C
  k_proj: Float32Array; // nKV·D × C
  v_proj: Float32Array; // nKV·D × C
  q_bias: Float32Array | null; // nH·D (Qwen2)
  k_bias: Float32Array | null; // nKV·D
  v_bias: Float32Array | null; // nKV·D
  o_proj: Float32Array; // C × nH·D
  post_attention_layernorm: Float32Array; // C
  gate_proj: Float32Array; // I × C
  up_proj: Float32Array; // I × C
  down_proj: Float32Array; // C × I
}

export interface LlamaWeights {
  embed_tokens: Float32Array; // V × C
  layers: LlamaBlockWeights[];
  norm: Float32Array; // C
  /** V × C, or null when the head is embed_tokens itself. */
  lm_head: Float32Array | null;
}

export interface LlamaForwardOptions {
  trace?: boolean;
  cache?: LlamaKVCache;
  lastOnly?: boolean;
}

/**
 * Rotated keys and values per layer, so each new token costs one position. It grows as
 * positions arrive: these models' contexts run to many thousands of positions (SmolLM2: 8,192,
 * 377 MB of cache at full size), and a short prompt needs a few of them.
 */
export class LlamaKVCache {
  length = 0;
  keys: Float32Array[]; // per layer: capacity × nKV·D (after RoPE)
  values: Float32Array[]; // per layer: capacity × nKV·D
  private capacity = 0;

  /** `limit`: the most positions it will ever hold (default the context); it grows to that as positions arrive. */
  constructor(
    readonly config: LlamaConfig,
    readonly limit = config.maxPositions,
  ) {
    this.keys = [];
    this.values = [];
    this.reserve(Math.min(64, limit));
  }

  /** Room for `positions` positions in all, keeping what is stored. */
  reserve(positions: number): void {
    if (positions <= this.capacity) return;
    const capacity = Math.max(positions, Math.min(this.limit, 2 * this.capacity));
    const row = this.config.nKvHead * this.config.headDim;
    const grow = (old: Float32Array | undefined) => {
      const next = new Float32Array(capacity * row);
      if (old) next.set(old.subarray(0, this.length * row));
      return next;
    };
    this.keys = Array.from({ length: this.config.nLayer }, (_, l) => grow(this.keys[l]));
    this.values = Array.from({ length: this.config.nLayer }, (_, l) => grow(this.values[l]));
    this.capacity = capacity;
  }
}

type Record_ = (name: TraceName, shape: number[], data: Float32Array) => void;

export class Llama {
  /** Radians per position for each pair of dimensions, D/2 (after rope scaling). */
  readonly invFreq: Float64Array;

  constructor(
    readonly config: LlamaConfig,
    readonly weights: LlamaWeights,
    readonly kernels: Kernels = plainKernels,
  ) {
    this.invFreq = ropeFrequencies(config);
    // Fast kernels lay the weights out for their products now, so the first pass runs at full speed.
    if (kernels.prepareWeight) for (const [matrix, K, N] of this.matrices()) kernels.prepareWeight(matrix, K, N, true);
  }

  /** Every weight matrix the products use, with its K × N (each stored N × K, as transformers keeps it). */
  private *matrices(): Generator<[Float32Array, number, number]> {
    const { hidden: C, intermediate: I, nHead, nKvHead, headDim: D, vocabSize: V } = this.config;
    for (const b of this.weights.layers) {
      yield [b.q_proj, C, nHead * D];
      yield [b.k_proj, C, nKvHead * D];
      yield [b.v_proj, C, nKvHead * D];
      yield [b.o_proj, nHead * D, C];
      yield [b.gate_proj, C, I];
      yield [b.up_proj, C, I];
      yield [b.down_proj, I, C];
    }
    yield [this.weights.lm_head ?? this.weights.embed_tokens, C, V];
  }

  /**
   * Frees what the kernels keep for this model's weights, so another model can use the memory at
   * once rather than when the garbage collector gets to it. The model cannot run afterwards.
   */
  release(): void {
    for (const [matrix] of this.matrices()) this.kernels.forget?.(matrix);
  }

  forward(ids: readonly number[], options: LlamaForwardOptions = {}): { logits: Float32Array; trace?: Trace } {
    const { hidden: C, vocabSize: V, nLayer, maxPositions } = this.config;
    const T = ids.length;
    const cache = options.cache;
    const past = cache ? cache.length : 0;
    if (T === 0) throw new Error('forward needs at least one token');
    if (past + T > maxPositions) {
      throw new Error(`${past + T} positions exceed the model's context of ${maxPositions}; keep only the last ${maxPositions} tokens`);
    }
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`token id ${id} is outside the vocabulary 0…${V - 1}`);
    }
    cache?.reserve(past + T);
    const trace: Trace | undefined = options.trace ? new Map() : undefined;
    const record: Record_ = (name, shape, data) => {
      if (trace) trace.set(name, { shape, data });
    };
    const w = this.weights;

    // Embeddings: each id picks a row; there is no position table (RoPE places tokens instead).
    let x: Float32Array = new Float32Array(T * C); // T × C, the residual stream
    for (let t = 0; t < T; t++) x.set(w.embed_tokens.subarray(ids[t] * C, (ids[t] + 1) * C), t * C);
    record('embed.token', [T, C], x);

    const rope = this.rope(past, T, record);
    for (let l = 0; l < nLayer; l++) x = this.block(l, x, T, rope, cache, record);
    if (cache) cache.length += T;

    const xf = rmsNorm(x, w.norm, T, C, this.config.rmsNormEps); // T × C
    record('rms_f', [T, C], xf);

    const rows = options.lastOnly && !trace ? 1 : T;
    const logits = this.outputHead(xf.subarray((T - rows) * C), rows); // rows × V
    if (trace) {
      trace.set('logits', { shape: [T, V], data: logits });
      trace.set('probs', { shape: [T, V], data: this.probabilities(logits, T) });
    }
    return { logits, trace };
  }

  /** The softmax of each of `rows` rows of V logits (the kernels' where they have one): the probabilities a forward pass traces. */
  probabilities(logits: Float32Array, rows: number): Float32Array {
    const V = this.config.vocabSize;
    const probs = new Float32Array(rows * V); // rows × V
    softmaxRowsWith(this.kernels, probs, logits, rows, V);
    return probs;
  }

  /** rows × V: the final RMSNorm and the output head on rows of any residual stream (rows × C), as the forward pass ends (the logit lens). */
  finalLogits(x: Float32Array, rows: number): Float32Array {
    return this.outputHead(rmsNorm(x, this.weights.norm, rows, this.config.hidden, this.config.rmsNormEps), rows);
  }

  /** logits = x · Wᵀ for `rows` rows of x, where W (V × C) is lm_head, or embed_tokens when tied. */
  private outputHead(x: Float32Array, rows: number): Float32Array {
    const { hidden: C, vocabSize: V } = this.config;
    const logits = new Float32Array(rows * V); // rows × V
    this.kernels.matmulTransposed(logits, x, this.weights.lm_head ?? this.weights.embed_tokens, rows, C, V);
    return logits;
  }

  /** The angle, cosine and sine for each new position and each pair of dimensions. */
  private rope(past: number, T: number, record: Record_): { cos: Float32Array; sin: Float32Array } {
    const D = this.config.headDim;
    const half = D / 2;
    const angles = new Float32Array(T * half); // T × D/2: position · inv_freq
    const cos = new Float32Array(T * D); // T × D, each half repeated as transformers lays it out
    const sin = new Float32Array(T * D); // T × D
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < half; i++) {
        const a = Math.fround((past + t) * this.invFreq[i]);
        angles[t * half + i] = a;
        cos[t * D + i] = cos[t * D + half + i] = Math.cos(a);
        sin[t * D + i] = sin[t * D + half + i] = Math.sin(a);
      }
    }
    record('rope.angles', [T, half], angles);
    record('rope.cos', [T, D], cos);
    record('rope.sin', [T, D], sin);
    return { cos, sin };
  }

  /** One block: x + attn(rms_1(x)), then + mlp(rms_2(x)). */
  private block(l: number, x: Float32Array, T: number, rope: { cos: Float32Array; sin: Float32Array }, cache: LlamaKVCache | undefined, record: Record_): Float32Array {
    const { hidden: C, intermediate: I, rmsNormEps: eps } = this.config;
    const b = this.weights.layers[l];

    const a = rmsNorm(x, b.input_layernorm, T, C, eps); // T × C
    record(block(l, 'rms_1'), [T, C], a);
    const attn = this.attention(l, a, T, rope, cache, record); // T × C
    const resid1 = new Float32Array(T * C); // T × C
    for (let i = 0; i < resid1.length; i++) resid1[i] = x[i] + attn[i];
    record(block(l, 'resid_1'), [T, C], resid1);

    // The gated MLP: silu(gate) decides how much of each up-projected feature passes.
    const m = rmsNorm(resid1, b.post_attention_layernorm, T, C, eps); // T × C
    record(block(l, 'rms_2'), [T, C], m);
    const gate = this.linear(m, b.gate_proj, null, T, C, I); // T × I
    record(block(l, 'mlp.gate'), [T, I], gate);
    const up = this.linear(m, b.up_proj, null, T, C, I); // T × I
    record(block(l, 'mlp.up'), [T, I], up);
    const silu = gate.map((g) => g / (1 + Math.exp(-g))); // T × I
    record(block(l, 'mlp.silu'), [T, I], silu);
    const act = new Float32Array(T * I); // T × I
    for (let i = 0; i < act.length; i++) act[i] = silu[i] * up[i];
    record(block(l, 'mlp.act'), [T, I], act);
    const proj = this.linear(act, b.down_proj, null, T, I, C); // T × C
    record(block(l, 'mlp.proj'), [T, C], proj);
    const out = new Float32Array(T * C); // T × C
    for (let i = 0; i < out.length; i++) out[i] = resid1[i] + proj[i];
    record(block(l, 'out'), [T, C], out);
    return out;
  }

  /** Causal grouped-query attention over the cached positions plus the T new ones. */
  private attention(l: number, x: Float32Array, T: number, rope: { cos: Float32Array; sin: Float32Array }, cache: LlamaKVCache | undefined, record: Record_): Float32Array {
    const { hidden: C, nHead, nKvHead, headDim: D } = this.config;
    const b = this.weights.layers[l];
    const QW = nHead * D;
    const KW = nKvHead * D;

    const q = this.linear(x, b.q_proj, b.q_bias, T, C, QW); // T × nH·D
    const kNew = this.linear(x, b.k_proj, b.k_bias, T, C, KW); // T × nKV·D
    const vNew = this.linear(x, b.v_proj, b.v_bias, T, C, KW); // T × nKV·D
    record(block(l, 'attn.q'), [T, QW], q);
    record(block(l, 'attn.k'), [T, KW], kNew);
    record(block(l, 'attn.v'), [T, KW], vNew);
    const qRot = rotate(q, nHead, D, T, rope); // T × nH·D
    const kRot = rotate(kNew, nKvHead, D, T, rope); // T × nKV·D
    record(block(l, 'attn.q_rot'), [T, QW], qRot);
    record(block(l, 'attn.k_rot'), [T, KW], kRot);

    const past = cache ? cache.length : 0;
    const S = past + T;
    let keys: Float32Array = kRot; // S × nKV·D
    let values: Float32Array = vNew; // S × nKV·D
    if (cache) {
      cache.keys[l].set(kRot, past * KW);
      cache.values[l].set(vNew, past * KW);
      keys = cache.keys[l].subarray(0, S * KW);
      values = cache.values[l].subarray(0, S * KW);
    }

    const { scores, weights, heads, concat } = causalAttention(this.kernels, qRot, keys, values, past, { T, S, D, nHead, nKv: nKvHead });
    record(block(l, 'attn.scores'), [nHead, T, S], scores);
    record(block(l, 'attn.weights'), [nHead, T, S], weights);
    record(block(l, 'attn.heads'), [nHead, T, D], heads);
    record(block(l, 'attn.concat'), [T, QW], concat);

    const proj = this.linear(concat, b.o_proj, null, T, QW, C); // T × C
    record(block(l, 'attn.proj'), [T, C], proj);
    return proj;
  }

  /** y = x · Wᵀ + bias for x (M × K) and W (N × K), nn.Linear's layout. */
  private linear(x: Float32Array, W: Float32Array, bias: Float32Array | null, M: number, K: number, N: number): Float32Array {
    const y = new Float32Array(M * N);
    this.kernels.matmulTransposed(y, x, W, M, K, N);
    if (bias) for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) y[m * N + n] += bias[n];
    return y;
  }

  trace(ids: readonly number[]): Trace {
    return this.forward(ids, { trace: true }).trace!;
  }
}

/** RMSNorm over each row: x / √(mean(x²) + eps) · weight. No mean subtracted, no bias. */
function rmsNorm(x: Float32Array, weight: Float32Array, T: number, C: number, eps: number): Float32Array {
  const out = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    const o = t * C;
    let meanSquare = 0;
    for (let i = 0; i < C; i++) meanSquare += x[o + i] * x[o + i];
    meanSquare /= C;
    const r = 1 / Math.sqrt(meanSquare + eps);
    for (let i = 0; i < C; i++) out[o + i] = Math.fround(x[o + i] * r) * weight[i];
  }
  return out;
}

/**
 * RoPE in the "rotate half" convention: in each head, dimension i and i + D/2 form a pair
 * turned by the position's angle: (a, b) → (a·cos − b·sin, b·cos + a·sin).
 */
function rotate(x: Float32Array, nHeads: number, D: number, T: number, rope: { cos: Float32Array; sin: Float32Array }): Float32Array {
  const W = nHeads * D;
  const half = D / 2;
  const out = new Float32Array(T * W); // T × nHeads·D
  for (let t = 0; t < T; t++) {
    for (let hd = 0; hd < nHeads; hd++) {
      const o = t * W + hd * D;
      for (let i = 0; i < half; i++) {
        const a = x[o + i];
        const b = x[o + half + i];
        const c = rope.cos[t * D + i];
        const s = rope.sin[t * D + i];
        out[o + i] = a * c - b * s;
        out[o + half + i] = b * c + a * s;
      }
    }
  }
  return out;
}
