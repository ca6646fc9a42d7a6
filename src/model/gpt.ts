// GPT-2's forward pass, written to mirror nanoGPT's model.py: embeddings, pre-norm blocks
// (attention then MLP, each added back to the residual stream), final layer norm, output head.
// Tracing is opt-in and records every intermediate under the names in trace.ts.
// A KV cache lets generation feed one new token at a time.
// Not here: training (src/train/), sampling (sampling.ts), loading files (checkpoint.ts).
//
// Shape legend: T new tokens, P tokens already in the cache, C width, n_head heads of size H,
// V vocabulary.

import { headSize, validateConfig, type GPTConfig } from './config.ts';
import type { Trace } from './trace.ts';
import { block, type TraceName } from './registry.ts';
import { embeddingRow, SharedRowTable, type EmbeddingTable, type GPTWeights, type LayerNormWeights } from './weights.ts';
import type { Kernels } from '../kernels/kernels.ts';
import type { WeightMatrix } from '../kernels/held.ts';
import type { HalfArray } from '../kernels/half.ts';
import { plainKernels } from '../kernels/plain.ts';
import { geluWith, layernormForward, residualForward, softmaxRowsWith } from './ops.ts';
import { causalAttention } from './attention.ts';
import { Workspace } from './workspace.ts';

export interface ForwardOptions {
  /** Record every intermediate tensor (costs memory; off for plain inference). */
  trace?: boolean;
  /** Keys and values of earlier positions; the new tokens are appended to it. */
  cache?: KVCache;
  /** Compute logits for the last position only (all generation needs). Ignored when tracing. */
  lastOnly?: boolean;
}

/** What every step of one forward pass shares: the new tokens' count, the cache, the recorder. */
interface Pass {
  T: number;
  cache: KVCache | undefined;
  record: (name: TraceName, shape: number[], data: Float32Array) => void;
  /** An array of n values for an intermediate: fresh when tracing, else from the workspace. */
  alloc: (n: number) => Float32Array;
}

export interface ForwardResult {
  /** T × V, or 1 × V with lastOnly. */
  logits: Float32Array;
  trace?: Trace;
}

/** Keys and values per layer for positions already seen, so each new token costs one position. */
export class KVCache {
  /** Number of positions stored. */
  length = 0;
  readonly keys: Float32Array[]; // per layer: capacity × C
  readonly values: Float32Array[]; // per layer: capacity × C

  /**
   * `capacity`: the most positions it will hold (default n_positions). Generating a few tokens
   * needs far fewer, and the full context costs GPT-2 XL 629 MB.
   */
  constructor(
    readonly config: GPTConfig,
    readonly capacity = config.nPositions,
  ) {
    const size = capacity * config.nEmbd;
    this.keys = Array.from({ length: config.nLayer }, () => new Float32Array(size));
    this.values = Array.from({ length: config.nLayer }, () => new Float32Array(size));
  }
}

/**
 * Table: how the token embeddings are held (floats, or halves as an F16 file stores them);
 * the large matrices may be arrays or held by the kernels (checkpoint.ts decides).
 */
export class GPT<Table extends EmbeddingTable = EmbeddingTable, Matrix extends WeightMatrix = WeightMatrix> {
  readonly config: GPTConfig;
  /** Intermediates of untraced passes, kept from one pass to the next (made on the first). */
  private workspace: Workspace | null = null;

  constructor(
    config: GPTConfig,
    readonly weights: GPTWeights<Table, Matrix>,
    readonly kernels: Kernels = plainKernels,
  ) {
    this.config = validateConfig(config);
    // Fast kernels pack the weights now (or send them to the GPU), so the first forward pass runs at full speed.
    for (const [matrix, K, N, transposed] of this.matrices()) kernels.prepareWeight?.(matrix, K, N, transposed);
  }

  /** Every weight matrix the kernels multiply by, with K, N and whether it is stored N × K. */
  private matrices(): [WeightMatrix | HalfArray, number, number, boolean][] {
    const { nEmbd: C, vocabSize: V } = this.config;
    const list: [WeightMatrix | HalfArray, number, number, boolean][] = this.weights.h.flatMap((b) => [
      [b.attn.c_attn.weight, C, 3 * C, false],
      [b.attn.c_proj.weight, C, C, false],
      [b.mlp.c_fc.weight, C, 4 * C, false],
      [b.mlp.c_proj.weight, 4 * C, C, false],
    ] as [WeightMatrix, number, number, boolean][]);
    const head = this.weights.lm_head ?? this.weights.wte;
    if (head instanceof SharedRowTable) list.push([head.rows, C, head.distinctRows, true]);
    else list.push([head, C, V, true]);
    return list;
  }

