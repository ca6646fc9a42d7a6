// The logit lens against transformers' GPT2LMHeadModel (tests/fixtures/*/lens.json, written by
// scripts/fixtures/lens_fixture.py), and its last stage against the model's own prediction.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { GPT } from '../src/model/gpt.ts';
import { lensStageNames, lensTop, logitLens } from '../src/model/lens.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

interface LensReference {
  ids: number[];
  shape: [number, number];
  stages: { after: string; probs: number[] }[];
}

describe.each(['tiny-tied', 'tiny-untied-f16'])('logit lens: %s', (folder) => {
  const reference = JSON.parse(readFileSync(join(FIXTURES, folder, 'lens.json'), 'utf8')) as LensReference;

  it('agrees with transformers within 1e-5 at every stage and position, with the same top ids', async () => {
    const loaded = await loadModelDir(join(FIXTURES, folder));
    const model = new GPT(loaded.config, loaded.weights);
    const stages = logitLens(model, model.trace(reference.ids));
    expect(stages.map((s) => s.after)).toEqual(reference.stages.map((s) => s.after));
    expect(stages.map((s) => s.after)).toEqual(lensStageNames(model.config.nLayer));
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
    const loaded = await loadModelDir(join(FIXTURES, folder));
    const model = new GPT(loaded.config, loaded.weights);
    const trace = model.trace(reference.ids);
    const stages = logitLens(model, trace);
    expect(stages.at(-1)!.probs).toEqual(trace.get('probs')!.data);
  });
});
