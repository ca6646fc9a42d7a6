// The formulas of formula.ts, kind by kind: each builds a Formula for one value from the model's
// weights and the trace (the table of kinds is in docs/ARCHITECTURE.md, "What a number is made of").
//
// Shape legend: T tokens, C width, n_head heads of size H, V vocabulary.

import type { GPT } from './gpt.ts';
import type { LanguageModel } from './language-model.ts';
import { GELU_SCALE } from './ops.ts';
import { block, indicesOf, type TraceName } from './registry.ts';
import { traced, type Trace } from './trace.ts';
import { embeddingRow } from './weights.ts';
import { HeldMatrix, type WeightMatrix } from '../kernels/held.ts';
import { add, apply, exact, minus, num, over, times, type Expr } from './formula-expr.ts';
import type { Formula, InputRun } from './formula.ts';

/** What every kind reads: the model (GPT-2's unless said), one prompt's trace and ids, and how to show a token. */
export interface Context<M extends LanguageModel = GPT> {
  model: M;
  trace: Trace;
  ids: readonly number[];
  /** The display piece of a token id. */
  piece: (id: number) => string;
}

/** What every kind is handed: the value's name and the value itself. */
export type Base = Pick<Formula, 'target' | 'result'>;

/** Terms shown by name; the rest are summed into one number. */
const SHOWN_TERMS = 3;

/**
 * The indices of the SHOWN_TERMS terms largest in size (and `keep`), largest first; all of them,
 * in order, when there are at most one more than that.
 */
function largest(count: number, size: (k: number) => number, keep?: number): number[] {
  if (count <= SHOWN_TERMS + 1) return Array.from({ length: count }, (_, k) => k);
  const top: number[] = [];
  for (let k = 0; k < count; k++) {
    const s = Math.abs(size(k));
    if (top.length < SHOWN_TERMS || s > Math.abs(size(top[top.length - 1]))) {
      top.push(k);
      top.sort((a, b) => Math.abs(size(b)) - Math.abs(size(a)));
      if (top.length > SHOWN_TERMS) top.pop();
    }
  }
  if (keep !== undefined && !top.includes(keep)) top.push(keep);
  return top;
}

const others = (count: number, what = 'terms') => `(the other ${count.toLocaleString('en-US')} ${count === 1 ? what.replace(/s$/, '') : what})`;

/** Σₖ a(k)·b(k) as its largest terms and the sum of the others, with its full value. */
export function dotProduct(K: number, a: (k: number) => number, b: (k: number) => number): { terms: Expr[]; value: number } {
  const shown = largest(K, (k) => a(k) * b(k));
  const isShown = new Set(shown);
  let rest = 0;
  let value = 0;
  for (let k = 0; k < K; k++) {
    const term = a(k) * b(k);
    value += term;
    if (!isShown.has(k)) rest += term;
  }
  const terms: Expr[] = shown.map((k) => times(num(a(k)), num(b(k))));
  if (K > shown.length) terms.push(num(rest, others(K - shown.length)));
  return { terms, value };
}

export type LinearStep = 'attn.q' | 'attn.k' | 'attn.v' | 'attn.proj' | 'mlp.fc' | 'mlp.proj';

/** A cell of x · W + b: its input row, which weights, and their names. */
export function linear(c: Context, base: Base, l: number, step: LinearStep, t: number, j: number): Formula {
  const { nEmbd: C } = c.model.config;
  const b = c.model.weights.h[l];
  const qkv = { 'attn.q': ['q', 0], 'attn.k': ['k', 1], 'attn.v': ['v', 2] } as const;
  const spec = step in qkv
    ? { input: block(l, 'ln_1'), p: b.attn.c_attn, param: `h.${l}.attn.c_attn`, K: C, width: 3 * C, offset: qkv[step as keyof typeof qkv][1] * C, w: `W_${qkv[step as keyof typeof qkv][0]}` }
    : step === 'attn.proj'
      ? { input: block(l, 'attn.concat'), p: b.attn.c_proj, param: `h.${l}.attn.c_proj`, K: C, width: C, offset: 0, w: 'W_o' }
      : step === 'mlp.fc'
        ? { input: block(l, 'ln_2'), p: b.mlp.c_fc, param: `h.${l}.mlp.c_fc`, K: C, width: 4 * C, offset: 0, w: 'W_fc' }
        : { input: block(l, 'mlp.gelu'), p: b.mlp.c_proj, param: `h.${l}.mlp.c_proj`, K: 4 * C, width: C, offset: 0, w: 'W_proj' };
  const x = traced(c.trace, spec.input).data;
  const column = weightColumn(spec.p.weight, spec.K, spec.width, spec.offset + j);
  const { terms } = dotProduct(spec.K, (k) => x[t * spec.K + k], (k) => column[k]);
  const bias = spec.p.bias[spec.offset + j];
  const bName = spec.w.replace('W', 'b');
  const part = spec.width === 3 * C ? `columns ${spec.offset}…${spec.offset + C - 1} of ` : '';
  return {
    kind: 'linear',
    ...base,
    definition: `Σₖ ${spec.input}[${t}, k] · ${spec.w}[k, ${j}] + ${bName}[${j}], k = 0…${spec.K - 1}`,
    steps: [add(...terms, num(bias, `(${bName}[${j}])`))],
    notes: [
      `${spec.w} and ${bName} are ${part}the weight and bias of ${spec.param}${part ? ' (queries, keys and values come from one product)' : ''}; the terms shown are the largest in size.`,
    ],
    inputs: [{ tensor: spec.input, start: t * spec.K, count: spec.K, stride: 1 }],
  };
}

