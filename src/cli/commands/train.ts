// `train --data FILE`: train a small GPT on a text file and save it as a model folder
// (the same layout every command reads), with the best model by validation loss kept.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeTrainingKernels } from '../../kernels/parallel/node.ts';
import { WEIGHTS_FILE } from '../../model/checkpoint.ts';
import { parseSafetensors } from '../../model/safetensors.ts';
import { CharTokenizer, TokenizerError, gpt2Tokenizer, loadTokenizer, type Tokenizer } from '../../tokenizer/index.ts';
import { splitText, type Split } from '../../train/data.ts';
import { SNAPSHOTS_DIR, TRAINING_LOG_FILE } from '../../train/log.ts';
import { runTraining } from '../../train/loop.ts';
import { RESUME_FILE, ResumeError, dataFingerprint, loadState, restoreTrainer } from '../../train/state.ts';
import { DEFAULT_SETTINGS, Trainer, type TrainSettings } from '../../train/trainer.ts';
import { CommandError, UsageError, numberFlag, parseFlags, type CommandSpec } from '../usage.ts';

const d = DEFAULT_SETTINGS;

const USAGE = `animated-transformer train --data FILE [options]

  Trains a GPT on a text file: the first 90% of its characters for training, the
  last 10% for validation. The model with the best validation loss is saved in
  --out as config.json + model.safetensors + animated-transformer.json.

  --data FILE          the training text (UTF-8)
  --tokenizer KIND     gpt2 (GPT-2's 50,257 tokens) or char (the text's characters; default)
  --out DIR            where the model and the resume state go (default: out/model)
  --n-layer N          Transformer blocks (default ${d.nLayer})
  --n-head N           attention heads per block (default ${d.nHead})
  --n-embd N           width, divisible by --n-head (default ${d.nEmbd})
  --block-size N       context length (default ${d.blockSize})
  --batch-size N       sequences per step (default ${d.batchSize})
  --max-iters N        optimiser steps (default ${d.maxIters})
  --lr X               peak learning rate (default ${d.lr})
  --min-lr X           learning rate at the end of the cosine decay (default ${d.minLr})
  --warmup-iters N     steps of linear warmup (default ${d.warmupIters}, at most --max-iters)
  --weight-decay X     AdamW weight decay on matrices and embeddings (default ${d.weightDecay})
  --grad-clip X        clip the gradient norm to X, 0 for none (default ${d.gradClip})
  --dropout P          dropout probability while training (default ${d.dropout})
  --label-smoothing E  train towards the next token with weight 1-E and every token of the
                       vocabulary evenly with E (default ${d.labelSmoothing}); losses shown
                       are plain cross-entropy
  --eval-interval N    evaluate and keep the best model every N steps (default ${d.evalInterval})
  --eval-iters N       batches per split in each evaluation (default ${d.evalIters})
  --seed N             seed of initialisation, batches and dropout (default ${d.seed})
  --dtype F32|F16      how the saved weights are stored (default F32)
  --snapshots STEPS    also keep the model after each of these steps, e.g. 0,50,100,500
                       (0 is the random start), as model folders --out/snapshots/step-NNNNNN
                       in the shared-row layout (each distinct embedding row stored once)
  --resume             continue the run saved in --out (same data; its settings are kept)

  --out also receives training-log.json: the loss of every step, each evaluation's train
  and validation loss, and the snapshots' folders (docs/ARCHITECTURE.md, "The training log").

  Ctrl-C saves the training state and stops; --resume continues exactly from there.`;

/** Flags that define the run; with --resume they come from the saved state instead. */
const RUN_FLAGS: [string, keyof TrainSettings, { min?: number; max?: number; integer?: boolean }][] = [
  ['n-layer', 'nLayer', { min: 1, max: 64, integer: true }],
  ['n-head', 'nHead', { min: 1, max: 64, integer: true }],
  ['n-embd', 'nEmbd', { min: 1, max: 4096, integer: true }],
  ['block-size', 'blockSize', { min: 1, max: 4096, integer: true }],
  ['batch-size', 'batchSize', { min: 1, max: 4096, integer: true }],
  ['max-iters', 'maxIters', { min: 0, integer: true }],
  ['lr', 'lr', { min: 0 }],
  ['min-lr', 'minLr', { min: 0 }],
  ['warmup-iters', 'warmupIters', { min: 0, integer: true }],
  ['weight-decay', 'weightDecay', { min: 0 }],
  ['grad-clip', 'gradClip', { min: 0 }],
  ['dropout', 'dropout', { min: 0, max: 0.99 }],
  ['label-smoothing', 'labelSmoothing', { min: 0, max: 0.99 }],
  ['eval-interval', 'evalInterval', { min: 1, integer: true }],
  ['eval-iters', 'evalIters', { min: 1, integer: true }],
  ['seed', 'seed', { min: 0, max: 4294967295, integer: true }],
];

