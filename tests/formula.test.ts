// What a number is made of (src/model/formula.ts): every traced value has a formula, and what each
// formula states adds up. Each number it shows is read back from its text as an interval (its
// digits ± half a unit in the last one), every step is evaluated in interval arithmetic, and
// the result must lie within it; the result itself must be the traced value. Checked on every
// value every scene shows, and on samples of every traced name of the embedded model (held as
// the page's worker holds it) and of a random model of GPT-2 small's widths.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { differenceFormula, formulaKind, formulaOf, formulaText, forSecondPrompt, type Formula, type FormulaQuery } from '../src/model/formula.ts';
import { exprText, shownNumbers, type Expr } from '../src/model/formula-expr.ts';
import { GPT } from '../src/model/gpt.ts';
import { compactCheckpoint, modelFromFiles } from '../src/model/checkpoint.ts';
import { indicesOf, modelTraceTable, namedValue, ownerOf, traceTable, type TraceName } from '../src/model/registry.ts';
import { describeLlama } from '../src/model/architecture.ts';
import { Llama } from '../src/model/llama.ts';
import { loadFolderTokenizer, loadLlamaDir } from '../src/model/llama-checkpoint-node.ts';
import { LLAMA_SCENE_FOLDERS, llamaExplanation, llamaFixture, llamaFixtureDir, type LlamaSceneFolder } from './helpers/llama-explanation.ts';
import type { Explanation } from '../src/model/explanation.ts';
import type { Trace } from '../src/model/trace.ts';
import type { GPTConfig } from '../src/model/config.ts';
import { SeededRandom } from '../src/model/sampling.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';
import { scenesFor } from '../src/scenes/index.ts';
import { readBy } from '../src/web/readout.ts';
import { randomModel } from './helpers/random-model.ts';
import { SCENE_CONFIG, sceneExplanation } from './helpers/scene-explanation.ts';

type Interval = [number, number];

const SUPERSCRIPT_DIGITS = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/** A number as a formula shows it, read back: its value and half a unit in its last digit. */
function readShown(text: string): { value: number; halfUnit: number } {
  if (text === '−∞' || text === '∞') return { value: text === '∞' ? Infinity : -Infinity, halfUnit: 0 };
  if (text === '0') return { value: 0, halfUnit: 0 }; // written only for an exact zero
  const match = /^(\u2212?)(\d+)(?:\.(\d+))?(?:×10(⁻?)([⁰¹²³⁴⁵⁶⁷⁸⁹]+))?$/.exec(text);
  if (!match) throw new Error(`“${text}” is not a number as formulas write them`);
  const [, sign, whole, fraction = '', negativePower, power = ''] = match;
  const exponent = (negativePower ? -1 : 1) * Number([...power].map((ch) => SUPERSCRIPT_DIGITS.indexOf(ch)).join('') || 0);
  const value = (sign ? -1 : 1) * Number(`${whole}.${fraction || '0'}`) * 10 ** exponent;
  return { value, halfUnit: 0.5 * 10 ** (exponent - fraction.length) };
}

/**
 * Whether `value` rounds to the number shown. A value exactly halfway (a short binary fraction,
 * as BF16 weights are) lies a half unit away, which decimal arithmetic may put a hair beyond.
 */
const roundsTo = (value: number, shown: { value: number; halfUnit: number }) =>
  shown.value === value || Math.abs(shown.value - value) <= shown.halfUnit * (1 + 1e-9);

const safe = (x: number) => (Number.isNaN(x) ? 0 : x); // 0 · ∞ only arises for an exact 0 times −∞'s exponential

