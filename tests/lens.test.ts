// The logit lens against transformers' GPT2LMHeadModel, LlamaForCausalLM and Qwen2ForCausalLM
// (tests/fixtures/*/lens.json, written by scripts/fixtures/lens_fixture.py), and its last stage
// against the model's own prediction; the lens an explanation keeps (one position, each stage's
// top tokens) against the whole lens; the lens command on both families.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { GPT } from '../src/model/gpt.ts';
import { LENS_TOP, lensAt, lensStages, lensTop, logitLens } from '../src/model/lens.ts';
import { architectureOf, type LanguageModel } from '../src/model/language-model.ts';
import { bestKernels } from '../src/kernels/index.ts';
import { explain, InputError } from '../src/model/explain.ts';
import { namedValue } from '../src/model/registry.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';
import { randomModel } from './helpers/random-model.ts';
import { SCENE_CONFIG } from './helpers/scene-explanation.ts';
import { llamaExplanation, llamaFixture, llamaFixtureDir, LLAMA_SCENE_FOLDERS } from './helpers/llama-explanation.ts';
import { cli } from './helpers/run-cli.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

interface LensReference {
  ids: number[];
  shape: [number, number];
  stages: { after: string; probs: number[] }[];
}

/** A fixture folder's model with the plain kernels: GPT-2's layout, or the Llama family's (llama-*). */
async function fixtureModel(folder: string): Promise<LanguageModel> {
  if (folder.startsWith('llama-')) return (await llamaFixture(folder as (typeof LLAMA_SCENE_FOLDERS)[number])).model;
  const loaded = await loadModelDir(join(FIXTURES, folder));
  return new GPT(loaded.config, loaded.weights);
}

describe.each(['tiny-tied', 'tiny-untied-f16', ...LLAMA_SCENE_FOLDERS])('logit lens: %s', (folder) => {
  const reference = JSON.parse(readFileSync(join(FIXTURES, folder, 'lens.json'), 'utf8')) as LensReference;

  it('agrees with transformers within 1e-5 at every stage and position, with the same top ids', async () => {
    const model = await fixtureModel(folder);
    const stages = logitLens(model, model.trace(reference.ids));
    expect(stages.map((s) => s.after)).toEqual(reference.stages.map((s) => s.after));
    expect(stages.map((s) => s.after)).toEqual(lensStages(architectureOf(model)));
    const [T, V] = reference.shape;
    stages.forEach((stage, i) => {
      const theirs = reference.stages[i].probs;
      let worst = 0;
      for (let j = 0; j < theirs.length; j++) worst = Math.max(worst, Math.abs(stage.probs[j] - theirs[j]));
      expect(worst, stage.after).toBeLessThanOrEqual(1e-5);
      for (let t = 0; t < T; t++) {
        const top = lensTop(stage, t, V, 1)[0];
        const row = theirs.slice(t * V, (t + 1) * V);
        expect(top.id, `${stage.after} at ${t}`).toBe(row.indexOf(Math.max(...row)));
      }
    });
  });

  it("ends on the model's own probs, bit for bit", async () => {
    const model = await fixtureModel(folder);
    const trace = model.trace(reference.ids);
    const stages = logitLens(model, trace);
    expect(stages.at(-1)!.probs).toEqual(trace.get('probs')!.data);
  });
});