/** Reads a text file for training or evaluation, with a clear message for each way it can fail. */
export async function readTextFile(path: string): Promise<string> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new CommandError(`${path}: no such file; --data needs a UTF-8 text file`);
  if (!info.isFile()) throw new CommandError(`${path}: is not a file; --data needs a UTF-8 text file`);
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new CommandError(`${path}: cannot be read (${e.code ?? e.message})`);
  });
  if (text.trim() === '') throw new CommandError(`${path}: the file is empty; give it some text to learn from`);
  return text;
}

/** Splits and tokenizes; tokenizer errors become one-line failures. */
export function tokenizeSplit(text: string, tokenizer: Tokenizer, path: string): Split {
  try {
    return splitText(text, (s) => tokenizer.encode(s));
  } catch (e) {
    if (e instanceof TokenizerError) throw new CommandError(`${path}: ${e.message}`);
    throw e;
  }
}

function settingsFromFlags(values: Record<string, string | boolean | undefined>): TrainSettings {
  const s: TrainSettings = { ...DEFAULT_SETTINGS };
  for (const [flag, key, check] of RUN_FLAGS) {
    s[key] = numberFlag(values[flag] as string | undefined, `--${flag}`, s[key], check);
  }
  if (s.nEmbd % s.nHead !== 0) throw new UsageError(`--n-embd (${s.nEmbd}) must be divisible by --n-head (${s.nHead})`);
  if (s.minLr > s.lr) throw new UsageError(`--min-lr (${s.minLr}) is larger than --lr (${s.lr}); the decay ends below the peak`);
  // The default warmup shrinks for short runs; an explicit one longer than the run is a mistake.
  if (values['warmup-iters'] === undefined) s.warmupIters = Math.min(s.warmupIters, s.maxIters);
  if (s.warmupIters > s.maxIters) throw new UsageError(`--warmup-iters (${s.warmupIters}) is longer than --max-iters (${s.maxIters})`);
  return s;
}

/** "0,50,100" → [0, 50, 100]: whole steps from 0 to maxIters, in any order (kept ascending, once each). */
function parseSnapshots(value: string, maxIters: number): number[] {
  const parts = value.split(',').map((p) => p.trim());
  for (const p of parts) {
    if (!/^\d+$/.test(p) || Number(p) > maxIters) {
      throw new UsageError(`--snapshots takes whole steps from 0 to --max-iters (${maxIters}) separated by commas, e.g. 0,50,100; got "${p}" in "${value}"`);
    }
  }
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

/** How a run's saved model is stored (F16 if any tensor is), or F32 when it has none yet. */
async function savedDtype(outDir: string): Promise<'F32' | 'F16'> {
  const bytes = await readFile(join(outDir, WEIGHTS_FILE)).catch(() => null);
  if (!bytes) return 'F32';
  const file = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), join(outDir, WEIGHTS_FILE));
  return [...file.entries.values()].some((e) => e.dtype === 'F16') ? 'F16' : 'F32';
}

function checkDataFits(split: Split, s: TrainSettings, path: string): void {
  const need = s.blockSize + 1;
  for (const [name, ids] of [['training', split.train], ['validation', split.val]] as const) {
    if (ids.length < need) {
      throw new CommandError(
        `${path}: the ${name} split has ${ids.length} tokens but one sequence needs ${need} (--block-size ${s.blockSize} + 1); ` +
          `use a longer text or a smaller --block-size`,
      );
    }
  }
}

