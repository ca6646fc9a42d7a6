// Resuming is exact: N steps in one go equal N/2 steps, a save to the resume file, a fresh
// trainer restored from it, and N/2 more steps, bit for bit (with dropout on, so the random
// streams' states are covered too). Plus the learning-rate schedule's shape.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { plainTrainingKernels } from '../src/kernels/training.ts';
import { CharTokenizer, describeTokenizer } from '../src/tokenizer/index.ts';
import { splitText } from '../src/train/data.ts';
import { learningRate } from '../src/train/optim.ts';
import { dataFingerprint, loadState, restoreTrainer, saveState } from '../src/train/state.ts';
import { DEFAULT_SETTINGS, Trainer, type TrainSettings } from '../src/train/trainer.ts';

const text = 'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n'.repeat(8);
const tokenizer = CharTokenizer.fromText(text);
const split = splitText(text, (s) => tokenizer.encode(s));
const data = { train: split.train, val: split.val, vocabSize: tokenizer.vocabSize };
const settings: TrainSettings = {
  ...DEFAULT_SETTINGS, nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8, batchSize: 3, maxIters: 6, warmupIters: 2,
  evalInterval: 3, evalIters: 2, dropout: 0.1, seed: 7,
};
const dir = mkdtempSync(join(tmpdir(), 'train-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resume', () => {
  it('continues bit for bit', async () => {
    const straight = new Trainer(settings, data, plainTrainingKernels);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) losses.push(straight.step().loss);

    const first = new Trainer(settings, data, plainTrainingKernels);
    for (let i = 0; i < 3; i++) expect(first.step().loss).toBe(losses[i]);
    first.isNewBest(first.evaluate());
    const path = join(dir, 'state.bin');
    await saveState(path, first, { tokenizer: describeTokenizer(tokenizer), dataFingerprint: dataFingerprint(split.train, split.val), snapshots: [] });

    const second = new Trainer(settings, data, plainTrainingKernels);
    restoreTrainer(second, await loadState(path));
    expect(second.iter).toBe(3);
    for (let i = 3; i < 6; i++) expect(second.step().loss).toBe(losses[i]);
    expect(Buffer.from(second.model.params.buffer).equals(Buffer.from(straight.model.params.buffer))).toBe(true);
    expect(Buffer.from(second.optimizer.v.buffer).equals(Buffer.from(straight.optimizer.v.buffer))).toBe(true);
    expect(second.bestIter).toBe(3);
    // The per-step log continues with no step missing or repeated.
    expect(second.losses).toEqual(losses);
    // And training did change the weights (the comparison above is not between two fresh models).
    const fresh = new Trainer(settings, data, plainTrainingKernels);
    expect(Buffer.from(fresh.model.params.buffer).equals(Buffer.from(straight.model.params.buffer))).toBe(false);
  });

  it('rejects a truncated state file with a clear message', async () => {
    const t = new Trainer(settings, data, plainTrainingKernels);
    const path = join(dir, 'cut.bin');
    await saveState(path, t, { tokenizer: describeTokenizer(tokenizer), dataFingerprint: 'x', snapshots: [] });
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(path, readFileSync(path).subarray(0, 100));
    await expect(loadState(path)).rejects.toThrow(/not a usable training state \(truncated\)/);
  });
});

describe('learning-rate schedule', () => {
  const s = { lr: 1e-3, minLr: 1e-4, warmupIters: 10, decayIters: 110 };
  it('warms up linearly, peaks, decays by cosine to the floor', () => {
    expect(learningRate(0, s)).toBeCloseTo(1e-3 / 11, 12);
    expect(learningRate(9, s)).toBeCloseTo(1e-3 * (10 / 11), 12);
    expect(learningRate(10, s)).toBeCloseTo(1e-3, 12);
    expect(learningRate(60, s)).toBeCloseTo(5.5e-4, 12);
    expect(learningRate(110, s)).toBeCloseTo(1e-4, 12);
    expect(learningRate(500, s)).toBe(1e-4);
  });
});
