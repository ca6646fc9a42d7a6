// What a number is made of: for a value a scene shows, its formula with the model's real inputs,
// computed from the model's weights and one prompt's trace. A product cell is its largest terms
// and the sum of the rest, a softmax weight its exponential over the row's total, a layer norm
// output comes from its row's mean and variance, and so on for every traced value (KIND).
// In the page this runs in the Web Worker, which has the weights; the player shows the text and
// highlights the inputs on screen (docs/ARCHITECTURE.md, "What a number is made of"). Each
// kind's formula is built in formula-kinds.ts.

import { Llama } from './llama.ts';
import type { LanguageModel } from './language-model.ts';
import { block, blockInput, indicesOf, namedValue, secondPrompt, type BlockStep, type GPTBlockStep, type Source, type TraceName, type ValueName } from './registry.ts';
import type { Trace } from './trace.ts';
import { exprText, minus, num, type Expr, type Num } from './formula-expr.ts';
import type { Explanation } from './explanation.ts';
import {
  attentionSoftmax, gelu, headColumn, layerNorm, linear, logit, masked, positionRow, scaledDot, sum, tokenRow, total, vocabularySoftmax, weightedSum,
  type Base, type Context, type LinearStep,
} from './formula-kinds.ts';
import { gated, llamaLinear, llamaLogit, llamaTokenRow, rmsNorm, ropeAngle, ropeTrig, rotation, silu } from './formula-llama.ts';

export type FormulaKind =
  | 'linear' | 'scaled-dot' | 'weighted-sum' | 'logit' | 'softmax' | 'masked' | 'layer-norm' | 'gelu'
  | 'sum' | 'token-row' | 'position-row' | 'head-column' | 'total' | 'remainder' | 'difference'
  // The Llama family's own steps (formula-llama.ts).
  | 'rms-norm' | 'rotation' | 'silu' | 'product' | 'angle';

/** GPT-2 adds a position table to the token embeddings: block 0 reads their sum. */
const GPT2 = { positions: 'table' } as const;
/** The Llama family has none: block 0 reads the token embeddings. */
const LLAMA = { positions: 'rope' } as const;

type TopLevelName = 'embed.token' | 'embed.position' | 'embed.sum' | 'ln_f' | 'logits' | 'probs';

/** The formula of each traced value of GPT-2's family (an attention cell the mask hides is 'masked'). */
const KIND: Record<TopLevelName | GPTBlockStep, FormulaKind> = {
  'embed.token': 'token-row',
  'embed.position': 'position-row',
  'embed.sum': 'sum',
  ln_1: 'layer-norm',
  'attn.q': 'linear',
  'attn.k': 'linear',
  'attn.v': 'linear',
  'attn.scores': 'scaled-dot',
  'attn.weights': 'softmax',
  'attn.heads': 'weighted-sum',
  'attn.concat': 'head-column',
  'attn.proj': 'linear',
  resid_1: 'sum',
  ln_2: 'layer-norm',
  'mlp.fc': 'linear',
  'mlp.gelu': 'gelu',
  'mlp.proj': 'linear',
  out: 'sum',
  ln_f: 'layer-norm',
  logits: 'logit',
  probs: 'softmax',
};

type LlamaTopLevelName = 'embed.token' | 'rope.angles' | 'rope.cos' | 'rope.sin' | 'rms_f' | 'logits' | 'probs';
type LlamaStep = Exclude<BlockStep, 'ln_1' | 'ln_2' | 'mlp.fc' | 'mlp.gelu'>;

/** The formula of each traced value of the Llama family: GPT-2's kind where the step is the same. */
const LLAMA_KIND: Record<LlamaTopLevelName | LlamaStep, FormulaKind> = {
  'embed.token': 'token-row',
  'rope.angles': 'angle',
  'rope.cos': 'angle',
  'rope.sin': 'angle',
  rms_1: 'rms-norm',
  'attn.q': 'linear',
  'attn.k': 'linear',
  'attn.v': 'linear',
  'attn.q_rot': 'rotation',
  'attn.k_rot': 'rotation',
  'attn.scores': 'scaled-dot',
  'attn.weights': 'softmax',
  'attn.heads': 'weighted-sum',
  'attn.concat': 'head-column',
  'attn.proj': 'linear',
  resid_1: 'sum',
  rms_2: 'rms-norm',
  'mlp.gate': 'linear',
  'mlp.up': 'linear',
  'mlp.silu': 'silu',
  'mlp.act': 'product',
  'mlp.proj': 'linear',
  out: 'sum',
  rms_f: 'rms-norm',
  logits: 'logit',
  probs: 'softmax',
};

