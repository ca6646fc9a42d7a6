// The logit lens against transformers' GPT2LMHeadModel (tests/fixtures/*/lens.json, written by
// scripts/fixtures/lens_fixture.py), and its last stage against the model's own prediction.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.ts';
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

describe('animated-transformer lens', () => {
  async function cli(...args: string[]) {
    let stdout = '';
    let stderr = '';
    const log = vi.spyOn(console, 'log').mockImplementation((...a) => void (stdout += a.join(' ') + '\n'));
    const error = vi.spyOn(console, 'error').mockImplementation((...a) => void (stderr += a.join(' ') + '\n'));
    try {
      return { code: await main(args), stdout, stderr };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it('prints the stages in order, the last equal to run, and honours --position', async () => {
    const r = await cli('lens', 'The robots will bring', '--top', '3', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['tokens', 'position', 'stages']);
    expect(out.position).toBe(out.tokens.length - 1);
    expect(out.stages.map((s: { after: string }) => s.after)).toEqual(lensStageNames(out.stages.length >> 1));
    for (const s of out.stages) expect(s.top).toHaveLength(3);
    const run = JSON.parse((await cli('run', 'The robots will bring', '--top', '3', '--json')).stdout);
    expect(out.stages.at(-1).top.map((e: { id: number }) => e.id)).toEqual(run.next.map((e: { id: number }) => e.id));
    const first = JSON.parse((await cli('lens', 'The robots will bring', '--position', '0', '--json')).stdout);
    expect(first.position).toBe(0);
    expect(first.stages[0].top).not.toEqual(out.stages[0].top);
  });

  it('rejects a bad --position or --top with exit 2', async () => {
    for (const bad of [['--position', '4'], ['--position', '-1'], ['--position', 'x'], ['--top', '0']]) {
      const r = await cli('lens', 'The robots will bring', ...bad);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toContain(bad[0]);
    }
  });
});
