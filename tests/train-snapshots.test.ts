// train --snapshots and the training log: snapshot folders at exactly the chosen steps, in the
// shared-row layout, holding the weights of that step and read by every command; the log's
// numbers are the run's; a run stopped and resumed leaves the same log and snapshots as a
// straight one (no gaps, no repeats); bad --snapshots values are usage errors (exit 2).

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { WEIGHTS_FILE } from '../src/model/checkpoint.ts';
import { ROW_TOKENS, SHARED_ROWS } from '../src/model/checkpoint-read.ts';
import { namedParameters } from '../src/model/weights.ts';
import { parseSafetensors } from '../src/model/safetensors.ts';
import { readTrainingLog, snapshotDir, TRAINING_LOG_FILE, type TrainingLog } from '../src/train/log.ts';
import { cli, runCli } from './helpers/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'train-snapshots-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = 'ROMEO:\nBut soft, what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n'.repeat(6);
const data = join(dir, 'text.txt');
writeFileSync(data, text);
const tiny = ['--data', data, '--n-layer', '1', '--n-head', '2', '--n-embd', '8', '--block-size', '8', '--batch-size', '2', '--eval-iters', '1', '--seed', '3'];

const readLog = (out: string): TrainingLog => readTrainingLog(readFileSync(join(out, TRAINING_LOG_FILE), 'utf8'), out);
const snapshotFolders = (out: string) => readdirSync(join(out, 'snapshots')).sort();

/** The weights of a model folder as one list of named float arrays. */
async function weightsOf(folder: string) {
  const { config, weights } = await loadModelDir(folder);
  return namedParameters(config, weights).map((p) => [p.name, Array.from(p.data!)]);
}

