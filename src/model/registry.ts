// The registry of named values: every number a scene can show, traced by the forward pass or
// derived from an explanation, has one entry here with its name, shape and meaning. The readout,
// the worker's transfer, the tests and the scenes all read it (docs/ARCHITECTURE.md).
//
// Names are built by the typed helpers below, so a misspelt name is a type error. With a second
// prompt to compare (Explanation.compare), `compare.NAME` is that prompt's value NAME, and the
// comparison's own values (`sharedStart`, `diff.*`) are declared here too.
// Shape legend: T tokens, C width, n_head heads of size H, V vocabulary, S generated steps,
// W the generation window, L blocks, D the logit lens's stages (1 + 2 · L); for the Llama family
// also nKV key/value heads and I the MLP width (there H is the config's head size, which need
// not be C / n_head).

import type { GPTConfig } from './config.ts';
import { headSize } from './config.ts';
import type { ModelConfig } from './architecture.ts';
import type { Explanation } from './explanation.ts';
import { ropeProducts } from './rope-products.ts';
import { headHabit, type HeadHabit } from './head-habits.ts';
import { mostLikely } from './sampling.ts';
import { nextProbsDifference, sharedStart, weightsDifference } from './comparison.ts';

/** What one block records, in the order it computes it. */
const BLOCK_STEPS = [
  'ln_1', 'attn.q', 'attn.k', 'attn.v', 'attn.scores', 'attn.weights', 'attn.heads', 'attn.concat', 'attn.proj',
  'resid_1', 'ln_2', 'mlp.fc', 'mlp.gelu', 'mlp.proj', 'out',
] as const;
/** What a Llama-family block records where its step differs from GPT-2's (llamaTraceTable). */
type LlamaBlockStep = 'rms_1' | 'attn.q_rot' | 'attn.k_rot' | 'rms_2' | 'mlp.gate' | 'mlp.up' | 'mlp.silu' | 'mlp.act';
/** What a GPT-2 block records. */
export type GPTBlockStep = (typeof BLOCK_STEPS)[number];
export type BlockStep = GPTBlockStep | LlamaBlockStep;
export type BlockName = `h.${number}.${BlockStep}`;

/** A tensor the forward pass records when tracing. */
export type TraceName =
  | 'embed.token' | 'embed.position' | 'embed.sum' | BlockName | 'ln_f' | 'logits' | 'probs'
  // The Llama family's own (llamaTraceTable): RoPE's angles, the final RMSNorm.
  | 'rope.angles' | 'rope.cos' | 'rope.sin' | 'rms_f';

/** A value computed from an explanation rather than recorded by the forward pass. */
type DerivedName =
  | 'tokens'
  | 'droppedPromptTokens'
  | 'parameterCount'
  | 'topTokens'
  | 'sharedLogit.count'
  | 'sharedLogit.value'
  | 'sampling.temperature'
  | 'sampling.topK'
  | 'sampling.topP'
  | 'sampling.seed'
  | 'sampledProbs'
  | 'generation.chosen'
  | 'generation.probability'
  | 'generation.context'
  | 'block'
  | 'head'
  | 'position'
  | `heads.${HeadHabit}`
  | 'lens.probs'
  | 'generation.window'
  // RoPE's products for the explanation's block and query head (rope-products.ts); Llama family only.
  | 'rope.dot'
  | 'rope.relative';

/** A value of one prompt's explanation. */
type PromptValueName = TraceName | DerivedName;

/**
 * A value of a comparison of two prompts (Explanation.compare, comparison.ts): how many tokens
 * they share from the start, and the second's numbers minus the first's.
 */
type ComparisonName = 'sharedStart' | 'diff.nextProbs' | `diff.h.${number}.attn.weights`;

/** What names the second prompt's values beside the first's: `compare.NAME` is its NAME. */
const SECOND = 'compare.';
type SecondName = `compare.${PromptValueName}`;