/** What an expression states, as an interval: each shown number stands for anything it rounds from. */
function evaluate(e: Expr): Interval {
  const pairwise = (a: Interval, b: Interval, f: (x: number, y: number) => number): Interval => {
    const all = [f(a[0], b[0]), f(a[0], b[1]), f(a[1], b[0]), f(a[1], b[1])].map(safe);
    return [Math.min(...all), Math.max(...all)];
  };
  switch (e.op) {
    case 'num': {
      const { value, halfUnit } = readShown(e.text);
      return [value - halfUnit, value + halfUnit];
    }
    case 'const':
      return [e.value, e.value];
    case 'sum':
      return e.terms.map(evaluate).reduce((a, b) => [a[0] + b[0], a[1] + b[1]]);
    case 'sub': {
      const [a, b] = [evaluate(e.a), evaluate(e.b)];
      return [a[0] - b[1], a[1] - b[0]];
    }
    case 'mul':
      return e.factors.map(evaluate).reduce((a, b) => pairwise(a, b, (x, y) => x * y));
    case 'div': {
      const [a, b] = [evaluate(e.a), evaluate(e.b)];
      expect(b[0] > 0 || b[1] < 0, `a divisor that may be 0: ${exprText(e)}`).toBe(true);
      return pairwise(a, b, (x, y) => x / y);
    }
    default: {
      const f = { sqrt: Math.sqrt, exp: Math.exp, tanh: Math.tanh, cube: (x: number) => x ** 3 }[e.op];
      const a = evaluate(e.a);
      return [f(a[0]), f(a[1])]; // each is increasing
    }
  }
}

/**
 * What the formula states adds up: each shown number is its value rounded; each step, evaluated
 * from the numbers as shown, contains the result as shown; the text shows every number.
 */
function checkAddsUp(f: Formula, where: string): void {
  const text = formulaText(f);
  const result = readShown(f.result.text);
  expect(roundsTo(f.result.value, result), `${where}: ${f.result.text} is not ${f.result.value}`).toBe(true);
  for (const step of f.steps) {
    for (const n of shownNumbers(step)) {
      if (n.op === 'num') {
        const shown = readShown(n.text);
        expect(roundsTo(n.value, shown), `${where}: ${n.text} is not ${n.value}`).toBe(true);
      }
      expect(text, where).toContain(n.text.replace('\u2212', ''));
    }
    const [lo, hi] = evaluate(step);
    // The model sums in float32 and the formula in float64: allow their difference, far below the digits shown.
    const slack = 1e-6 * (1 + Math.abs(result.value));
    const states = `${where}: ${exprText(step)} is ${lo}…${hi}, not ${f.result.text}\n${text}`;
    if (result.value === -Infinity) expect(hi, states).toBe(-Infinity);
    else {
      expect(lo - slack, states).toBeLessThanOrEqual(result.value + result.halfUnit);
      expect(hi + slack, states).toBeGreaterThanOrEqual(result.value - result.halfUnit);
    }
  }
}

/** The checks every formula must pass, and those of its kind that need the trace. */
function checkFormula(f: Formula, trace: Trace, query: FormulaQuery, where: string): void {
  checkAddsUp(f, where);
  const tensor = trace.get(query.source.tensor as TraceName)!;
  if (!query.sumOf && !query.complementOf && !query.masked) {
    expect(f.result.value, `${where}: the result is not the traced value`).toBe(tensor.data[query.source.index]);
  }
  for (const run of f.inputs) {
    const input = trace.get(run.tensor as TraceName);
    const size = input ? input.data.length : Infinity; // 'tokens', a derived value, is checked by its scene
    expect(run.start >= 0 && run.start + (run.count - 1) * run.stride < size, `${where}: input ${run.tensor} out of range`).toBe(true);
  }
  if (f.kind === 'layer-norm') {
    // μ and σ² are the row's own mean and variance, computed here independently.
    const input = f.inputs[0];
    const row = [...trace.get(input.tensor as TraceName)!.data.subarray(input.start, input.start + input.count)];
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
    const [, mu, sigma2] = shownNumbers(f.steps[0]);
    expect(mu.value, where).toBeCloseTo(mean, 10);
    expect(sigma2.value, where).toBeCloseTo(variance, 10);
  }
  if (f.kind === 'rms-norm') {
    // mean(x²) is the row's own mean of squares, computed here independently.
    const input = f.inputs[0];
    const row = [...trace.get(input.tensor as TraceName)!.data.subarray(input.start, input.start + input.count)];
    const [, meanSquare] = shownNumbers(f.steps[0]);
    expect(meanSquare.value, where).toBeCloseTo(row.reduce((a, b) => a + b * b, 0) / row.length, 10);
  }
  if (f.kind === 'angle' && f.steps.length === 0) {
    // cos(θ) or sin(θ) of the angle it reads: computed here from that traced angle.
    const angle = trace.get(f.inputs[0].tensor as TraceName)!.data[f.inputs[0].start];
    expect(f.result.value, where).toBeCloseTo(f.definition.startsWith('cos') ? Math.cos(angle) : Math.sin(angle), 6);
  }
  if (f.kind === 'masked') expect(f.result.value === 0 || f.result.value === -Infinity, where).toBe(true);
}