describe('train --snapshots', () => {
  const out = join(dir, 'gpt2');
  const steps = [0, 2, 5, 6];

  it('writes a shared-row model folder at exactly the chosen steps, a log, and says where they are', async () => {
    const r = await cli('train', ...tiny, '--tokenizer', 'gpt2', '--dtype', 'F16', '--out', out, '--max-iters', '6', '--eval-interval', '3', '--snapshots', '6,0,2,5,2');
    expect(r.code).toBe(0);
    expect(snapshotFolders(out)).toEqual(steps.map((s) => snapshotDir(s).split('/')[1]));
    expect(r.stderr).toContain(`training log (loss per step, evaluations, snapshots): ${join(out, TRAINING_LOG_FILE)}`);
    expect(r.stderr).toContain(`snapshots (model folders for --model) at steps 0, 2, 5, 6: ${join(out, 'snapshots')}/step-NNNNNN`);
    for (const step of steps) {
      const file = parseSafetensors(new Uint8Array(readFileSync(join(out, snapshotDir(step), WEIGHTS_FILE))), 'snapshot');
      expect(file.entries.has(SHARED_ROWS) && file.entries.has(ROW_TOKENS) && !file.entries.has('wte.weight')).toBe(true);
      expect(file.entries.get(SHARED_ROWS)!.dtype).toBe('F16');
      // The tokens absent from this short text share one row: far fewer rows than 50,257.
      expect(file.entries.get(SHARED_ROWS)!.shape[0]).toBeLessThan(100);
    }
  });

  it('each snapshot holds the weights of its step', async () => {
    const log = readLog(out);
    // The best model (saved at an evaluation step that is also a snapshot step) is that step's snapshot.
    expect(log.best).not.toBeNull();
    expect(steps).toContain(log.best!.step);
    expect(await weightsOf(join(out, snapshotDir(log.best!.step)))).toEqual(await weightsOf(out));
    // Step 0 is the random start: the model a run of no steps saves.
    const start = join(dir, 'start');
    expect((await cli('train', ...tiny, '--tokenizer', 'gpt2', '--dtype', 'F16', '--out', start, '--max-iters', '0')).code).toBe(0);
    expect(await weightsOf(join(out, snapshotDir(0)))).toEqual(await weightsOf(start));
    expect(await weightsOf(join(out, snapshotDir(6)))).not.toEqual(await weightsOf(start));
  });

  it('every command reads a snapshot folder', async () => {
    const model = join(out, snapshotDir(5));
    for (const args of [
      ['run', 'But soft', '--top', '3'],
      ['generate', 'ROMEO:', '--max-new-tokens', '3', '--seed', '1'],
      ['trace', 'But soft', '--only', 'logits', '--json'],
      ['lens', 'But soft', '--top', '2'],
      ['eval', '--data', data],
      ['tokenize', 'But soft'],
      ['render', '--list'],
    ]) {
      const r = await cli(...args, '--model', model);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
      expect(r.stdout.length, args[0]).toBeGreaterThan(0);
    }
  });

  it('the log holds every step\'s loss, every evaluation and the snapshots', async () => {
    const log = readLog(out);
    expect(log.loss).toHaveLength(6);
    expect(log.evaluations.map((e) => e.iter)).toEqual([0, 3, 6]);
    expect(log.snapshots).toEqual(steps.map((step) => ({ step, dir: snapshotDir(step) })));
    expect(log.settings.maxIters).toBe(6);
    expect(log.tokensPerStep).toBe(2 * 8);
    expect(log.best!.val).toBe(Math.min(...log.evaluations.map((e) => e.val)));
  });

  it('after Ctrl-C, --resume leaves the log and snapshots a straight run leaves, with no step missing or repeated', async () => {
    const args = [...tiny, '--max-iters', '6', '--eval-interval', '2', '--dropout', '0.1', '--snapshots', '0,1,3,4,6'];
    const straight = join(dir, 'straight');
    const cut = join(dir, 'cut');
    expect((await cli('train', ...args, '--out', straight)).code).toBe(0);
    // Stop after step 3, before the snapshot due at step 3 is written: the resumed run writes it.
    const first = await runCli(['train', ...args, '--out', cut], (line) => {
      if (line.includes('step 3/6')) process.emit('SIGINT');
    });
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/stopped at step 3/);
    const partial = readLog(cut);
    expect(partial.loss).toHaveLength(3);
    expect(partial.snapshots.map((s) => s.step)).toEqual([0, 1]);
    expect(existsSync(join(cut, snapshotDir(3)))).toBe(false);

    expect((await cli('train', '--data', data, '--out', cut, '--resume')).code).toBe(0);
    expect(readFileSync(join(cut, TRAINING_LOG_FILE), 'utf8')).toBe(readFileSync(join(straight, TRAINING_LOG_FILE), 'utf8'));
    const log = readLog(cut);
    expect(log.loss).toHaveLength(6);
    expect(log.evaluations.map((e) => e.iter)).toEqual([0, 2, 4, 6]);
    expect(snapshotFolders(cut)).toEqual(snapshotFolders(straight));
    for (const folder of snapshotFolders(straight)) {
      expect(readFileSync(join(cut, 'snapshots', folder, WEIGHTS_FILE)).equals(readFileSync(join(straight, 'snapshots', folder, WEIGHTS_FILE))), folder).toBe(true);
    }
    // Resuming a finished run (its state saved right after the last evaluation) adds nothing.
    expect((await cli('train', '--data', data, '--out', cut, '--resume')).code).toBe(0);
    expect(readFileSync(join(cut, TRAINING_LOG_FILE), 'utf8')).toBe(readFileSync(join(straight, TRAINING_LOG_FILE), 'utf8'));
  });

  it.each([['abc'], ['1,x'], ['-1'], ['7'], [''], ['1.5'], ['2,,3']])('--snapshots %j is a usage error (exit 2)', async (value) => {
    const r = await cli('train', ...tiny, '--out', join(dir, 'bad'), '--max-iters', '6', `--snapshots=${value}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--snapshots takes whole steps from 0 to --max-iters \(6\) separated by commas/);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('--snapshots with --resume is a usage error: the saved run keeps its own', async () => {
    const r = await cli('train', '--data', data, '--out', out, '--resume', '--snapshots', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--resume continues the saved run with its own settings; drop --snapshots/);
  });
});