export type ValueName = PromptValueName | SecondName | ComparisonName;

/** Where a number on screen comes from: a named value and a flat row-major index into it. */
export interface Source {
  tensor: ValueName;
  index: number;
}

/** Block l's tensor for one step, e.g. block(0, 'attn.weights') is "h.0.attn.weights". */
export function block(l: number, step: BlockStep): BlockName {
  return `h.${l}.${step}`;
}

/**
 * Block l's input: for block 0 the embeddings' sum, or the token embeddings alone in a model
 * without a position table; else the previous block's output.
 */
export function blockInput(l: number, config: Pick<ModelConfig, 'positions'>): TraceName {
  if (l > 0) return block(l - 1, 'out');
  return config.positions === 'table' ? 'embed.sum' : 'embed.token';
}

/** The normalization block l applies before its attention or its MLP: layer norm (ln_1, ln_2) or RMSNorm (rms_1, rms_2). */
export function normBefore(l: number, step: 'attention' | 'mlp', config: Pick<ModelConfig, 'norm'>): BlockName {
  const rms = config.norm === 'rmsnorm';
  return block(l, step === 'attention' ? (rms ? 'rms_1' : 'ln_1') : rms ? 'rms_2' : 'ln_2');
}

/** The normalization after the last block: ln_f or rms_f. */
export function finalNorm(config: Pick<ModelConfig, 'norm'>): TraceName {
  return config.norm === 'rmsnorm' ? 'rms_f' : 'ln_f';
}

/** A flat row-major index as one index per dimension of `shape`. */
export function indicesOf(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return out;
}

/** The source of one number: the value `name` at flat index `index`. */
export function at(name: ValueName, index: number): Source {
  return { tensor: name, index };
}

interface ValueEntry {
  name: ValueName;
  shape: number[];
  /** What the value is, in a few words (the readout says it in parentheses). */
  what: string;
}

type TraceEntry = ValueEntry & { name: TraceName };

/** GPT-2's traced tensors, in the order the forward pass computes them, with their expected shapes. */
export function traceTable(config: GPTConfig, T: number): TraceEntry[] {
  const { nEmbd: C, nHead, vocabSize: V } = config;
  const H = headSize(config);
  const what: Record<GPTBlockStep, [number[], string]> = {
    ln_1: [[T, C], 'layer norm before attention'],
    'attn.q': [[T, C], 'queries, before splitting into heads'],
    'attn.k': [[T, C], 'keys, before splitting into heads'],
    'attn.v': [[T, C], 'values, before splitting into heads'],
    'attn.scores': [[nHead, T, T], 'Q Kᵀ / √H, before the mask'],
    'attn.weights': [[nHead, T, T], 'after the causal mask and softmax'],
    'attn.heads': [[nHead, T, H], 'weights × V, per head'],
    'attn.concat': [[T, C], 'heads side by side'],
    'attn.proj': [[T, C], 'after the output projection'],
    resid_1: [[T, C], 'block input + attention output'],
    ln_2: [[T, C], 'layer norm before the MLP'],
    'mlp.fc': [[T, 4 * C], 'first linear map'],
    'mlp.gelu': [[T, 4 * C], 'after GELU'],
    'mlp.proj': [[T, C], 'second linear map'],
    out: [[T, C], "resid_1 + MLP output: the block's output"],
  };
  const entries: TraceEntry[] = [
    { name: 'embed.token', shape: [T, C], what: 'rows of the token embedding table' },
    { name: 'embed.position', shape: [T, C], what: 'rows of the position embedding table' },
    { name: 'embed.sum', shape: [T, C], what: 'their sum, the input of block 0' },
  ];
  for (let l = 0; l < config.nLayer; l++) {
    for (const step of BLOCK_STEPS) entries.push({ name: block(l, step), shape: what[step][0], what: what[step][1] });
  }
  entries.push(
    { name: 'ln_f', shape: [T, C], what: 'final layer norm' },
    { name: 'logits', shape: [T, V], what: 'scores over the vocabulary' },
    { name: 'probs', shape: [T, V], what: 'softmax of the logits (temperature 1)' },
  );
  return entries;
}