/**
 * Where query head h reads in a block's trace: the queries (turned by RoPE where the family has
 * it), the keys and values, their row widths, the head size H, and the key/value head g it
 * shares (itself unless grouped-query attention makes several query heads share one).
 */
function headInputs(c: Context<LanguageModel>, l: number, h: number) {
  const turned = c.trace.has(block(l, 'attn.q_rot'));
  const [q, k, v] = [block(l, turned ? 'attn.q_rot' : 'attn.q'), block(l, turned ? 'attn.k_rot' : 'attn.k'), block(l, 'attn.v')];
  const nHead = traced(c.trace, block(l, 'attn.scores')).shape[0];
  const H = traced(c.trace, block(l, 'attn.heads')).shape[2];
  const qWidth = traced(c.trace, q).shape[1]; // nHead · H
  const kvWidth = traced(c.trace, k).shape[1]; // nKv · H
  const g = Math.floor(h / (qWidth / kvWidth)); // query heads per key/value head
  return { q, k, v, H, qWidth, kvWidth, g, shared: kvWidth < qWidth ? `key/value head ${g}, which ${qWidth / kvWidth} of the ${nHead} query heads share` : null, turned };
}

/** A score: head h's query of token r dotted with its (key/value head's) key of token c, over √H. */
export function scaledDot(c: Context<LanguageModel>, base: Base, l: number, h: number, r: number, col: number): Formula {
  const { q: qName, k: kName, H, qWidth, kvWidth, g, shared, turned } = headInputs(c, l, h);
  const q = traced(c.trace, qName).data;
  const k = traced(c.trace, kName).data;
  const [from, kFrom] = [h * H, g * H];
  const { terms, value } = dotProduct(H, (d) => q[r * qWidth + from + d], (d) => k[col * kvWidth + kFrom + d]);
  const root = exact(Math.sqrt(H), `√${H}`);
  return {
    kind: 'scaled-dot',
    ...base,
    definition: `(Σ_d ${qName}[${r}, ${from} + d] · ${kName}[${col}, ${kFrom} + d]) / √H, d = 0…${H - 1}`,
    steps: [over(add(...terms), root), over(num(value), root)],
    notes: [
      `Head ${h} reads columns ${from}…${from + H - 1} of Q: the query of token ${r} “${c.piece(c.ids[r])}”, against the key of token ${col} “${c.piece(c.ids[col])}”` +
        `${shared ? ` from ${shared}` : ''}${turned ? ', both turned by their positions (RoPE)' : ''}. Dividing by √H keeps scores from growing with the head's width.`,
    ],
    inputs: [
      { tensor: qName, start: r * qWidth + from, count: H, stride: 1 },
      { tensor: kName, start: col * kvWidth + kFrom, count: H, stride: 1 },
    ],
  };
}

/** One head's output cell: the attention weights of token t times a column of its (key/value head's) V. */
export function weightedSum(c: Context<LanguageModel>, base: Base, l: number, h: number, t: number, j: number): Formula {
  const { v: vName, H, kvWidth, g, shared } = headInputs(c, l, h);
  const [, T] = traced(c.trace, block(l, 'attn.weights')).shape;
  const w = traced(c.trace, block(l, 'attn.weights')).data;
  const v = traced(c.trace, vName).data;
  const row = (h * T + t) * T;
  const column = g * H + j;
  const { terms } = dotProduct(t + 1, (s) => w[row + s], (s) => v[s * kvWidth + column]);
  return {
    kind: 'weighted-sum',
    ...base,
    definition: `Σₛ ${block(l, 'attn.weights')}[${h}, ${t}, s] · ${vName}[s, ${column}], s = 0…${t}`,
    steps: [add(...terms)],
    notes: [
      `Token ${t} mixes the values of the tokens up to itself by head ${h}'s attention weights (column ${column} of V is column ${j} of ${shared ?? `head ${g}`}); later tokens have weight 0.`,
    ],
    inputs: [
      { tensor: block(l, 'attn.weights'), start: row, count: t + 1, stride: 1 },
      { tensor: vName, start: column, count: t + 1, stride: kvWidth },
    ],
  };
}

