import { describe, expect, it } from 'vitest';
import { generate } from '../src/model/generate.ts';
import { KVCache } from '../src/model/gpt.ts';
import { argmax } from '../src/model/sampling.ts';
import { randomModel, TINY_CONFIG } from './helpers/random-model.ts';

const model = randomModel();

describe('generate', () => {
  it('greedy decoding picks the argmax of an uncached forward pass at every step', () => {
    const steps = [...generate(model, [1, 2, 3], { temperature: 0, topK: 0, topP: 1, maxNewTokens: 6, seed: 0 })];
    const ids = [1, 2, 3];
    for (const step of steps) {
      const V = TINY_CONFIG.vocabSize;
      const { logits } = model.forward(ids);
      expect(step.id).toBe(argmax(logits.subarray((ids.length - 1) * V)));
      expect(step.probability).toBe(1);
      ids.push(step.id);
    }
  });

  it('is reproducible for a seed and varies across seeds', () => {
    const run = (seed: number) =>
      [...generate(model, [4, 5], { temperature: 1.5, topK: 0, topP: 1, maxNewTokens: 10, seed })].map((s) => s.id);
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });

  it('keeps only the last n_positions tokens once the context is full, and says how many it dropped', () => {
    const prompt = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const steps = [...generate(model, prompt, { temperature: 0, topK: 0, topP: 1, maxNewTokens: 5, seed: 0 })];
    expect(steps.map((s) => s.context.length)).toEqual([10, 11, 12, 12, 12]);
    expect(steps.map((s) => s.dropped)).toEqual([0, 0, 0, 1, 2]);
    // After sliding, the prediction equals a fresh forward pass over the window.
    const last = steps[4];
    const V = TINY_CONFIG.vocabSize;
    const { logits } = model.forward(last.context);
    expect(last.id).toBe(argmax(logits.subarray((last.context.length - 1) * V)));
  });

  it('slides a small window the same way', () => {
    const steps = [...generate(model, [1, 2, 3], { temperature: 0, topK: 0, topP: 1, maxNewTokens: 4, seed: 0, window: 4 })];
    expect(steps.map((s) => s.context.length)).toEqual([3, 4, 4, 4]);
    expect(steps[3].context.slice(0, 1)).toEqual([steps[0].context[2]]);
  });

  it('after the window slides, every step\'s probabilities equal a fresh uncached pass over its context', () => {
    const V = TINY_CONFIG.vocabSize;
    // Softmax of the last row of a plain forward pass (no cache, no trace), in doubles.
    const freshProbs = (context: number[]) => {
      const last = model.forward(context).logits.subarray((context.length - 1) * V);
      const max = Math.max(...last);
      const e = Array.from(last, (l) => Math.exp(l - max));
      const total = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / total);
    };
    for (const [prompt, window] of [[[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], undefined], [[1, 2, 3], 4]] as const) {
      const steps = [...generate(model, prompt, { temperature: 1, topK: 0, topP: 1, maxNewTokens: 8, seed: 5, window })];
      expect(steps.filter((s) => s.dropped > 0).length, 'the window never slid').toBeGreaterThanOrEqual(3);
      for (const [n, step] of steps.entries()) {
        const want = freshProbs(step.context);
        expect(Math.abs(step.probability - want[step.id]), `step ${n}: chosen token`).toBeLessThan(1e-5);
        for (const t of step.top) expect(Math.abs(t.probability - want[t.id]), `step ${n}: token ${t.id}`).toBeLessThan(1e-5);
        const order = [...want.keys()].sort((a, b) => want[b] - want[a]).slice(0, 5);
        expect(step.top.map((t) => t.id), `step ${n}: the five most likely`).toEqual(order);
      }
    }
  });

  it('stops at the stop token', () => {
    const first = [...generate(model, [1], { temperature: 0, topK: 0, topP: 1, maxNewTokens: 1, seed: 0 })][0].id;
    const steps = [...generate(model, [1], { temperature: 0, topK: 0, topP: 1, maxNewTokens: 5, seed: 0, stopToken: first })];
    expect(steps).toHaveLength(1);
  });
});

describe('KV cache', () => {
  it('gives the same logits as the uncached pass, one token at a time', () => {
    const ids = [3, 1, 4, 1, 5, 9, 2, 6];
    const V = TINY_CONFIG.vocabSize;
    const full = model.forward(ids).logits;
    const cache = new KVCache(TINY_CONFIG);
    model.forward(ids.slice(0, 3), { cache });
    for (let t = 3; t < ids.length; t++) {
      const { logits } = model.forward([ids[t]], { cache, lastOnly: true });
      for (let v = 0; v < V; v++) expect(Math.abs(logits[v] - full[t * V + v])).toBeLessThan(1e-5);
    }
    expect(cache.length).toBe(ids.length);
  });

  it('refuses more positions than the model has', () => {
    expect(() => model.forward(Array.from({ length: 13 }, () => 1))).toThrow(/context of 12/);
  });
});
