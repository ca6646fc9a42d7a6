// The built-in model's training history ("How it learned"): its snapshots load and every scene
// drawn from a snapshot shows true numbers; the loss plot's points are the training log's; the
// log reader refuses a broken log. Uses the history in models/default/ when it ships one, else
// a tiny run trained here with the same command.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { explain } from '../src/model/explain.ts';
import { GPT } from '../src/model/gpt.ts';
import { nextTokenGuess } from '../src/model/next-token.ts';
import { scenesFor } from '../src/scenes/index.ts';
import { readTrainingLog, TRAINING_LOG_FILE, TrainingLogError, type TrainingLog } from '../src/train/log.ts';
import { markerText, stepLosses } from '../src/web/history-plot.ts';
import { lossPlot } from '../src/web/loss-plot.ts';
import { checkScene } from './helpers/check-scene.ts';
import { trainTinyHistory } from './helpers/tiny-history.ts';

const BUILT_IN = fileURLToPath(new URL('../models/default', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'history-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let dir = '';
let log: TrainingLog;

beforeAll(async () => {
  if (existsSync(join(BUILT_IN, TRAINING_LOG_FILE))) {
    dir = BUILT_IN;
  } else {
    dir = join(scratch, 'run');
    await trainTinyHistory(dir);
  }
  log = readTrainingLog(readFileSync(join(dir, TRAINING_LOG_FILE), 'utf8'), dir);
});

describe('the training history', () => {
  it('lists at least a start and an end snapshot, each a model folder that loads', async () => {
    expect(log.snapshots[0].step).toBe(0);
    expect(log.snapshots.length).toBeGreaterThanOrEqual(dir === BUILT_IN ? 6 : 4);
    for (const s of log.snapshots) {
      const loaded = await loadModelDir(join(dir, s.dir));
      expect(loaded.config.vocabSize).toBe(50257);
    }
  });

  it('every scene drawn from a snapshot shows that snapshot\'s true numbers', async () => {
    // The random start, the middle and the last: scenes meet very different numbers in each.
    const picks = [log.snapshots[0], log.snapshots[Math.floor(log.snapshots.length / 2)], log.snapshots[log.snapshots.length - 1]];
    for (const s of picks) {
      const { config, weights, tokenizer } = await loadModelDir(join(dir, s.dir));
      const ex = explain(new GPT(config, weights), tokenizer, 'ROMEO: But soft', { modelName: s.dir, compare: 'ROMEO: But hard' });
      for (const def of scenesFor(ex.config)) {
        const { errors, shownCount } = checkScene(ex, def.build(ex), 640, 360);
        expect(errors.slice(0, 5), `${s.dir} ${def.name}`).toEqual([]);
        if (def.name === 'prediction') expect(shownCount).toBeGreaterThan(0);
      }
    }
  });

  it('at the random start the prediction is nearly uniform; training makes it sure of far fewer tokens', async () => {
    const entropyAt = async (s: TrainingLog['snapshots'][number]) => {
      const { config, weights, tokenizer } = await loadModelDir(join(dir, s.dir));
      return nextTokenGuess(new GPT(config, weights), tokenizer, 'ROMEO:', 5).entropy;
    };
    const start = await entropyAt(log.snapshots[0]);
    expect(start).toBeGreaterThan(0.99 * Math.log(50257));
    expect(await entropyAt(log.snapshots[log.snapshots.length - 1])).toBeLessThan(start - 0.5);
  });
});

describe('the loss plot', () => {
  const plot = () => lossPlot(log, { unit: 'token' });
  const stepAt = (x: number) => ((x - plot().area.left) / (plot().area.right - plot().area.left)) * plot().steps;
  const lossAt = (y: number) => {
    const { area, lossRange } = plot();
    return lossRange[0] + ((area.bottom - y) / (area.bottom - area.top)) * (lossRange[1] - lossRange[0]);
  };

  it('draws one point per logged step and per evaluation, each at the log\'s step and loss', () => {
    const p = plot();
    expect(p.train).toHaveLength(log.loss.length);
    p.train.forEach((point, i) => {
      expect(point.step).toBe(i + 1);
      expect(point.loss).toBe(log.loss[i]);
      expect(stepAt(point.x)).toBeCloseTo(i + 1, 6);
      expect(lossAt(point.y)).toBeCloseTo(log.loss[i], 6);
    });
    expect(p.val.map((v) => [v.step, v.loss])).toEqual(log.evaluations.map((e) => [e.iter, e.val]));
    for (const v of p.val) expect(lossAt(v.y)).toBeCloseTo(v.loss, 6);
    // Every point lies inside the plotting area, and the ticks' labels are where they say.
    for (const point of [...p.train, ...p.val]) {
      expect(point.x).toBeGreaterThanOrEqual(p.area.left - 1e-9);
      expect(point.x).toBeLessThanOrEqual(p.area.right + 1e-9);
      expect(point.y).toBeGreaterThanOrEqual(p.area.top - 1e-9);
      expect(point.y).toBeLessThanOrEqual(p.area.bottom + 1e-9);
    }
    for (const t of p.yTicks) expect(lossAt(t.y)).toBeCloseTo(t.loss, 6);
    for (const t of p.xTicks) expect(stepAt(t.x)).toBeCloseTo(t.step, 6);
  });

  it('labels a marked step with the log\'s numbers: its evaluation, or its batch\'s loss', () => {
    const evaluated = log.evaluations[log.evaluations.length - 1];
    expect(markerText(log, evaluated.iter)).toBe(`step ${evaluated.iter.toLocaleString('en-US')}: validation ${evaluated.val.toFixed(2)}`);
    const between = log.snapshots.find((s) => !log.evaluations.some((e) => e.iter === s.step));
    if (between) {
      expect(stepLosses(log, between.step).train).toBe(log.loss[between.step - 1]);
      expect(markerText(log, between.step)).toContain(`batch ${log.loss[between.step - 1].toFixed(2)}`);
    }
  });
});

describe('reading a training log', () => {
  it.each([
    ['not json', /not valid JSON/],
    ['{"format": "something else", "version": 1}', /expected "format"/],
    [JSON.stringify({ ...baseLog(), loss: [1, 'x'] }), /"loss" must be a list of numbers/],
    [JSON.stringify({ ...baseLog(), evaluations: [{ iter: 5, train: 1, val: 1 }] }), /none after step 2/],
    [JSON.stringify({ ...baseLog(), snapshots: [{ step: 2, dir: 'a' }, { step: 1, dir: 'b' }] }), /ascending step/],
  ])('refuses %s', (text, message) => {
    expect(() => readTrainingLog(text, 'log.json')).toThrow(TrainingLogError);
    expect(() => readTrainingLog(text, 'log.json')).toThrow(message);
  });
});

function baseLog() {
  return { format: 'animated-transformer training log', version: 1, settings: {}, tokensPerStep: 4, loss: [3, 2], evaluations: [], snapshots: [], best: null };
}