/** A logit: the final layer norm's row dotted with the token's row of the output head. */
export function logit(c: Context, base: Base, t: number, v: number): Formula {
  const { nEmbd: C } = c.model.config;
  const x = traced(c.trace, 'ln_f').data;
  const head = c.model.weights.lm_head;
  const row = new Float32Array(C);
  if (head instanceof HeldMatrix) head.row(v, row);
  else if (head) row.set(head.subarray(v * C, (v + 1) * C));
  else embeddingRow(c.model.weights.wte, v, C, row, 0);
  const w = head ? 'W_lm' : 'W_te';
  const { terms } = dotProduct(C, (k) => x[t * C + k], (k) => row[k]);
  return {
    kind: 'logit',
    ...base,
    definition: `Σ_c ln_f[${t}, c] · ${w}[${v}, c], c = 0…${C - 1}`,
    steps: [add(...terms)],
    notes: [
      head
        ? `${w} is this model's own output head (not tied to the token embeddings); row ${v} scores the token “${c.piece(v)}”.`
        : `The output head is the token embedding table itself (tied weights, as in GPT-2): row ${v} of W_te is the row the token “${c.piece(v)}” is embedded with.`,
    ],
    inputs: [{ tensor: 'ln_f', start: t * C, count: C, stride: 1 }],
  };
}

/**
 * A softmax cell: e^(x − m) over the total of the row's exponentials, m the row's largest entry.
 * `x(j)` is the row's j-th entry (j < count), `own` the cell's, `label(j)` names an entry.
 */
function softmax(base: Base, o: { definition: string; count: number; own: number; x: (j: number) => number; label: (j: number) => string; notes: string[]; inputs: InputRun[] }): Formula {
  let m = -Infinity;
  for (let j = 0; j < o.count; j++) m = Math.max(m, o.x(j));
  const e = (j: number) => Math.exp(o.x(j) - m);
  const shown = largest(o.count, e, o.own);
  const isShown = new Set(shown);
  let total = 0;
  let rest = 0;
  for (let j = 0; j < o.count; j++) {
    total += e(j);
    if (!isShown.has(j)) rest += e(j);
  }
  const exps: Expr[] = shown.map((j) => num(e(j), `(${o.label(j)})`));
  if (o.count > shown.length) exps.push(num(rest, others(o.count - shown.length)));
  return {
    kind: 'softmax',
    ...base,
    definition: o.definition,
    steps: [over(apply('exp', minus(num(o.x(o.own)), num(m))), add(...exps)), over(num(e(o.own)), num(total))],
    notes: [`m = ${num(m).text} is the row's largest entry; subtracting it changes no weight and keeps e^(·) from overflowing.`, ...o.notes],
    inputs: o.inputs,
  };
}

export function attentionSoftmax(c: Context<LanguageModel>, base: Base, l: number, h: number, r: number, col: number): Formula {
  const name = block(l, 'attn.scores');
  const [, T] = traced(c.trace, name).shape;
  const scores = traced(c.trace, name).data;
  const row = (h * T + r) * T;
  return softmax(base, {
    definition: `e^(s_${col} − m) / Σⱼ e^(s_j − m), s = ${name}[${h}, ${r}, ·], j = 0…${r}`,
    count: r + 1,
    own: col,
    x: (j) => scores[row + j],
    label: (j) => `“${c.piece(c.ids[j])}”`,
    notes: [`The scores of later tokens are −∞ after the causal mask, so their exponentials are 0 and only j = 0…${r} count.`],
    inputs: [{ tensor: name, start: row, count: r + 1, stride: 1 }],
  });
}

export function vocabularySoftmax(c: Context<LanguageModel>, base: Base, t: number, v: number): Formula {
  const V = c.model.config.vocabSize;
  const logits = traced(c.trace, 'logits').data;
  return softmax(base, {
    definition: `e^(logits[${t}, ${v}] − m) / Σᵤ e^(logits[${t}, u] − m), u = 0…${V - 1}`,
    count: V,
    own: v,
    x: (u) => logits[t * V + u],
    label: (u) => `“${c.piece(u)}”`,
    notes: [`This is the probability of the token “${c.piece(v)}” after token ${t}, at temperature 1.`],
    inputs: [{ tensor: 'logits', start: t * V, count: V, stride: 1 }],
  });
}