  /**
   * Frees what the kernels keep for this model's weights (held or packed copies), so the next
   * model can use the memory at once rather than when the garbage collector gets to it. The
   * model cannot run afterwards.
   */
  release(): void {
    for (const [matrix] of this.matrices()) this.kernels.forget?.(matrix);
  }

  forward(ids: readonly number[], options: ForwardOptions = {}): ForwardResult {
    const { nEmbd: C, vocabSize: V, nLayer } = this.config;
    const T = ids.length;
    const cache = options.cache;
    const past = cache ? cache.length : 0;
    if (T === 0) throw new Error('forward needs at least one token');
    if (past + T > this.config.nPositions) {
      throw new Error(
        `${past + T} positions exceed the model's context of ${this.config.nPositions}; keep only the last ${this.config.nPositions} tokens`,
      );
    }
    if (cache && past + T > cache.capacity) throw new Error(`${past + T} positions exceed the cache's capacity of ${cache.capacity}`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= V) {
        throw new Error(`token id ${id} is outside the vocabulary 0…${V - 1}`);
      }
    }
    const trace: Trace | undefined = options.trace ? new Map() : undefined;
    // When tracing, every intermediate below is a fresh array that nothing writes to once it is
    // computed, so the trace keeps the array itself. Copying would double what a pass allocates,
    // and in a browser each fresh megabyte costs about 3 ms (bench/forward-chromium.ts). Without
    // a trace, nothing outlives the pass but the logits, so intermediates reuse the workspace's.
    const workspace = trace ? null : (this.workspace ??= new Workspace());
    workspace?.startPass();
    const pass: Pass = {
      T,
      cache,
      record: (name, shape, data) => {
        if (trace) trace.set(name, { shape, data });
      },
      alloc: (n) => (workspace ? workspace.take(n) : new Float32Array(n)),
    };
    const { record } = pass;
    const w = this.weights;

    // Embeddings: each id picks a row of wte, each position a row of wpe.
    const tok = pass.alloc(T * C); // T × C
    const pos = pass.alloc(T * C); // T × C
    for (let t = 0; t < T; t++) {
      embeddingRow(w.wte, ids[t], C, tok, t * C);
      pos.set(w.wpe.subarray((past + t) * C, (past + t + 1) * C), t * C);
    }
    let x: Float32Array = pass.alloc(T * C); // T × C, the residual stream
    residualForward(x, tok, pos, T * C);
    record('embed.token', [T, C], tok);
    record('embed.position', [T, C], pos);
    record('embed.sum', [T, C], x);

    for (let l = 0; l < nLayer; l++) {
      workspace?.nextBlock();
      x = this.block(l, x, pass);
    }
    if (cache) cache.length += T;

    workspace?.nextBlock();
    const xf = this.layerNorm(x, w.ln_f, pass); // T × C
    record('ln_f', [T, C], xf);