describe('animated-transformer lens', () => {
  it('prints the stages in order, the last equal to run, and honours --position', async () => {
    const r = await cli('lens', 'The robots will bring', '--top', '3', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['tokens', 'position', 'stages']);
    expect(out.position).toBe(out.tokens.length - 1);
    expect(out.stages.map((s: { after: string }) => s.after)).toEqual(lensStages({ nLayer: out.stages.length >> 1, positions: 'table' }));
    for (const s of out.stages) expect(s.top).toHaveLength(3);
    const run = JSON.parse((await cli('run', 'The robots will bring', '--top', '3', '--json')).stdout);
    expect(out.stages.at(-1).top.map((e: { id: number }) => e.id)).toEqual(run.next.map((e: { id: number }) => e.id));
    const first = JSON.parse((await cli('lens', 'The robots will bring', '--position', '0', '--json')).stdout);
    expect(first.position).toBe(0);
    expect(first.stages[0].top).not.toEqual(out.stages[0].top);
  });

  it.each(LLAMA_SCENE_FOLDERS)('reads a Llama-family folder (%s): from embed.token, through its final RMSNorm and head, the last stage equal to run, each stage equal to the whole lens', async (folder) => {
    const prompt = 'The keeper climbed the stairs';
    const r = await cli('lens', prompt, '--model', llamaFixtureDir(folder), '--top', '4', '--position', '2', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { tokens: { id: number }[]; position: number; stages: { after: string; top: { id: number; prob: number }[] }[] };
    const { model } = await llamaFixture(folder);
    const ids = out.tokens.map((t) => t.id);
    const whole = logitLens(model, model.trace(ids));
    expect(out.position).toBe(2);
    expect(out.stages.map((st) => st.after)).toEqual(lensStages(architectureOf(model)));
    expect(out.stages[0].after).toBe('embed.token');
    out.stages.forEach((stage, s) => {
      const theirs = lensTop(whole[s], 2, model.config.vocabSize, 4);
      // The CLI runs the fastest kernels, the whole lens the plain ones: ranks may swap on a tie.
      stage.top.forEach((e, k) => expect(Math.abs(e.prob - theirs[k].prob), `${stage.after} rank ${k}`).toBeLessThanOrEqual(1e-6));
    });
    const last = JSON.parse((await cli('lens', prompt, '--model', llamaFixtureDir(folder), '--top', '3', '--json')).stdout);
    const run = JSON.parse((await cli('run', prompt, '--model', llamaFixtureDir(folder), '--top', '3', '--json')).stdout);
    expect(last.stages.at(-1).top.map((e: { id: number }) => e.id)).toEqual(run.next.map((e: { id: number }) => e.id));
  });

  it('rejects a bad --position or --top with exit 2', async () => {
    for (const bad of [['--position', '4'], ['--position', '-1'], ['--position', 'x'], ['--top', '0']]) {
      const r = await cli('lens', 'The robots will bring', ...bad);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toContain(bad[0]);
    }
  });
});

describe('the lens an explanation keeps', () => {
  const plain = randomModel(SCENE_CONFIG, 5, 0.4);
  const prompt = 'The robots will bring the parcels';

  it.each([
    ['plain kernels, exactly', plain, 0],
    ['WebAssembly kernels, to float rounding', new GPT(plain.config, plain.weights, bestKernels()), 1e-6],
  ])('at the first, second and last position: the top tokens of the whole lens with their probabilities (%s), the last stage equal to probs bit for bit', (_label, model, tolerance) => {
    const V = model.config.vocabSize;
    const ids = gpt2Tokenizer().encode(prompt);
    const trace = model.trace(ids);
    const whole = logitLens(model, trace);
    for (const position of [0, 1, ids.length - 1]) {
      const ex = explain(model, gpt2Tokenizer(), prompt, { modelName: 'random', lensPosition: position, generateTokens: 0 });
      const { lens } = ex;
      expect(lens.position).toBe(position);
      expect(lens.stages).toEqual(lensStages(architectureOf(model)));
      expect(lens.top).toBe(LENS_TOP);
      const S = lens.stages.length;
      lens.stages.forEach((_, s) => {
        const mine = Array.from(lens.ids.subarray(s * LENS_TOP, (s + 1) * LENS_TOP));
        const theirs = lensTop(whole[s], position, V, LENS_TOP);
        for (let k = 0; k < LENS_TOP; k++) {
          // Ties or float rounding may swap neighbours; the probability at each rank must agree.
          expect(Math.abs(lens.probs[s * LENS_TOP + k] - theirs[k].prob), `stage ${s}, rank ${k}`).toBeLessThanOrEqual(tolerance);
          if (tolerance === 0) expect(mine[k]).toBe(theirs[k].id);
        }
      });
      const probs = ex.trace.get('probs')!.data;
      for (let k = 0; k < LENS_TOP; k++) {
        const id = lens.ids[(S - 1) * LENS_TOP + k];
        expect(lens.probs[(S - 1) * LENS_TOP + k]).toBe(probs[position * V + id]);
      }
    }
  });

  it('reads the last token by default and refuses a position outside the prompt', () => {
    const ex = explain(plain, gpt2Tokenizer(), prompt, { modelName: 'random', generateTokens: 0 });
    expect(ex.lens.position).toBe(ex.tokens.length - 1);
    for (const bad of [-1, ex.tokens.length, 1.5]) {
      expect(() => explain(plain, gpt2Tokenizer(), prompt, { modelName: 'random', lensPosition: bad, generateTokens: 0 })).toThrow(InputError);
    }
  });

  it('is lens.probs in the registry: D × V, the kept tokens at their ids, nothing elsewhere', () => {
    const ex = explain(plain, gpt2Tokenizer(), prompt, { modelName: 'random', lensPosition: 2, generateTokens: 0 });
    const V = ex.config.vocabSize;
    const value = namedValue(ex, 'lens.probs')!;
    const S = ex.lens.stages.length;
    expect(value.shape).toEqual([S, V]);
    let kept = 0;
    for (let i = 0; i < value.data.length; i++) if (!Number.isNaN(value.data[i])) kept++;
    expect(kept).toBe(S * LENS_TOP);
    for (let s = 0; s < S; s++) {
      for (let k = 0; k < LENS_TOP; k++) expect(value.data[s * V + ex.lens.ids[s * LENS_TOP + k]]).toBe(ex.lens.probs[s * LENS_TOP + k]);
    }
  });

  it('lensAt at one position equals the whole lens there for the fixtures too', async () => {
    const loaded = await loadModelDir(join(FIXTURES, 'tiny-tied'));
    const model = new GPT(loaded.config, loaded.weights);
    const trace = model.trace([1, 5, 9, 2]);
    const whole = logitLens(model, trace);
    const V = model.config.vocabSize;
    const one = lensAt(model, trace, 1, 3);
    whole.forEach((stage, s) => expect(Array.from(one.ids.subarray(s * 3, s * 3 + 3))).toEqual(lensTop(stage, 1, V, 3).map((e) => e.id)));
  });
});

describe('the lens a Llama-family explanation keeps', () => {
  it.each(LLAMA_SCENE_FOLDERS)('%s: each stage the whole lens at the chosen position, the last its own probs, named with RMSNorm in the registry', async (folder) => {
    const ex = await llamaExplanation(folder, 'The keeper climbed the stairs', { lensPosition: 1 });
    const { model } = await llamaFixture(folder);
    const whole = logitLens(model, ex.trace);
    const V = ex.config.vocabSize;
    expect(ex.lens.position).toBe(1);
    expect(ex.lens.stages).toEqual(lensStages(ex.config));
    ex.lens.stages.forEach((_, s) => {
      expect(Array.from(ex.lens.ids.subarray(s * LENS_TOP, (s + 1) * LENS_TOP))).toEqual(lensTop(whole[s], 1, V, LENS_TOP).map((e) => e.id));
    });
    const S = ex.lens.stages.length;
    const probs = ex.trace.get('probs')!.data;
    for (let k = 0; k < LENS_TOP; k++) expect(ex.lens.probs[(S - 1) * LENS_TOP + k]).toBe(probs[V + ex.lens.ids[(S - 1) * LENS_TOP + k]]);
    expect(namedValue(ex, 'lens.probs')!.what).toContain('the final RMSNorm');
  });
});
