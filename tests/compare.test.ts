// Two prompts side by side, beyond what every scene is checked for (scenes.test.ts, digits.test.ts,
// formula.test.ts): explain() runs the second prompt under the first's rules and budget; the registry's
// names for its values (compare.NAME) are its own trace's; the comparison's values (sharedStart,
// diff.nextProbs, diff.h.L.attn.weights) against the two traces, computed here independently;
// the rows a shared start makes equal are exactly equal; and what the three scenes draw and say.

import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { explain, explainSecondPrompt, InputError, type ExplainOptions, type SecondPromptMemo } from '../src/model/explain.ts';
import type { Explanation } from '../src/model/explanation.ts';
import { GPT } from '../src/model/gpt.ts';
import { explanationBytes } from '../src/model/memory.ts';
import { namedValue, ownerOf, type ValueName } from '../src/model/registry.ts';
import { sceneByName } from '../src/scenes/index.ts';
import { CharTokenizer, gpt2Tokenizer } from '../src/tokenizer/index.ts';
import { randomModel } from './helpers/random-model.ts';
import { SCENE_CONFIG, sceneExplanation } from './helpers/scene-explanation.ts';

const [W, H] = [1280, 720];

/** Row `row` of a T × V traced tensor of one explanation. */
function row(ex: Explanation, name: 'probs', r: number): Float32Array {
  const V = ex.config.vocabSize;
  return ex.trace.get(name)!.data.subarray(r * V, (r + 1) * V);
}

/** Block l's weight at head h, row r, column c of one explanation's trace. */
function weight(ex: Explanation, l: number, h: number, r: number, c: number): number {
  const T = ex.tokens.length;
  return ex.trace.get(`h.${l}.attn.weights`)!.data[(h * T + r) * T + c];
}

