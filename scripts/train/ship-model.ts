// Makes a finished training run the built-in model: its model files (the weights in the
// shared-row layout, as the snapshots are), the snapshots chosen and its training log (listing
// only the snapshots shipped) go into models/default/, replacing what was there, provided
// models/ stays within 64 MB. With --data it also prints, for the model
// card, every shipped snapshot's loss over the whole validation split (as `eval` computes it).
// Run: npx tsx scripts/train/ship-model.ts RUN_DIR [--snapshots 0,25,50] [--data FILE]

import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bestTrainingKernels } from '../../src/kernels/index.ts';
import { CONFIG_FILE, WEIGHTS_FILE, compactCheckpoint } from '../../src/model/checkpoint.ts';
import { loadModelDir } from '../../src/model/checkpoint-node.ts';
import { TOKENIZER_FILE } from '../../src/model/tokenizer-file.ts';
import { splitText } from '../../src/train/data.ts';
import { sequenceLoss } from '../../src/train/evaluate.ts';
import { readTrainingLog, SNAPSHOTS_DIR, TRAINING_LOG_FILE } from '../../src/train/log.ts';

const LIMIT = 64e6;
const MODELS = new URL('../../models/', import.meta.url).pathname;
const TARGET = join(MODELS, 'default');
const MODEL_FILES = [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE];

const { values, positionals } = parseArgs({ options: { snapshots: { type: 'string' }, data: { type: 'string' } }, allowPositionals: true });
const run = positionals[0];
if (!run) throw new Error('usage: npx tsx scripts/train/ship-model.ts RUN_DIR [--snapshots 0,25,50] [--data FILE]');
const log = readTrainingLog(readFileSync(join(run, TRAINING_LOG_FILE), 'utf8'), run);
const wanted = values.snapshots ? new Set(values.snapshots.split(',').map(Number)) : null;
const shipped = log.snapshots.filter((s) => wanted === null || wanted.has(s.step));
if (wanted && shipped.length !== wanted.size) throw new Error(`${run}: the log has no snapshot at some of ${values.snapshots}`);

const weights = compactCheckpoint(new Uint8Array(readFileSync(join(run, WEIGHTS_FILE))), join(run, WEIGHTS_FILE));
const sizeOf = (path: string): number =>
  statSync(path).isDirectory() ? readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0) : statSync(path).size;
// models/ afterwards: everything but what this replaces, plus what it brings.
const replaced = [...MODEL_FILES, TRAINING_LOG_FILE, SNAPSHOTS_DIR].map((f) => join(TARGET, f)).filter(existsSync).reduce((sum, p) => sum + sizeOf(p), 0);
const modelSize = MODEL_FILES.reduce((sum, f) => sum + (f === WEIGHTS_FILE ? weights.length : sizeOf(join(run, f))), 0);
const brought = modelSize + shipped.reduce((sum, s) => sum + sizeOf(join(run, s.dir)), 0);
const total = sizeOf(MODELS) - replaced + brought;
console.log(`models/ would hold ${(total / 1e6).toFixed(1)} MB (limit ${LIMIT / 1e6} MB): the model ${(modelSize / 1e6).toFixed(1)} MB, ${shipped.length} snapshots`);
if (total > LIMIT) {
  console.error('over the limit: ship fewer snapshots with --snapshots');
  process.exit(1);
}

rmSync(join(TARGET, SNAPSHOTS_DIR), { recursive: true, force: true });
for (const f of MODEL_FILES) {
  if (f === WEIGHTS_FILE) writeFileSync(join(TARGET, f), weights);
  else cpSync(join(run, f), join(TARGET, f));
}
for (const s of shipped) {
  cpSync(join(run, s.dir), join(TARGET, s.dir), { recursive: true });
  // Snapshots written by an earlier trainer may be in the shared-row layout's earlier form.
  const file = join(TARGET, s.dir, WEIGHTS_FILE);
  writeFileSync(file, compactCheckpoint(new Uint8Array(readFileSync(file)), file));
}
writeFileSync(join(TARGET, TRAINING_LOG_FILE), JSON.stringify({ ...log, snapshots: shipped }) + '\n');
console.log(`shipped ${run} into models/default/: steps ${shipped.map((s) => s.step).join(', ')}`);

if (values.data) {
  console.log('\n| step | whole-split validation loss | 8-batch validation loss (log) | training batch loss (log) |');
  console.log('|---|---|---|---|');
  const { tokenizer } = await loadModelDir(TARGET);
  const val = splitText(readFileSync(values.data, 'utf8'), (text) => tokenizer.encode(text)).val;
  for (const s of shipped) {
    const { config, weights } = await loadModelDir(join(TARGET, s.dir));
    const { loss } = sequenceLoss(config, weights, val, config.nPositions, bestTrainingKernels());
    const evaluation = log.evaluations.find((e) => e.iter === s.step);
    console.log(`| ${s.step} | ${loss.toFixed(4)} | ${evaluation ? evaluation.val.toFixed(4) : ''} | ${s.step > 0 ? log.loss[s.step - 1].toFixed(4) : ''} |`);
  }
}