/** The Llama family's traced tensors (llama.ts): GPT-2's names where the step is the same, new names where it differs. */
function llamaTraceTable(config: ModelConfig, T: number): TraceEntry[] {
  const { nEmbd: C, nHead, nKvHead, headDim: H, mlpWidth: I, vocabSize: V } = config;
  const entries: TraceEntry[] = [
    { name: 'embed.token', shape: [T, C], what: 'rows of the token embedding table (no position table): the input of block 0' },
    { name: 'rope.angles', shape: [T, H / 2], what: 'position × frequency: how far RoPE turns each pair of dimensions, in radians' },
    { name: 'rope.cos', shape: [T, H], what: 'cosine of each angle, repeated over both halves of a head' },
    { name: 'rope.sin', shape: [T, H], what: 'sine of each angle, repeated over both halves of a head' },
  ];
  for (let l = 0; l < config.nLayer; l++) {
    entries.push(
      { name: block(l, 'rms_1'), shape: [T, C], what: 'RMSNorm before attention' },
      { name: block(l, 'attn.q'), shape: [T, nHead * H], what: 'queries, before RoPE' },
      { name: block(l, 'attn.k'), shape: [T, nKvHead * H], what: 'keys (one per key/value head), before RoPE' },
      { name: block(l, 'attn.v'), shape: [T, nKvHead * H], what: 'values (one per key/value head)' },
      { name: block(l, 'attn.q_rot'), shape: [T, nHead * H], what: 'queries turned by their position (RoPE)' },
      { name: block(l, 'attn.k_rot'), shape: [T, nKvHead * H], what: 'keys turned by their position (RoPE)' },
      { name: block(l, 'attn.scores'), shape: [nHead, T, T], what: "Q Kᵀ / √H with each query head's shared key head, before the mask" },
      { name: block(l, 'attn.weights'), shape: [nHead, T, T], what: 'after the causal mask and softmax' },
      { name: block(l, 'attn.heads'), shape: [nHead, T, H], what: 'weights × V, per query head' },
      { name: block(l, 'attn.concat'), shape: [T, nHead * H], what: 'heads side by side' },
      { name: block(l, 'attn.proj'), shape: [T, C], what: 'after the output projection' },
      { name: block(l, 'resid_1'), shape: [T, C], what: 'block input + attention output' },
      { name: block(l, 'rms_2'), shape: [T, C], what: 'RMSNorm before the MLP' },
      { name: block(l, 'mlp.gate'), shape: [T, I], what: 'gate projection' },
      { name: block(l, 'mlp.up'), shape: [T, I], what: 'up projection' },
      { name: block(l, 'mlp.silu'), shape: [T, I], what: 'SiLU of the gate' },
      { name: block(l, 'mlp.act'), shape: [T, I], what: 'silu(gate) × up' },
      { name: block(l, 'mlp.proj'), shape: [T, C], what: 'down projection' },
      { name: block(l, 'out'), shape: [T, C], what: "resid_1 + MLP output: the block's output" },
    );
  }
  entries.push(
    { name: 'rms_f', shape: [T, C], what: 'final RMSNorm' },
    { name: 'logits', shape: [T, V], what: 'scores over the vocabulary' },
    { name: 'probs', shape: [T, V], what: 'softmax of the logits (temperature 1)' },
  );
  return entries;
}

/** Every tensor a model of this description traces for T tokens, in order, with its shape. */
export function modelTraceTable(config: ModelConfig, T: number): TraceEntry[] {
  return config.family === 'gpt2' ? traceTable(config, T) : llamaTraceTable(config, T);
}

