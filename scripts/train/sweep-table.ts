// The sweep's table for the model card, from the runs scripts/train/sweep.sh wrote: for each
// point, its shape, dropout and steps; our run's best step, its best 8-batch validation loss and
// the whole-split validation loss of the saved model (eval.json); the same for its PyTorch twin
// (the JSON summary its log ends with); and each side's wall time. Runs still going show how far
// they are.
// Run: npx tsx scripts/train/sweep-table.ts [RUNS_DIR]   (default /work/runs)

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrainingLog } from '../../src/train/log.ts';

const runs = process.argv[2] ?? '/work/runs';
const points = readFileSync(join(runs, 'sweep-points.txt'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => line.split(/\s+/)[0]);

const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : null);
const seconds = (dir: string) => {
  const text = read(join(dir, 'wall-seconds'));
  if (!text) return '';
  const total = text.trim().split('\n').map(Number).reduce((a, b) => a + b, 0);
  return `${Math.round(total / 60)} min`;
};
const fixed = (v: number | undefined | null) => (v === undefined || v === null ? '' : v.toFixed(4));

console.log('| point | layers × heads × width | dropout | steps | ours: best step | ours: 8-batch val | ours: whole-split val | twin: best step | twin: 8-batch val | twin: whole-split val | wall time, ours / twin |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const name of points) {
  const ours = join(runs, name);
  const twin = join(runs, `${name}-twin`);
  const logText = read(join(ours, 'training-log.json'));
  if (!logText) {
    console.log(`| ${name} | not started | | | | | | | | | |`);
    continue;
  }
  const log = readTrainingLog(logText, ours);
  const s = log.settings;
  const done = existsSync(join(ours, 'done'));
  const evalJson = read(join(ours, 'eval.json'));
  const whole = evalJson ? (JSON.parse(evalJson) as { loss: number }).loss : null;
  const progress = done ? `${s.maxIters}` : `${s.maxIters} (at ${log.loss.length})`;
  const twinLines = read(join(twin, 'twin.log'))?.trim().split('\n') ?? [];
  const last = twinLines.at(-1) ?? '';
  const summary = last.startsWith('{') ? (JSON.parse(last) as { best_iter: number; best_eval_val_loss: number; val_loss: number }) : null;
  const twinProgress = summary ? String(summary.best_iter) : twinLines.length > 0 ? `running (${twinLines.filter((l) => l.startsWith('eval')).at(-1) ?? ''})` : '';
  console.log(
    `| ${name} | ${s.nLayer} × ${s.nHead} × ${s.nEmbd} | ${s.dropout} | ${progress} | ${log.best?.step ?? ''} | ${fixed(log.best?.val)} | ${fixed(whole)} | ` +
      `${twinProgress} | ${fixed(summary?.best_eval_val_loss)} | ${fixed(summary?.val_loss)} | ${seconds(ours)} / ${seconds(twin)} |`,
  );
}