/** A run of flat indices of one value (start, start + stride, …): what a formula reads. */
export interface InputRun {
  tensor: ValueName;
  start: number;
  count: number;
  stride: number;
}

/** A value's formula with its real inputs. Every step equals the result to the precision shown. */
export interface Formula {
  kind: FormulaKind;
  /** The value, as the readout names it: "h.0.attn.q[2, 5]". */
  target: string;
  /** Its definition in symbols (or words, for a value looked up in a table). */
  definition: string;
  /** The definition with the real numbers, then simpler forms of it. */
  steps: Expr[];
  /** The value as the model computed it (the traced value, or the total a scene drew). */
  result: Num;
  /** Where the numbers come from: which rows and weights, why a score is −∞. */
  notes: string[];
  /** The values the formula reads, so the scene can highlight those it shows. */
  inputs: InputRun[];
}

/** What is inspected: a value on screen (a hover spot carries these fields). */
export interface FormulaQuery {
  source: Source;
  /** Drawn as −∞: an attention score the causal mask replaced. */
  masked?: boolean;
  /** A total: the sum of these flat indices of source.tensor. */
  sumOf?: readonly number[];
  /** A remainder: 1 minus the sum of these flat indices of source.tensor. */
  complementOf?: readonly number[];
}

/** The kind of formula a traced value of this family has, or undefined for a name it does not trace. */
export function formulaKind(name: TraceName, family: 'gpt2' | 'llama' = 'gpt2'): FormulaKind | undefined {
  const step = /^h\.\d+\.(.+)$/.exec(name)?.[1] ?? name;
  return family === 'gpt2' ? KIND[step as keyof typeof KIND] : LLAMA_KIND[step as keyof typeof LLAMA_KIND];
}

/**
 * The formula of one value of the trace of `ids` (which the model computed), or null for a
 * value derived from an explanation rather than traced: the registry's words already define it.
 */
export function formulaOf(model: LanguageModel, trace: Trace, ids: readonly number[], query: FormulaQuery, piece: (id: number) => string): Formula | null {
  const name = query.source.tensor as TraceName;
  const tensor = trace.get(name);
  if (!tensor || !formulaKind(name, model instanceof Llama ? 'llama' : 'gpt2')) return null;
  const { index } = query.source;
  const all = [index, ...(query.sumOf ?? []), ...(query.complementOf ?? [])];
  if (all.some((i) => !Number.isInteger(i) || i < 0 || i >= tensor.data.length)) {
    throw new RangeError(`${name} has ${tensor.data.length} values; index ${all.find((i) => !(i >= 0 && i < tensor.data.length))} is outside it`);
  }
  if (query.sumOf) return total({ model, trace, ids, piece }, name, query.sumOf, false);
  if (query.complementOf) return total({ model, trace, ids, piece }, name, query.complementOf, true);
  const at = indicesOf(index, tensor.shape);
  const base = { target: `${name}[${at.join(', ')}]`, result: num(tensor.data[index]) };
  const layer = Number(/^h\.(\d+)\./.exec(name)?.[1] ?? -1);
  const step = /^h\.\d+\.(.+)$/.exec(name)?.[1] ?? name;
  return model instanceof Llama
    ? llamaFormula({ model, trace, ids, piece }, base, step as keyof typeof LLAMA_KIND, layer, at, index, query)
    : gpt2Formula({ model, trace, ids, piece }, base, step as keyof typeof KIND, layer, at, index, query);
}