/** A difference's formula: it adds up, and reads the two values it subtracts, the second prompt's first. */
function checkDifference(f: Formula, ex: Explanation, where: string): void {
  checkAddsUp(f, where);
  const [b, a] = f.inputs.map((run) => namedValue(ex, run.tensor)!.data[run.start]);
  expect(f.inputs[0].tensor.startsWith('compare.') && !f.inputs[1].tensor.startsWith('compare.'), where).toBe(true);
  expect(f.result.value, `${where}: not the second value minus the first`).toBe(Math.fround(b - a));
}

/** Flat indices to try of a value: both ends, and a few drawn with a fixed seed. */
function sampleIndices(size: number, random: SeededRandom, extra: number[] = []): number[] {
  return [...new Set([0, size - 1, ...extra, ...Array.from({ length: 4 }, () => Math.floor(random.next() * size))])];
}

/** Every traced name of a model's trace: samples of each, with both masked and open attention cells. */
function checkEveryName(model: GPT, prompt: string): number {
  const ids = gpt2Tokenizer().encode(prompt);
  const trace = model.trace(ids);
  const T = ids.length;
  const piece = (id: number) => gpt2Tokenizer().piece(id);
  const random = new SeededRandom(3);
  let checked = 0;
  for (const entry of traceTable(model.config, T)) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    // For attention (n_head × T × T): head 1's last row (open) and its first row's last column (masked).
    const attention = entry.shape.length === 3 && entry.shape[2] === T ? [(1 * T + T - 1) * T + 1, 1 * T * T + T - 1] : [];
    for (const index of sampleIndices(size, random, attention)) {
      const query = { source: { tensor: entry.name, index } };
      const f = formulaOf(model, trace, ids, query, piece);
      expect(f, `${entry.name}[${index}] has no formula`).not.toBeNull();
      checkFormula(f!, trace, query, `${entry.name}[${indicesOf(index, entry.shape).join(', ')}]`);
      checked++;
    }
  }
  return checked;
}

/** Every traced name of a Llama-family fixture's trace, as checkEveryName does for GPT-2. */
async function checkEveryLlamaName(folder: LlamaSceneFolder | 'llama-llama3-sharded', prompt: string): Promise<{ checked: number; kinds: Set<string> }> {
  const { config, weights } = await loadLlamaDir(llamaFixtureDir(folder));
  const model = new Llama(config, weights);
  const tokenizer = await loadFolderTokenizer(llamaFixtureDir(folder === 'llama-llama3-sharded' ? 'llama-smol-gqa' : folder));
  const ids = tokenizer.encode(prompt).filter((id) => id < config.vocabSize);
  const trace = model.trace(ids);
  const T = ids.length;
  const random = new SeededRandom(5);
  const kinds = new Set<string>();
  let checked = 0;
  for (const entry of modelTraceTable(describeLlama(config), T)) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    const attention = entry.shape.length === 3 && entry.shape[2] === T ? [(1 * T + T - 1) * T + 1, 1 * T * T + T - 1] : [];
    for (const index of sampleIndices(size, random, attention)) {
      const query = { source: { tensor: entry.name, index } };
      const f = formulaOf(model, trace, ids, query, (id) => tokenizer.piece(id));
      expect(f, `${folder}: ${entry.name}[${index}] has no formula`).not.toBeNull();
      checkFormula(f!, trace, query, `${folder}: ${entry.name}[${indicesOf(index, entry.shape).join(', ')}]`);
      kinds.add(f!.kind);
      checked++;
    }
  }
  return { checked, kinds };
}