/** A named value of one explanation: its entry and its numbers, flat and row-major. */
export interface NamedValue extends ValueEntry {
  data: ArrayLike<number>;
}

type Derived = { shape: number[]; data: ArrayLike<number> };

/** How many of the most likely next tokens `topTokens` ranks. */
const TOP_TOKENS = 16;

/** A single number of the explanation, as a named value of shape [1]. */
const one = (value: number) => ({ shape: [1], data: [value] });

/** The derived values, each computed from the explanation when asked for (null: this model has no such value). */
interface DerivedEntry {
  /** Its meaning, or a function giving it in this model's words. */
  what: string | ((config: ModelConfig) => string);
  value(ex: Explanation): Derived | null;
}

const DERIVED: Record<DerivedName, DerivedEntry> = {
  tokens: {
    what: 'the id of a prompt token',
    value: (ex) => ({ shape: [ex.tokens.length], data: ex.tokens.map((t) => t.id) }),
  },
  droppedPromptTokens: {
    what: "how many tokens were dropped from the front of a prompt longer than the model's context",
    value: (ex) => one(ex.droppedPromptTokens),
  },
  parameterCount: {
    what: "the model's parameter count, the numbers in its weight tensors",
    value: (ex) => one(ex.parameterCount),
  },
  topTokens: {
    what: 'the id of one of the most likely next tokens, most likely first (the largest entries of the last row of probs)',
    value: (ex) => {
      const V = ex.config.vocabSize;
      const last = lastRow(ex, 'probs');
      return { shape: [Math.min(TOP_TOKENS, V)], data: mostLikely(last, TOP_TOKENS) };
    },
  },
  'sharedLogit.count': {
    what: 'how many logits of the last row are one and the same number (tokens whose rows of the output head are identical)',
    value: (ex) => one(sharedLogit(ex).count),
  },
  'sharedLogit.value': {
    what: 'the number those logits share',
    value: (ex) => one(sharedLogit(ex).value),
  },
  'sampling.temperature': { what: 'the sampling temperature (0: greedy)', value: (ex) => one(ex.sampling.temperature) },
  'sampling.topK': { what: 'top-k: only the k most likely tokens are kept (0: all)', value: (ex) => one(ex.sampling.topK) },
  'sampling.topP': { what: 'top-p: the fewest tokens whose probabilities reach p are kept (1: all)', value: (ex) => one(ex.sampling.topP) },
  'sampling.seed': { what: 'the seed of the random draws', value: (ex) => one(ex.sampling.seed) },
  sampledProbs: {
    what: 'next-token probability after temperature, top-k and top-p',
    value: (ex) => ({ shape: [ex.sampledProbs.length], data: ex.sampledProbs }),
  },
  'generation.chosen': {
    what: 'id of the token generated at this step',
    value: (ex) => ({ shape: [ex.generation.length], data: ex.generation.map((s) => s.chosen.id) }),
  },
  'generation.probability': {
    what: 'probability of the token generated at this step',
    value: (ex) => ({ shape: [ex.generation.length], data: ex.generation.map((s) => s.probability) }),
  },
  'generation.context': {
    // S × W, row-major; a step whose context is shorter than W has no value past its end.
    what: 'id of a token in the context at this step',
    value: (ex) => {
      const W = ex.generationWindow;
      const data = new Array<number>(ex.generation.length * W).fill(NaN);
      ex.generation.forEach((s, i) => s.context.forEach((id, j) => (data[i * W + j] = id)));
      return { shape: [ex.generation.length, W], data };
    },
  },
  'generation.window': {
    what: 'how many tokens the model reads at most while generating (n_positions, or a small window to watch it slide)',
    value: (ex) => one(ex.generationWindow),
  },
  // Indices, not computed values: a block's, a head's or a position's number drawn as a label.
  block: {
    what: 'a block, counted from 0',
    value: (ex) => indices(ex.config.nLayer),
  },
  head: {
    what: 'a head within its block, counted from 0',
    value: (ex) => indices(ex.config.nHead),
  },
  position: {
    what: "a token's position in the prompt, counted from 0",
    value: (ex) => indices(ex.tokens.length),
  },
  // L × n_head each (head-habits.ts): what each head mostly looks at.
  'heads.previous': habitEntry('previous', 'the previous token'),
  'heads.first': habitEntry('first', 'the first token'),
  'heads.self': habitEntry('self', 'the token itself'),
  'lens.probs': {
    // D × V, row-major, for the lens's position; only each stage's N most likely tokens have a
    // value (the explanation keeps no more), every other entry holds none (NaN).
    what: (config) => `next-token probability if the model stopped at this depth: that stage's residual stream through ${config.norm === 'rmsnorm' ? 'the final RMSNorm' : 'ln_f'} and the output head (the logit lens)`,
    value: (ex) => {
      const { stages, top, ids, probs } = ex.lens;
      const V = ex.config.vocabSize;
      const data = new Float32Array(stages.length * V).fill(NaN);
      for (let s = 0; s < stages.length; s++) for (let k = 0; k < top; k++) data[s * V + ids[s * top + k]] = probs[s * top + k];
      return { shape: [stages.length, V], data };
    },
  },
  'rope.dot': {
    // T × T: row i the query's position, column j the key's; the score before √H and the mask.
    what: "turned query · turned key for the shown block and query head: the score before dividing by √H",
    value: (ex) => ropeValue(ex, 'dot'),
  },
  'rope.relative': {
    what: 'unturned query · the unturned key turned by the difference of the two positions’ angles: the same number as rope.dot',
    value: (ex) => ropeValue(ex, 'relative'),
  },
};