/** A value of GPT-2's trace: `step` its name without the block, `at` its indices. */
function gpt2Formula(c: Context, base: Base, step: keyof typeof KIND, layer: number, at: number[], index: number, query: FormulaQuery): Formula {
  switch (step) {
    case 'embed.token':
      return tokenRow(c, base, at[0], at[1]);
    case 'embed.position':
      return positionRow(c, base, at[0], at[1]);
    case 'embed.sum':
      return sum(c, base, 'embed.token', 'embed.position', index);
    case 'resid_1':
      return sum(c, base, blockInput(layer, GPT2), block(layer, 'attn.proj'), index);
    case 'out':
      return sum(c, base, block(layer, 'resid_1'), block(layer, 'mlp.proj'), index);
    case 'ln_1':
      return layerNorm(c, base, blockInput(layer, GPT2), `h.${layer}.ln_1`, c.model.weights.h[layer].ln_1, at[0], at[1]);
    case 'ln_2':
      return layerNorm(c, base, block(layer, 'resid_1'), `h.${layer}.ln_2`, c.model.weights.h[layer].ln_2, at[0], at[1]);
    case 'ln_f':
      return layerNorm(c, base, block(c.model.config.nLayer - 1, 'out'), 'ln_f', c.model.weights.ln_f, at[0], at[1]);
    case 'attn.q':
    case 'attn.k':
    case 'attn.v':
    case 'attn.proj':
    case 'mlp.fc':
    case 'mlp.proj':
      return linear(c, base, layer, step as LinearStep, at[0], at[1]);
    case 'attn.scores':
    case 'attn.weights':
    case 'attn.heads':
    case 'attn.concat':
      return attentionFormula(c, base, step, layer, at, query);
    case 'mlp.gelu':
      return gelu(base, block(layer, 'mlp.fc'), index, c);
    case 'logits':
      return logit(c, base, at[0], at[1]);
    case 'probs':
      return vocabularySoftmax(c, base, at[0], at[1]);
  }
}

/** The attention values both families compute alike: scores, weights, each head's output and their join. */
function attentionFormula(
  c: Context<LanguageModel>, base: Base, step: 'attn.scores' | 'attn.weights' | 'attn.heads' | 'attn.concat', layer: number, at: number[], query: FormulaQuery,
): Formula {
  switch (step) {
    case 'attn.scores':
      return query.masked ? masked(c, base, layer, at[0], at[1], at[2], 'score') : scaledDot(c, base, layer, at[0], at[1], at[2]);
    case 'attn.weights':
      return at[2] > at[1] ? masked(c, base, layer, at[0], at[1], at[2], 'weight') : attentionSoftmax(c, base, layer, at[0], at[1], at[2]);
    case 'attn.heads':
      return weightedSum(c, base, layer, at[0], at[1], at[2]);
    case 'attn.concat':
      return headColumn(c, base, layer, at[0], at[1]);
  }
}

/** A value of a Llama-family trace, as gpt2Formula reads GPT-2's. */
function llamaFormula(c: Context<Llama>, base: Base, step: keyof typeof LLAMA_KIND, layer: number, at: number[], index: number, query: FormulaQuery): Formula {
  const w = c.model.weights;
  switch (step) {
    case 'embed.token':
      return llamaTokenRow(c, base, at[0], at[1]);
    case 'rope.angles':
      return ropeAngle(c, base, at[0], at[1]);
    case 'rope.cos':
    case 'rope.sin':
      return ropeTrig(c, base, step === 'rope.cos' ? 'cos' : 'sin', at[0], at[1]);
    case 'rms_1':
      return rmsNorm(c, base, blockInput(layer, LLAMA), `layer ${layer}'s input_layernorm`, w.layers[layer].input_layernorm, at[0], at[1]);
    case 'rms_2':
      return rmsNorm(c, base, block(layer, 'resid_1'), `layer ${layer}'s post_attention_layernorm`, w.layers[layer].post_attention_layernorm, at[0], at[1]);
    case 'rms_f':
      return rmsNorm(c, base, block(c.model.config.nLayer - 1, 'out'), 'the final norm', w.norm, at[0], at[1]);
    case 'attn.q':
    case 'attn.k':
    case 'attn.v':
    case 'attn.proj':
    case 'mlp.gate':
    case 'mlp.up':
    case 'mlp.proj':
      return llamaLinear(c, base, layer, step, at[0], at[1]);
    case 'attn.q_rot':
    case 'attn.k_rot':
      return rotation(c, base, layer, step, at[0], at[1]);
    case 'attn.scores':
    case 'attn.weights':
    case 'attn.heads':
    case 'attn.concat':
      return attentionFormula(c, base, step, layer, at, query);
    case 'resid_1':
      return sum(c, base, blockInput(layer, LLAMA), block(layer, 'attn.proj'), index);
    case 'out':
      return sum(c, base, block(layer, 'resid_1'), block(layer, 'mlp.proj'), index);
    case 'mlp.silu':
      return silu(c, base, layer, index);
    case 'mlp.act':
      return gated(c, base, layer, index);
    case 'logits':
      return llamaLogit(c, base, at[0], at[1]);
    case 'probs':
      return vocabularySoftmax(c, base, at[0], at[1]);
  }
}