describe('what a number is made of', () => {
  it('every traced value of the registry has a formula kind, and derived values none (the registry names them)', () => {
    const missing = traceTable(SCENE_CONFIG, 5).filter((e) => formulaKind(e.name) === undefined).map((e) => e.name);
    expect(missing).toEqual([]);
    const ex = sceneExplanation();
    const model = randomModel(SCENE_CONFIG, 7, 0.35);
    for (const tensor of ['tokens', 'sampledProbs', 'generation.probability'] as const) {
      expect(formulaOf(model, ex.trace, ex.tokens.map((t) => t.id), { source: { tensor, index: 0 } }, String)).toBeNull();
    }
  });

  it('every value every scene shows has a formula that adds up to the value drawn, and names inputs the scene shows', () => {
    const ex = sceneExplanation();
    // The model sceneExplanation() runs, rebuilt for its weights.
    const model = randomModel(SCENE_CONFIG, 7, 0.35);
    const kinds = new Set<string>();
    let highlighted = 0;
    let highlightedSecond = 0;
    for (const def of scenesFor(ex.config)) {
      const scene = def.build(ex);
      // The middle of every beat, and the end.
      const times = [...(scene.beats ?? []).map((b) => (b.startSeconds + b.endSeconds) / 2), scene.durationSeconds];
      for (const time of times) {
        const spots = scene.spotsAt(time, 1280, 720);
        for (const spot of spots) {
          const where = `${def.name} at ${time.toFixed(2)} s: ${spot.source.tensor}[${spot.source.index}]`;
          // A second prompt's value is its own trace's, asked by its own name (as the page does); a difference is read from both.
          const owner = ownerOf(ex, spot.source)!;
          const query = { ...spot, source: owner.source };
          const { trace, tokens } = owner.explanation;
          const f = differenceFormula(ex, spot) ?? formulaOf(model, trace, tokens.map((t) => t.id), query, (id) => ex.piece(id).text);
          if (!f) {
            expect(trace.has(owner.source.tensor as TraceName), `${def.name}: ${spot.source.tensor} is traced but has no formula`).toBe(false);
            continue;
          }
          kinds.add(f.kind);
          if (f.kind === 'difference') checkDifference(f, ex, where);
          else checkFormula(f, trace, query, where);
          expect(f.result.value, `${def.name}: the formula's result is not the value drawn`).toBe(spot.value);
          const named = owner.second ? forSecondPrompt(f, owner.explanation.prompt) : f;
          const lit = spots.filter((s) => readBy(s, named.inputs));
          highlighted += lit.length;
          highlightedSecond += lit.filter((s) => s.source.tensor.startsWith('compare.')).length;
        }
      }
    }
    // The scenes show every kind, the masked score, the row total, the remainder and a difference of two prompts included.
    expect([...kinds].sort()).toEqual(['difference', 'gelu', 'head-column', 'layer-norm', 'linear', 'logit', 'masked', 'position-row', 'remainder', 'scaled-dot', 'softmax', 'sum', 'token-row', 'total', 'weighted-sum']);
    expect(highlighted).toBeGreaterThan(0);
    // The second prompt's cells light up too, for its own values and for the differences that read them.
    expect(highlightedSecond).toBeGreaterThan(0);
  });

  it('adds up on every traced name of the embedded model, as the page holds it (shared rows, halves)', () => {
    const dir = new URL('../models/default/', import.meta.url);
    const bytes = compactCheckpoint(readFileSync(new URL('model.safetensors', dir)), 'models/default');
    const { config, weights } = modelFromFiles(readFileSync(new URL('config.json', dir), 'utf8'), bytes, 'models/default', { compactEmbeddings: true });
    expect(checkEveryName(new GPT(config, weights), 'ROMEO: The robots will bring')).toBeGreaterThan(300);
  });

  it("adds up on every traced name of a random model of GPT-2 small's widths (C = 768, 12 heads, 50,257 tokens)", () => {
    const config: GPTConfig = { ...SCENE_CONFIG, nLayer: 2, nHead: 12, nEmbd: 768, nPositions: 64 };
    expect(checkEveryName(randomModel(config, 11, 0.08), 'The robots will bring')).toBeGreaterThan(150);
  });

  it('adds up on every traced name of the Llama family: grouped-query attention, Qwen2’s biases, an untied head, llama3 rope scaling', async () => {
    const kinds = new Set<string>();
    for (const folder of ['llama-smol-gqa', 'llama-qwen2-untied', 'llama-llama3-sharded'] as const) {
      const result = await checkEveryLlamaName(folder, 'The keeper climbed the stairs');
      expect(result.checked).toBeGreaterThan(100);
      for (const k of result.kinds) kinds.add(k);
    }
    expect([...kinds].sort()).toEqual(['angle', 'head-column', 'linear', 'logit', 'masked', 'product', 'rms-norm', 'rotation', 'scaled-dot', 'silu', 'softmax', 'sum', 'token-row', 'weighted-sum']);
  });

  it('every value the scenes show of a Llama-family model has a formula that adds up to the value drawn', async () => {
    for (const folder of LLAMA_SCENE_FOLDERS) {
      const ex = await llamaExplanation(folder);
      const { model } = await llamaFixture(folder);
      const ids = ex.tokens.map((t) => t.id);
      let checked = 0;
      for (const def of scenesFor(ex.config)) {
        const scene = def.build(ex);
        for (const spot of scene.spotsAt(scene.durationSeconds, 1280, 720)) {
          const owner = ownerOf(ex, spot.source)!;
          if (owner.second || spot.source.tensor.startsWith('diff.')) continue; // the second prompt's and differences are checked for GPT-2
          const f = formulaOf(model, owner.explanation.trace, ids, { ...spot, source: owner.source }, (id) => ex.piece(id).text);
          if (!f) {
            expect(ex.trace.has(owner.source.tensor as TraceName), `${folder} ${def.name}: ${spot.source.tensor} is traced but has no formula`).toBe(false);
            continue;
          }
          checkFormula(f, ex.trace, { ...spot, source: owner.source }, `${folder} ${def.name}: ${spot.source.tensor}[${spot.source.index}]`);
          expect(f.result.value, `${folder} ${def.name}: the formula's result is not the value drawn`).toBe(spot.value);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(50);
    }
  });

  it('says whether the output head is the token table (tied) or its own', () => {
    const ex = sceneExplanation();
    const ids = ex.tokens.map((t) => t.id);
    const query = { source: { tensor: 'logits' as const, index: 7 } };
    expect(formulaOf(randomModel(SCENE_CONFIG, 7, 0.35), ex.trace, ids, query, String)!.notes.join(' ')).toMatch(/tied/);
    const untied = randomModel({ ...SCENE_CONFIG, tieWordEmbeddings: false }, 5, 0.35);
    const trace = untied.trace(ids);
    const f = formulaOf(untied, trace, ids, query, String)!;
    expect(f.notes.join(' ')).toMatch(/own output head/);
    checkFormula(f, trace, query, 'untied logits');
  });

  it('says why a masked score is −∞: a later token', () => {
    const ex = sceneExplanation();
    const T = ex.tokens.length;
    const index = 2 * T * T + 0 * T + 3; // head 2, row 0, column 3
    const f = formulaOf(randomModel(SCENE_CONFIG, 7, 0.35), ex.trace, ex.tokens.map((t) => t.id), { source: { tensor: 'h.1.attn.scores', index }, masked: true }, (id) => ex.piece(id).text)!;
    expect(f.kind).toBe('masked');
    expect(f.result.text).toBe('−∞');
    expect(f.notes[0]).toContain(`Token 3 “${ex.piece(ex.tokens[3].id).text}” comes after token 0`);
  });

  it('refuses an index outside the value', () => {
    const ex = sceneExplanation();
    const model = randomModel(SCENE_CONFIG, 7, 0.35);
    expect(() => formulaOf(model, ex.trace, [0], { source: { tensor: 'ln_f', index: 1e9 } }, String)).toThrow(/outside/);
  });
});