/** A score hidden by the causal mask (−∞), or the weight it gets (0): token c comes after token r. */
export function masked(c: Context<LanguageModel>, base: Base, l: number, h: number, r: number, col: number, what: 'score' | 'weight'): Formula {
  const name = block(l, 'attn.scores');
  const [, T] = traced(c.trace, name).shape;
  const scores = traced(c.trace, name).data;
  const row = (h * T + r) * T;
  const why =
    `Token ${col} “${c.piece(c.ids[col])}” comes after token ${r} “${c.piece(c.ids[r])}”: a token may attend only to itself and earlier tokens, ` +
    `so the causal mask sets this score to −∞ (before the mask, q · k / √H was ${num(scores[row + col]).text}).`;
  if (what === 'score') {
    return { kind: 'masked', target: `${base.target} after the causal mask`, definition: '−∞', steps: [], result: num(-Infinity), notes: [why], inputs: [] };
  }
  let m = -Infinity;
  for (let j = 0; j <= r; j++) m = Math.max(m, scores[row + j]);
  let total = 0;
  for (let j = 0; j <= r; j++) total += Math.exp(scores[row + j] - m);
  return {
    kind: 'masked',
    ...base,
    definition: `e^(s_${col} − m) / Σⱼ e^(s_j − m), with s_${col} = −∞`,
    steps: [over(apply('exp', num(-Infinity)), num(total))],
    notes: [why, 'And e^(−∞) = 0, so the weight is exactly 0.'],
    inputs: [],
  };
}

/** (x − μ) / √(σ² + ε) · γ + β over one row of the input. */
export function layerNorm(c: Context, base: Base, input: TraceName, param: string, p: { weight: Float32Array; bias: Float32Array }, t: number, j: number): Formula {
  const { nEmbd: C, layerNormEpsilon: eps } = c.model.config;
  const x = traced(c.trace, input).data;
  let mean = 0;
  for (let k = 0; k < C; k++) mean += x[t * C + k];
  mean /= C;
  let variance = 0;
  for (let k = 0; k < C; k++) variance += (x[t * C + k] - mean) ** 2;
  variance /= C;
  const normalised = (x[t * C + j] - mean) / Math.sqrt(variance + eps);
  const [xj, mu, sigma2, gain, bias] = [num(x[t * C + j]), num(mean), num(variance), num(p.weight[j]), num(p.bias[j])];
  return {
    kind: 'layer-norm',
    ...base,
    definition: `(x − μ) / √(σ² + ε) · γ[${j}] + β[${j}], x = ${input}[${t}, ${j}]`,
    steps: [add(times(over(minus(xj, mu), apply('sqrt', add(sigma2, exact(eps)))), gain), bias), add(times(num(normalised), gain), bias)],
    notes: [
      `μ = ${mu.text} and σ² = ${sigma2.text} are the mean and variance of the ${C} numbers in row ${t} of ${input}; ε = ${exact(eps).text} keeps the division safe; γ and β are ${param}'s learned gain and bias.`,
    ],
    inputs: [{ tensor: input, start: t * C, count: C, stride: 1 }],
  };
}

/** GELU in GPT-2's tanh form, of the first linear map's cell. */
export function gelu(base: Base, input: TraceName, index: number, c: Context): Formula {
  const x = num(traced(c.trace, input).data[index]);
  const at = indicesOf(index, traced(c.trace, input).shape);
  const inner = times(exact(GELU_SCALE, '√(2/π)'), add(x, times(exact(0.044715), apply('cube', x))));
  return {
    kind: 'gelu',
    ...base,
    definition: `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))), x = ${input}[${at.join(', ')}]`,
    steps: [times(exact(0.5), x, add(exact(1), apply('tanh', inner)))],
    notes: ['GELU in the tanh form GPT-2 was trained with: close to x for large x, close to 0 for very negative x.'],
    inputs: [{ tensor: input, start: index, count: 1, stride: 1 }],
  };
}

/** A sum of two cells at the same place: the embeddings' sum, or a residual connection. */
export function sum(c: Context<LanguageModel>, base: Base, a: TraceName, b: TraceName, index: number): Formula {
  const at = indicesOf(index, traced(c.trace, a).shape).join(', ');
  return {
    kind: 'sum',
    ...base,
    definition: `${a}[${at}] + ${b}[${at}]`,
    steps: [add(num(traced(c.trace, a).data[index]), num(traced(c.trace, b).data[index]))],
    notes: [],
    inputs: [a, b].map((tensor) => ({ tensor, start: index, count: 1, stride: 1 })),
  };
}