/**
 * A formula of the second prompt's trace as its values are named beside the first's
 * (`compare.NAME`): the value and the inputs it reads renamed, so the scene highlights that
 * prompt's cells, and a note saying whose numbers they are.
 */
export function forSecondPrompt(f: Formula, prompt: string): Formula {
  return {
    ...f,
    target: secondPrompt(f.target),
    inputs: f.inputs.map((run) => ({ ...run, tensor: secondPrompt(run.tensor) as ValueName })),
    notes: [...f.notes, `Every number here is the second prompt’s (“${prompt}”), from its own forward pass.`],
  };
}

/**
 * The formula of a value of a comparison of two prompts (`diff.*`): the second prompt's value
 * minus the first's, read from the two explanations (no weights needed). Null for any other name.
 */
export function differenceFormula(ex: Explanation, query: FormulaQuery): Formula | null {
  const name = query.source.tensor;
  const second = ex.compare;
  const difference = namedValue(ex, name);
  if (!second || !difference || !name.startsWith('diff.') || query.sumOf || query.complementOf) return null;
  const index = query.source.index;
  const at = indicesOf(index, difference.shape);
  // Where the two values sit in their own tensors, which differ in length when the prompts do.
  let first: Source;
  let from: Source;
  let note: string;
  if (name === 'diff.nextProbs') {
    const V = ex.config.vocabSize;
    first = { tensor: 'probs', index: (ex.tokens.length - 1) * V + at[0] };
    from = { tensor: 'probs', index: (second.tokens.length - 1) * V + at[0] };
    note = `Each probability is read after its own prompt’s last token: “${ex.piece(at[0]).text}” after “${ex.prompt}” and after “${second.prompt}”.`;
  } else {
    const tensor = name.slice('diff.'.length) as TraceName;
    const flat = (e: Explanation) => {
      const T = e.tokens.length;
      return (at[0] * T + at[1]) * T + at[2];
    };
    first = { tensor, index: flat(ex) };
    from = { tensor, index: flat(second) };
    note = 'The same head, row and column in both: positions are counted from the start of each prompt.';
  }
  const a = namedValue(ex, first.tensor)!.data[first.index];
  const b = namedValue(second, from.tensor)!.data[from.index];
  const where = (s: Source, e: Explanation) => `${s.tensor}[${indicesOf(s.index, namedValue(e, s.tensor)!.shape).join(', ')}]`;
  return {
    kind: 'difference',
    target: `${name}[${at.join(', ')}]`,
    definition: `${secondPrompt(where(from, second))} − ${where(first, ex)}`,
    steps: [minus(num(b), num(a))],
    result: num(difference.data[index]),
    notes: [`The second prompt’s value (“${second.prompt}”) minus the first’s (“${ex.prompt}”). ${note}`],
    inputs: [
      { tensor: secondPrompt(from.tensor) as ValueName, start: from.index, count: 1, stride: 1 },
      { tensor: first.tensor, start: first.index, count: 1, stride: 1 },
    ],
  };
}

/** The formula on its own: the value, its definition, each step and the result, then the notes. */
export function formulaText(f: Formula): string {
  return `${f.target} ${formulaLines(f).join('\n')}`;
}

/** The lines after the value's name: "= definition", "= step", …, "= result" (none twice), then the notes. */
export function formulaLines(f: Formula): string[] {
  const equal = [f.definition, ...f.steps.map(exprText), f.result.text].filter((line, i, all) => i === 0 || line !== all[i - 1]);
  return [...equal.map((line) => `= ${line}`), ...f.notes];
}