function indices(n: number): { shape: number[]; data: Int32Array } {
  return { shape: [n], data: Int32Array.from({ length: n }, (_, i) => i) };
}

function habitEntry(habit: HeadHabit, what: string): DerivedEntry {
  return {
    what: `mean attention weight this head puts on ${what}, over the rows from 2 on (where itself, the previous and the first token are three tokens)`,
    value: (ex) => ({ shape: [ex.config.nLayer, ex.config.nHead], data: headHabit(ex.trace, ex.config.nLayer, habit) }),
  };
}

const ropeCache = new WeakMap<Explanation, ReturnType<typeof ropeProducts>>();

/** One of RoPE's T × T products, computed once per explanation for both. */
function ropeValue(ex: Explanation, which: 'dot' | 'relative'): Derived | null {
  if (ex.config.positions !== 'rope') return null;
  let products = ropeCache.get(ex);
  if (!products) ropeCache.set(ex, (products = ropeProducts(ex.trace, ex.config, ex.layer, ex.head)));
  const T = ex.tokens.length;
  return { shape: [T, T], data: products[which] };
}

/** The last row of a T × V traced tensor. */
function lastRow(ex: Explanation, name: 'logits' | 'probs'): Float32Array {
  const V = ex.config.vocabSize;
  const T = ex.tokens.length;
  const tensor = ex.trace.get(name);
  if (!tensor) throw new Error(`the trace has no ${name}`);
  return tensor.data.subarray((T - 1) * V, T * V);
}

/** The value the most logits of the last row share, and how many share it (both entries read it once per explanation). */
function sharedLogit(ex: Explanation): { value: number; count: number } {
  let shared = sharedLogits.get(ex);
  if (!shared) sharedLogits.set(ex, (shared = mostSharedValue(lastRow(ex, 'logits'))));
  return shared;
}

const sharedLogits = new WeakMap<Explanation, { value: number; count: number }>();

/**
 * The value that occurs most often in `row`, and how often; of values that occur equally often,
 * the first to reach that count, reading in order. Counted in a hash table of the numbers' bits
 * (0 and −0 as one): a prompt change pays this for 50,257 logits, and a Map of numbers or a sort
 * took milliseconds each time.
 */