    // Output head: logits = ln_f · Wᵀ, where W is wte itself when tied.
    const rows = options.lastOnly && !trace ? 1 : T;
    const logits = this.outputHead(xf.subarray((T - rows) * C), rows); // rows × V
    if (trace) {
      trace.set('logits', { shape: [T, V], data: logits });
      trace.set('probs', { shape: [T, V], data: this.probabilities(logits, T) });
    }
    return { logits, trace };
  }

  /** rows × V: ln_f and the output head on rows of any residual stream (rows × C), as the forward pass ends (the logit lens). */
  finalLogits(x: Float32Array, rows: number): Float32Array {
    const { nEmbd: C, layerNormEpsilon: eps } = this.config;
    const xf = new Float32Array(rows * C); // rows × C
    layernormForward(xf, x, this.weights.ln_f.weight, this.weights.ln_f.bias, rows, C, eps);
    return this.outputHead(xf, rows); // rows × V
  }

  /** The softmax of each of `rows` rows of V logits: the probabilities a forward pass traces. */
  probabilities(logits: Float32Array, rows: number): Float32Array {
    const V = this.config.vocabSize;
    const probs = new Float32Array(rows * V); // rows × V
    softmaxRowsWith(this.kernels, probs, logits, rows, V);
    return probs;
  }

  /** logits = x · Wᵀ for `rows` rows of x, where W (V × C) is the head, or wte when tied. */
  private outputHead(x: Float32Array, rows: number): Float32Array {
    const { nEmbd: C, vocabSize: V } = this.config;
    const head = this.weights.lm_head ?? this.weights.wte; // V × C
    const logits = new Float32Array(rows * V); // rows × V
    if (!(head instanceof SharedRowTable)) {
      this.kernels.matmulTransposed(logits, x, head, rows, C, V);
      return logits;
    }
    // Tokens that share a row share its score: score each distinct row once, then hand out.
    const U = head.distinctRows;
    const scores = new Float32Array(rows * U); // rows × U
    this.kernels.matmulTransposed(scores, x, head.rows, rows, C, U);
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < V; v++) logits[r * V + v] = scores[r * U + head.rowOf[v]];
    }
    return logits;
  }

  /** One Transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)). */
  private block(l: number, x: Float32Array, pass: Pass): Float32Array {
    const { nEmbd: C } = this.config;
    const { T, record } = pass;
    const b = this.weights.h[l];
    const k = this.kernels;

    const a = this.layerNorm(x, b.ln_1, pass); // T × C
    record(block(l, 'ln_1'), [T, C], a);
    const attn = this.attention(l, a, pass); // T × C
    const resid1 = pass.alloc(T * C); // T × C
    residualForward(resid1, x, attn, T * C);
    record(block(l, 'resid_1'), [T, C], resid1);

    const m = this.layerNorm(resid1, b.ln_2, pass); // T × C
    record(block(l, 'ln_2'), [T, C], m);
    const fc = pass.alloc(T * 4 * C); // T × 4C
    k.matmul(fc, m, b.mlp.c_fc.weight, b.mlp.c_fc.bias, T, C, 4 * C);
    record(block(l, 'mlp.fc'), [T, 4 * C], fc);
    const act = pass.alloc(T * 4 * C); // T × 4C
    geluWith(k, act, fc, T * 4 * C);
    record(block(l, 'mlp.gelu'), [T, 4 * C], act);
    const proj = pass.alloc(T * C); // T × C
    k.matmul(proj, act, b.mlp.c_proj.weight, b.mlp.c_proj.bias, T, 4 * C, C);
    record(block(l, 'mlp.proj'), [T, C], proj);
    const out = pass.alloc(T * C); // T × C
    residualForward(out, resid1, proj, T * C);
    record(block(l, 'out'), [T, C], out);
    return out;
  }

  /** Causal self-attention over the cached positions plus the T new ones. */
  private attention(l: number, x: Float32Array, pass: Pass): Float32Array {
    const { T, cache, record, alloc } = pass;
    const { nEmbd: C, nHead } = this.config;
    const H = headSize(this.config);
    const b = this.weights.h[l].attn;

    const qkv = alloc(T * 3 * C); // T × 3C
    this.kernels.matmul(qkv, x, b.c_attn.weight, b.c_attn.bias, T, C, 3 * C);
    const q = alloc(T * C); // T × C
    const kNew = alloc(T * C); // T × C
    const vNew = alloc(T * C); // T × C
    for (let t = 0; t < T; t++) {
      q.set(qkv.subarray(t * 3 * C, t * 3 * C + C), t * C);
      kNew.set(qkv.subarray(t * 3 * C + C, t * 3 * C + 2 * C), t * C);
      vNew.set(qkv.subarray(t * 3 * C + 2 * C, t * 3 * C + 3 * C), t * C);
    }
    record(block(l, 'attn.q'), [T, C], q);
    record(block(l, 'attn.k'), [T, C], kNew);
    record(block(l, 'attn.v'), [T, C], vNew);

    // Keys and values visible to the new tokens: the cache's P positions, then these T.
    const past = cache ? cache.length : 0;
    const S = past + T; // positions attended over
    let keys: Float32Array = kNew; // S × C
    let values: Float32Array = vNew; // S × C
    if (cache) {
      cache.keys[l].set(kNew, past * C);
      cache.values[l].set(vNew, past * C);
      keys = cache.keys[l].subarray(0, S * C);
      values = cache.values[l].subarray(0, S * C);
    }

    const { scores, weights, heads, concat } = causalAttention(this.kernels, q, keys, values, past, { T, S, D: H, nHead, nKv: nHead }, alloc);
    record(block(l, 'attn.scores'), [nHead, T, S], scores);
    record(block(l, 'attn.weights'), [nHead, T, S], weights);
    record(block(l, 'attn.heads'), [nHead, T, H], heads);
    record(block(l, 'attn.concat'), [T, C], concat);

    const proj = alloc(T * C); // T × C
    this.kernels.matmul(proj, concat, b.c_proj.weight, b.c_proj.bias, T, C, C);
    record(block(l, 'attn.proj'), [T, C], proj);
    return proj;
  }

  /** Layer norm of the pass's T rows of width C with the model's epsilon. */
  private layerNorm(x: Float32Array, p: LayerNormWeights, pass: Pass): Float32Array {
    const { nEmbd: C, layerNormEpsilon: eps } = this.config;
    const out = pass.alloc(pass.T * C); // T × C
    layernormForward(out, x, p.weight, p.bias, pass.T, C, eps);
    return out;
  }

  /** Runs the prompt with tracing on and returns every intermediate tensor. */
  trace(ids: readonly number[]): Trace {
    return this.forward(ids, { trace: true }).trace!;
  }
}