describe('explain() with a second prompt', () => {
  const model = randomModel(SCENE_CONFIG, 7, 0.35);
  const run = (prompt: string, options: Parameters<typeof explain>[3]) => explain(model, gpt2Tokenizer(), prompt, options);

  it('runs it under the first prompt’s rules, with its own forward pass and no generated tokens', () => {
    const sampling = { temperature: 0.5, topK: 3, topP: 0.9, seed: 4 };
    const ex = run('The robots will bring', { modelName: 'random', layer: 2, head: 4, sampling, generationWindow: 6, generateTokens: 2, compare: 'The robots will destroy' });
    const second = ex.compare!;
    expect([second.prompt, second.layer, second.head, second.sampling, second.generationWindow, second.generation]).toEqual(['The robots will destroy', 2, 4, sampling, 6, []]);
    expect(second.compare).toBeUndefined();
    // Its numbers are exactly those of the second prompt run alone.
    const alone = run('The robots will destroy', { modelName: 'random', generateTokens: 0 });
    expect(second.tokens).toEqual(alone.tokens);
    expect(Array.from(row(second, 'probs', second.tokens.length - 1))).toEqual(Array.from(row(alone, 'probs', alone.tokens.length - 1)));
    expect(run('The robots', { modelName: 'random', generateTokens: 0 }).compare).toBeUndefined();
  });

  it('reads the lens at the same position, or at the second prompt’s last token when it is shorter', () => {
    const at = (position: number | undefined, compare: string) => run('The robots will bring the parcels', { modelName: 'random', generateTokens: 0, lensPosition: position, compare }).compare!.lens.position;
    expect(at(1, 'A robot will destroy')).toBe(1);
    expect(at(4, 'A robot')).toBe(1);
    expect(at(undefined, 'A robot will destroy the town today')).toBe(6);
  });

  it('gives the second prompt what the first leaves of the page’s memory budget for an explanation', () => {
    const bytes = (T: number) => explanationBytes(SCENE_CONFIG, T);
    const options = { modelName: 'random', generateTokens: 0, maxExplanationBytes: bytes(4) + bytes(4) };
    expect(run('The robots will bring', { ...options, compare: 'The robots will destroy' }).compare!.tokens).toHaveLength(4);
    const tooLong = run('The robots will bring', { ...options, compare: 'The robots will destroy the town' });
    expect(tooLong.compare).toBeUndefined();
    expect(tooLong.secondPromptError).toMatch(/^Second prompt: A prompt of 6 tokens would need .*shorten it to 4 tokens or fewer\.$/);
  });

  it('keeps the first prompt’s explanation when the second is a mistake, and says what is wrong with which prompt', () => {
    const ex = run('The robots', { modelName: 'random', compare: '' });
    expect([ex.prompt, ex.compare, ex.secondPromptError]).toEqual(['The robots', undefined, 'Second prompt: The prompt is empty: type a few words for the model to continue.']);
    expect(run('The robots', { modelName: 'random', compare: 'A robot' }).secondPromptError).toBeUndefined();
    // A character the model's tokenizer does not have, too.
    const chars = explain(randomModel({ ...SCENE_CONFIG, vocabSize: 11 }, 1, 0.3), new CharTokenizer('abcdefghij '), 'bad cab', { modelName: 'chars', generateTokens: 0, compare: 'bad cat' });
    expect(chars.secondPromptError).toMatch(/^Second prompt: character "t" \(U\+0074\) at position 6 is not in this model's vocabulary/);
    // A mistake in the first prompt is still the first's.
    expect(() => run('', { modelName: 'random', compare: 'A robot' })).toThrow(new InputError('The prompt is empty: type a few words for the model to continue.'));
  });

  it('takes the last second prompt again (the page’s worker) only if the same model made it under the same rules and it fits', () => {
    const bytes = (T: number) => explanationBytes(SCENE_CONFIG, T);
    const options = { modelName: 'random', layer: 1, head: 2, generateTokens: 0, maxExplanationBytes: bytes(5) + bytes(4) };
    const memo: SecondPromptMemo = {};
    const second = (opts: ExplainOptions, firstTokens = 4, by = model) => explainSecondPrompt(by, gpt2Tokenizer(), 'The robots will destroy', opts, firstTokens, memo);
    const made = second(options).compare!;
    // What explain() gives for it, and the same object while only the first prompt changes.
    expect(Array.from(made.trace.get('probs')!.data)).toEqual(Array.from(run('The robots will bring', { ...options, compare: 'The robots will destroy' }).compare!.trace.get('probs')!.data));
    expect(second(options, 5).compare).toBe(made);
    // Other rules, another model or another prompt: made again.
    const otherHead = second({ ...options, head: 3 }).compare!;
    expect(otherHead).not.toBe(made);
    expect(otherHead.head).toBe(3);
    expect(second(options, 4, randomModel(SCENE_CONFIG, 8, 0.35)).compare).not.toBe(otherHead);
    expect(explainSecondPrompt(model, gpt2Tokenizer(), 'The robots will', options, 4, memo).compare!.tokens).toHaveLength(3);
    // No longer within what a longer first prompt leaves of the budget: refused, as when made afresh.
    second(options);
    expect(second(options, 6).secondPromptError).toMatch(/^Second prompt: A prompt of 4 tokens would need/);
  });
});

describe('the comparison’s values in the registry', () => {
  const ex = sceneExplanation('The robots will bring', { compare: 'The robots will destroy them' });
  const second = ex.compare!;
  const V = ex.config.vocabSize;

  it('compare.NAME is the second prompt’s own value NAME, said to be the second prompt’s', () => {
    for (const name of ['probs', 'tokens', 'h.1.attn.weights', 'topTokens', 'lens.probs'] as const) {
      const value = namedValue(ex, `compare.${name}`)!;
      const own = namedValue(second, name)!;
      expect(value.name).toBe(`compare.${name}`);
      expect(value.shape).toEqual(own.shape);
      expect(value.data).toBe(own.data);
      expect(value.what).toBe(`${own.what}, for the second prompt`);
    }
    expect(ownerOf(ex, { tensor: 'compare.probs', index: 3 })).toEqual({ explanation: second, source: { tensor: 'probs', index: 3 }, second: true });
    expect(ownerOf(ex, { tensor: 'probs', index: 3 })).toEqual({ explanation: ex, source: { tensor: 'probs', index: 3 }, second: false });
  });

  it('sharedStart counts the tokens both prompts begin with', () => {
    expect(namedValue(ex, 'sharedStart')!.data[0]).toBe(3);
    expect(namedValue(sceneExplanation('A robot', { compare: 'The robots' }), 'sharedStart')!.data[0]).toBe(0);
    expect(namedValue(sceneExplanation('The robots', { compare: 'The robots' }), 'sharedStart')!.data[0]).toBe(2);
  });

  it('diff.nextProbs is the second prompt’s last row of probs minus the first’s, token by token', () => {
    const diff = namedValue(ex, 'diff.nextProbs')!;
    expect(diff.shape).toEqual([V]);
    const [a, b] = [row(ex, 'probs', ex.tokens.length - 1), row(second, 'probs', second.tokens.length - 1)];
    let total = 0;
    for (let v = 0; v < V; v++) {
      expect(diff.data[v]).toBe(Math.fround(b[v] - a[v]));
      total += diff.data[v];
    }
    // Both rows sum to 1, so their difference sums to 0.
    expect(Math.abs(total)).toBeLessThan(1e-4);
  });

  it('diff.h.L.attn.weights is the second prompt’s weights minus the first’s over the positions both have, in every block', () => {
    const T = Math.min(ex.tokens.length, second.tokens.length);
    expect(second.tokens.length).toBeGreaterThan(ex.tokens.length);
    for (let l = 0; l < ex.config.nLayer; l++) {
      const diff = namedValue(ex, `diff.h.${l}.attn.weights`)!;
      expect(diff.shape).toEqual([ex.config.nHead, T, T]);
      for (let h = 0; h < ex.config.nHead; h++) {
        for (let r = 0; r < T; r++) for (let c = 0; c < T; c++) expect(diff.data[(h * T + r) * T + c]).toBe(Math.fround(weight(second, l, h, r, c) - weight(ex, l, h, r, c)));
      }
    }
  });

  it('names nothing of a comparison an explanation of one prompt cannot have', () => {
    const lone = sceneExplanation('The robots will bring', { compare: undefined });
    expect(lone.compare).toBeUndefined();
    for (const name of ['compare.probs', 'sharedStart', 'diff.nextProbs', 'diff.h.0.attn.weights']) expect(namedValue(lone, name), name).toBeUndefined();
    expect(namedValue(ex, 'diff.h.99.attn.weights')).toBeUndefined();
    expect(ownerOf(lone, { tensor: 'compare.probs', index: 0 })).toBeNull();
  });
});

describe('rows a shared start makes equal are exactly equal', () => {
  let builtIn: Explanation;
  beforeAll(async () => {
    const { config, weights } = await loadModelDir(fileURLToPath(new URL('../models/default', import.meta.url)));
    builtIn = explain(new GPT(config, weights), gpt2Tokenizer(), 'The robots will bring', { modelName: 'built-in model', generateTokens: 0, compare: 'The robots will destroy' });
  });

  it.each([
    ['the built-in model', () => builtIn],
    ['a random model, the second prompt longer', () => sceneExplanation('The robots will bring the parcels', { compare: 'The robots will bring them to town' })],
  ])('for %s: every block’s difference is 0 in rows before the first different token, and not everywhere after', (_name, make) => {
    const ex = make();
    const shared = namedValue(ex, 'sharedStart')!.data[0];
    expect(shared).toBeGreaterThan(0);
    let after = 0;
    for (let l = 0; l < ex.config.nLayer; l++) {
      const diff = namedValue(ex, `diff.h.${l}.attn.weights`)!;
      const [nHead, T] = diff.shape;
      for (let h = 0; h < nHead; h++) {
        for (let r = 0; r < T; r++) {
          for (let c = 0; c < T; c++) {
            const d = diff.data[(h * T + r) * T + c];
            if (r < shared) expect(d, `block ${l}, head ${h}, row ${r}`).toBe(0);
            else after = Math.max(after, Math.abs(d));
          }
        }
      }
    }
    expect(after).toBeGreaterThan(0);
  });
});

describe('the comparing scenes', () => {
  it('are built only from an explanation with a second prompt, and say so otherwise', () => {
    const lone = sceneExplanation('The robots will bring', { compare: undefined });
    for (const name of ['compare-attention', 'compare-prediction', 'compare-lens']) {
      const def = sceneByName(name)!;
      expect(def.comparesPrompts, name).toBe(true);
      expect(() => def.build(lone), name).toThrow(/sets two prompts side by side.*give a second prompt/);
      expect(def.labelledIds!(lone)).toEqual([]);
    }
  });

  it('compare-attention draws A’s, B’s and their difference’s cells from the registry, and names the first row that may differ', () => {
    const ex = sceneExplanation();
    const scene = sceneByName('compare-attention')!.build(ex);
    const shown = scene.numbersAt(scene.durationSeconds, W, H);
    const T = ex.tokens.length;
    for (const tensor of ['h.1.attn.weights', 'compare.h.1.attn.weights', 'diff.h.1.attn.weights']) {
      // Head 2's T × T plane, every cell (the prompts are short enough for all of them).
      const cells = shown.filter((n) => n.source.tensor === tensor).map((n) => n.source.index).sort((a, b) => a - b);
      expect(cells, tensor).toEqual(Array.from({ length: T * T }, (_, i) => 2 * T * T + i));
    }
    expect(scene.beats!.find((b) => b.name === 'difference')!.caption).toContain('The first 3 tokens are the same in both prompts, so are their rows');
    const captionOf = (first: string, second: string) => sceneByName('compare-attention')!.build(sceneExplanation(first, { compare: second })).beats!.find((b) => b.name === 'difference')!.caption;
    expect(captionOf('The robots', 'The robots')).toContain('the same tokens, so every weight is the same');
    expect(captionOf('The robots', 'The robots will destroy')).toContain('how the longer one begins');
    expect(captionOf('The robots', 'The robots will destroy')).toContain('Only the first 2 positions, which both prompts have, are compared');
    expect(captionOf('A robot will bring', 'The robots will bring')).toContain('differ from their first token on');
  });

  it('compare-prediction lists each prompt’s five most likely tokens once, with both probabilities and their difference', () => {
    const ex = sceneExplanation('The robots will bring', { compare: 'Once upon a time' });
    const scene = sceneByName('compare-prediction')!.build(ex);
    const shown = scene.numbersAt(scene.durationSeconds, W, H);
    const V = ex.config.vocabSize;
    const top = (name: ValueName) => Array.from(namedValue(ex, name)!.data).slice(0, 5);
    const ids = [...new Set([...top('topTokens'), ...top('compare.topTokens')])];
    const [offA, offB] = [(ex.tokens.length - 1) * V, (ex.compare!.tokens.length - 1) * V];
    const of = (tensor: string, offset: number) => shown.filter((n) => n.source.tensor === tensor).map((n) => n.source.index - offset);
    expect(of('probs', offA)).toEqual(ids);
    expect(of('compare.probs', offB)).toEqual(ids);
    expect(of('diff.nextProbs', 0)).toEqual(ids);
    // Each row's three numbers on one line.
    for (const id of ids) {
      const ys = ['probs', 'compare.probs', 'diff.nextProbs'].map((t) => shown.find((n) => n.source.tensor === t && n.source.index % V === id)!.at!.y);
      expect(new Set(ys).size, `token ${id}`).toBe(1);
    }
  });

  it('compare-lens shows both prompts’ lens rows, each read where explain() read it, the last rows their own predictions', () => {
    const ex = sceneExplanation('The robots will bring the parcels', { lensPosition: 3, compare: 'The robots' });
    expect([ex.lens.position, ex.compare!.lens.position]).toEqual([3, 1]);
    const scene = sceneByName('compare-lens')!.build(ex);
    const shown = scene.numbersAt(scene.durationSeconds, W, H);
    const V = ex.config.vocabSize;
    const S = ex.lens.stages.length;
    for (const [tensor, e] of [['lens.probs', ex], ['compare.lens.probs', ex.compare!]] as const) {
      const last = shown.filter((n) => n.source.tensor === tensor && Math.floor(n.source.index / V) === S - 1);
      expect(last.length, tensor).toBeGreaterThan(0);
      // The last stage is the prompt's own prediction at the position read: probs, to the last digit.
      const probs = row(e, 'probs', e.lens.position);
      for (const n of last) expect(n.value, tensor).toBe(probs[n.source.index % V] * 100);
    }
    expect(scene.beats![0].caption).toContain('A read after “␣bring”, B after “␣robots”');
  });
});