function mostSharedValue(row: Float32Array): { value: number; count: number } {
  const bits = new Int32Array(row.buffer, row.byteOffset, row.length);
  let size = 1;
  while (size < 2 * row.length) size *= 2;
  const shift = 32 - Math.log2(size);
  const keys = new Int32Array(size);
  const counts = new Int32Array(size); // 0: an empty slot
  let best = { value: row[0], count: 0 };
  for (let i = 0; i < row.length; i++) {
    const key = bits[i] === -0x80000000 ? 0 : bits[i]; // −0 counts as 0
    let slot = Math.imul(key, 0x9e3779b1) >>> shift;
    while (counts[slot] !== 0 && keys[slot] !== key) slot = (slot + 1) & (size - 1);
    keys[slot] = key;
    const n = ++counts[slot];
    if (n > best.count) best = { value: row[i], count: n };
  }
  return best;
}

/**
 * A dimension of the model or the prompt, as scenes name it in text: T tokens, C width,
 * n_head heads of size H, n_layer blocks, V tokens in the vocabulary, n_positions positions,
 * the MLP's width (4C in GPT-2, I in the Llama family) and its ratio to C, and √H, the scores'
 * divisor. For grouped-query attention also n_kv key/value heads, the query heads each serves
 * (n_head / n_kv), and the widths of Q (n_head·H) and of K and V (n_kv·H), which are C in
 * GPT-2; for RoPE the pairs of dimensions a head turns (H/2).
 */
export type DimName =
  | 'T'
  | 'C'
  | 'H'
  | 'nHead'
  | 'nLayer'
  | 'V'
  | 'nPositions'
  | 'mlpWidth'
  | 'mlpRatio'
  | 'sqrtH'
  | 'nKvHead'
  | 'kvGroup'
  | 'qWidth'
  | 'kvWidth'
  | 'ropePairs';

/** The value of dimension `name` for this explanation (from its config and its tokens). */
export function dimensionOf(ex: Explanation, name: DimName): number {
  const c = ex.config;
  const values: Record<DimName, number> = {
    T: ex.tokens.length,
    C: c.nEmbd,
    H: c.headDim,
    nHead: c.nHead,
    nLayer: c.nLayer,
    V: c.vocabSize,
    nPositions: c.nPositions,
    mlpWidth: c.mlpWidth,
    mlpRatio: c.mlpWidth / c.nEmbd,
    sqrtH: Math.sqrt(c.headDim),
    nKvHead: c.nKvHead,
    kvGroup: c.nHead / c.nKvHead,
    qWidth: c.nHead * c.headDim,
    kvWidth: c.nKvHead * c.headDim,
    ropePairs: c.positions === 'rope' ? c.headDim / 2 : 0,
  };
  return values[name];
}

/** Numbers the arithmetic fixes, not the model, which scenes name in text: each with its meaning. */
export const CONSTANTS = {
  'softmax.total': { value: 1, what: 'what the probabilities of a softmax add up to' },
  'layerNorm.mean': { value: 0, what: "a row's mean after layer norm's normalising step" },
  'layerNorm.spread': { value: 1, what: "a row's standard deviation after layer norm's normalising step" },
  'rmsNorm.rms': { value: 1, what: "a row's root mean square after RMSNorm's normalising step" },
  zero: { value: 0, what: 'zero: the weight of a masked position (e^−∞ = 0), the middle of an axis' },
} as const;

export type ConstantName = keyof typeof CONSTANTS;

/** A value of a comparison: computed from the explanation and its second prompt's (comparison.ts). */
interface ComparisonEntry {
  what: string;
  value(first: Explanation, second: Explanation, layer: number): Derived;
}