export function tokenRow(c: Context, base: Base, t: number, j: number): Formula {
  const { nEmbd: C } = c.model.config;
  const id = c.ids[t];
  const row = new Float32Array(C);
  embeddingRow(c.model.weights.wte, id, C, row, 0);
  return {
    kind: 'token-row',
    ...base,
    definition: `W_te[${id}, ${j}]`,
    steps: [num(row[j])],
    notes: [`Entry ${j} of row ${id} of the token embedding table: token ${t} is “${c.piece(id)}”, id ${id}, so it picks row ${id}.`],
    inputs: [{ tensor: 'tokens', start: t, count: 1, stride: 1 }],
  };
}

export function positionRow(c: Context, base: Base, t: number, j: number): Formula {
  const { nEmbd: C } = c.model.config;
  return {
    kind: 'position-row',
    ...base,
    definition: `W_pe[${t}, ${j}]`,
    steps: [num(c.model.weights.wpe[t * C + j])],
    notes: [`Entry ${j} of row ${t} of the position embedding table: token ${t} sits at position ${t}, so it picks row ${t}.`],
    inputs: [],
  };
}

/** A column of the heads side by side: one head's output, moved. */
export function headColumn(c: Context<LanguageModel>, base: Base, l: number, t: number, col: number): Formula {
  const [, T, H] = traced(c.trace, block(l, 'attn.heads')).shape; // n_head × T × H
  const [h, j] = [Math.floor(col / H), col % H];
  const index = (h * T + t) * H + j;
  return {
    kind: 'head-column',
    ...base,
    definition: `${block(l, 'attn.heads')}[${h}, ${t}, ${j}]`,
    steps: [num(traced(c.trace, block(l, 'attn.heads')).data[index])],
    notes: [`Column ${col} = ${h} · ${H} + ${j}: head ${h}'s column ${j}, placed beside the other heads' columns.`],
    inputs: [{ tensor: block(l, 'attn.heads'), start: index, count: 1, stride: 1 }],
  };
}

/** A total a scene drew (a row's sum), or a remainder (1 minus the sum of the values listed). */
export function total(c: Context<LanguageModel>, name: TraceName, indices: readonly number[], remainder: boolean): Formula {
  const tensor = traced(c.trace, name);
  const vocabularyWide = tensor.shape.at(-1) === c.model.config.vocabSize;
  const label = (i: number) => {
    const at = indicesOf(i, tensor.shape);
    return vocabularyWide ? `“${c.piece(at.at(-1)!)}”` : `${name}[${at.join(', ')}]`;
  };
  const value = (k: number) => tensor.data[indices[k]];
  const shown = largest(indices.length, value);
  const isShown = new Set(shown);
  let all = 0;
  let rest = 0;
  indices.forEach((_, k) => {
    all += value(k);
    if (!isShown.has(k)) rest += value(k);
  });
  const terms: Expr[] = shown.map((k) => num(value(k), `(${label(indices[k])})`));
  if (indices.length > shown.length) terms.push(num(rest, others(indices.length - shown.length, 'values')));
  const listed = `the ${indices.length} values of ${name} at ${indices.slice(0, 3).map(label).join(', ')}${indices.length > 3 ? ', …' : ''}`;
  return {
    kind: remainder ? 'remainder' : 'total',
    target: remainder ? `1 − the sum of ${listed}` : `the sum of ${listed}`,
    definition: remainder ? `1 − Σ ${name}[i] over those ${indices.length}` : `Σ ${name}[i] over those ${indices.length}`,
    steps: [remainder ? minus(exact(1), add(...terms)) : add(...terms)],
    result: num(remainder ? 1 - all : all),
    notes: remainder ? ['What is left of the total probability of 1 for all the tokens not listed.'] : [],
    inputs: indices.map((start) => ({ tensor: name, start, count: 1, stride: 1 })),
  };
}

/** Column `j` of a K × width weight matrix (stored row-major, as the file has it). */
function weightColumn(weight: WeightMatrix, K: number, width: number, j: number): Float32Array {
  const column = new Float32Array(K);
  if (weight instanceof HeldMatrix) {
    // The kernels hand out whole rows only.
    const row = new Float32Array(width);
    for (let k = 0; k < K; k++) {
      weight.row(k, row);
      column[k] = row[j];
    }
  } else for (let k = 0; k < K; k++) column[k] = weight[k * width + j];
  return column;
}