export const trainCommand: CommandSpec = {
  name: 'train',
  summary: 'train a small GPT on a text file',
  usage: USAGE,

  async run(args) {
    const options: Record<string, { type: 'string' | 'boolean' }> = {
      data: { type: 'string' },
      tokenizer: { type: 'string' },
      out: { type: 'string' },
      dtype: { type: 'string' },
      snapshots: { type: 'string' },
      resume: { type: 'boolean' },
    };
    for (const [flag] of RUN_FLAGS) options[flag] = { type: 'string' };
    const { values, positionals } = parseFlags(args, options, false);
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const dataPath = values.data as string | undefined;
    if (!dataPath) throw new UsageError('--data FILE is required');
    const kind = (values.tokenizer as string | undefined) ?? 'char';
    if (kind !== 'gpt2' && kind !== 'char') throw new UsageError(`--tokenizer must be gpt2 or char, got "${kind}"`);
    const dtypeFlag = ((values.dtype as string | undefined) ?? 'F32').toUpperCase();
    if (dtypeFlag !== 'F32' && dtypeFlag !== 'F16') throw new UsageError(`--dtype must be F32 or F16, got "${values.dtype}"`);
    let dtype: 'F32' | 'F16' = dtypeFlag;
    const outDir = (values.out as string | undefined) ?? join('out', 'model');
    const resume = values.resume === true;

    let settings: TrainSettings;
    let state: Awaited<ReturnType<typeof loadState>> | null = null;
    let tokenizer: Tokenizer;
    let snapshots: number[];
    const text = await readTextFile(dataPath);
    if (resume) {
      const given = [...RUN_FLAGS.map(([flag]) => flag), 'tokenizer', 'snapshots', 'dtype'].filter((flag) => values[flag] !== undefined).map((flag) => `--${flag}`);
      if (given.length > 0) throw new UsageError(`--resume continues the saved run with its own settings; drop ${given.join(', ')}`);
      state = await loadState(join(outDir, RESUME_FILE)).catch((e) => {
        throw e instanceof ResumeError ? new CommandError(e.message) : e;
      });
      // A state saved before label smoothing existed trained without it.
      settings = { ...state.header.settings, labelSmoothing: state.header.settings.labelSmoothing ?? 0 };
      tokenizer = loadTokenizer(state.header.tokenizer);
      snapshots = state.header.snapshots;
      // A state saved before the dtype was kept: the run's saved model says how it was stored.
      dtype = state.header.dtype ?? (await savedDtype(outDir));
    } else {
      settings = settingsFromFlags(values);
      tokenizer = kind === 'gpt2' ? gpt2Tokenizer() : CharTokenizer.fromText(text);
      snapshots = values.snapshots === undefined ? [] : parseSnapshots(values.snapshots as string, settings.maxIters);
    }

    const split = tokenizeSplit(text, tokenizer, dataPath);
    checkDataFits(split, settings, dataPath);
    const fingerprint = dataFingerprint(split.train, split.val);
    if (state && state.header.dataFingerprint !== fingerprint) {
      throw new CommandError(`${dataPath}: this is not the text the saved run was trained on; --resume needs the same --data file`);
    }
    const trainer = new Trainer(settings, { train: split.train, val: split.val, vocabSize: tokenizer.vocabSize }, nodeTrainingKernels());
    if (state) restoreTrainer(trainer, state);

    const err = process.stderr;
    const live = err.isTTY === true;
    err.write(
      `training on ${dataPath}: ${split.train.length} train / ${split.val.length} val tokens (${tokenizer.kind}), ` +
        `${settings.nLayer} layers, ${settings.nHead} heads, width ${settings.nEmbd}, context ${settings.blockSize}, ` +
        `batch ${settings.batchSize}, ${trainer.model.params.length} trained parameters${trainer.vocab.shared ? ` (${trainer.vocab.shared} tokens absent from the training text share one row)` : ''}\n`,
    );
    let stop = false;
    const onSigint = () => {
      // A second Ctrl-C quits at once; files are written by rename, so none is left half-written.
      if (stop) process.exit(130);
      stop = true;
      err.write(`${live ? '\n' : ''}stopping after this step (Ctrl-C again to quit without saving)\n`);
    };
    process.on('SIGINT', onSigint);
    try {
      const result = await runTraining(trainer, {
        outDir,
        tokenizer,
        fingerprint,
        dtype,
        snapshots,
        live,
        stopRequested: () => stop,
        report: (line, transient) => err.write(transient ? `\r${line}\x1b[K` : `${live ? '\r\x1b[K' : ''}${line}\n`),
      });
      if (live) err.write('\n');
      const best = Number.isFinite(trainer.bestVal) ? `best val loss ${trainer.bestVal.toFixed(4)} at step ${trainer.bestIter}, ` : '';
      err.write(`${result.stopped ? 'stopped' : 'done'}: ${result.steps} steps in ${result.seconds.toFixed(1)} s; ${best}model in ${outDir}\n`);
      err.write(`training log (loss per step, evaluations, snapshots): ${join(outDir, TRAINING_LOG_FILE)}\n`);
      const kept = snapshots.filter((step) => step <= trainer.iter);
      if (kept.length > 0) {
        err.write(`snapshots (model folders for --model) at steps ${kept.join(', ')}: ${join(outDir, SNAPSHOTS_DIR)}/step-NNNNNN\n`);
      }
      return 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