const COMPARISON = {
  sharedStart: {
    what: 'how many tokens, from the first, the two prompts have in common',
    value: (first, second) => one(sharedStart(first, second)),
  },
  'diff.nextProbs': {
    // V.
    what: "the second prompt's next-token probability minus the first's, each after its own last token",
    value: (first, second) => ({ shape: [first.config.vocabSize], data: nextProbsDifference(first, second) }),
  },
  'diff.attn.weights': {
    // n_head × T' × T', T' the shorter prompt's length.
    what: "the second prompt's attention weight minus the first's, at the same head, row and column (positions counted from the start, over those both prompts have)",
    value: (first, second, layer) => weightsDifference(first, second, layer),
  },
} satisfies Record<string, ComparisonEntry>;

/** The comparison's entry a name asks for, with its block, or null for a name of one prompt's value. */
function comparisonEntry(ex: Explanation, name: string): { entry: ComparisonEntry; layer: number } | null {
  const perBlock = /^diff\.h\.(\d+)\.attn\.weights$/.exec(name);
  if (perBlock) {
    const layer = Number(perBlock[1]);
    return ex.trace.has(block(layer, 'attn.weights')) ? { entry: COMPARISON['diff.attn.weights'], layer } : null;
  }
  return name === 'sharedStart' || name === 'diff.nextProbs' ? { entry: COMPARISON[name], layer: 0 } : null;
}

/** The value `name` of this explanation, or undefined when it has none by that name. */
export function namedValue(ex: Explanation, name: string): NamedValue | undefined {
  if (name.startsWith(SECOND)) {
    const value = ex.compare && namedValue(ex.compare, name.slice(SECOND.length));
    return value && { ...value, name: name as ValueName, what: `${value.what}, for the second prompt` };
  }
  const compared = comparisonEntry(ex, name);
  if (compared && !ex.compare) return undefined;
  if (name in DERIVED || compared) {
    let values = derivedValues.get(ex);
    if (!values) derivedValues.set(ex, (values = new Map()));
    let value = values.get(name);
    if (value === undefined) values.set(name, (value = compared ? compared.entry.value(ex, ex.compare!, compared.layer) : DERIVED[name as DerivedName].value(ex)));
    if (value === null) return undefined;
    const what = compared ? compared.entry.what : DERIVED[name as DerivedName].what;
    return { name: name as ValueName, what: typeof what === 'string' ? what : what(ex.config), ...value };
  }
  const tensor = ex.trace.get(name as TraceName);
  if (!tensor) return undefined;
  return { name: name as TraceName, what: traceMeanings(ex).get(name) ?? '', shape: tensor.shape, data: tensor.data };
}

/**
 * The explanation a value belongs to, with its name there: for a second prompt's name
 * (`compare.NAME`), the second prompt's explanation and NAME (`second` true); else this one.
 * Null for a second prompt's name when there is none.
 */
export function ownerOf(ex: Explanation, source: Source): { explanation: Explanation; source: Source; second: boolean } | null {
  if (!source.tensor.startsWith(SECOND)) return { explanation: ex, source, second: false };
  if (!ex.compare) return null;
  return { explanation: ex.compare, source: { tensor: source.tensor.slice(SECOND.length) as PromptValueName, index: source.index }, second: true };
}

/** The second prompt's name for one of its values (or for a value's text, "probs[3, 7]"): `compare.NAME`. */
export function secondPrompt<N extends string>(name: N): `compare.${N}` {
  return `${SECOND}${name}`;
}

// An explanation never changes once made, so what is derived from it is computed once.
const derivedValues = new WeakMap<Explanation, Map<string, Derived | null>>();
const meanings = new WeakMap<Explanation, Map<string, string>>();

/** Each traced name's meaning for this explanation's model, built once per explanation. */
function traceMeanings(ex: Explanation): Map<string, string> {
  let m = meanings.get(ex);
  if (!m) {
    m = new Map(modelTraceTable(ex.config, ex.tokens.length).map((e) => [e.name, e.what]));
    meanings.set(ex, m);
  }
  return m;
}
