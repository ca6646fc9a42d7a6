// The resume file: everything a run needs to continue exactly where it stopped, in one file
// written under a temporary name and renamed into place (so a crash leaves the old one whole).
// Layout: "ATTRAIN1", a little-endian u32 byte length, that many bytes of JSON (settings,
// counters and random states, a fingerprint of the data), zero padding to a multiple of 4,
// then the parameters, Adam's first moments and second moments as little-endian float32.

import { readFile } from 'node:fs/promises';
import { writeAtomically } from '../model/checkpoint-node.ts';
import type { TokenizerDescription } from '../tokenizer/index.ts';
import type { Trainer, TrainerCounters, TrainSettings } from './trainer.ts';

const MAGIC = 'ATTRAIN1';
export const RESUME_FILE = 'training-state.bin';

export class ResumeError extends Error {
  override name = 'ResumeError';
}

/** What a run keeps besides the trainer: how its text was read, and which steps it keeps as snapshots. */
export interface RunRecord {
  tokenizer: TokenizerDescription;
  /** dataFingerprint() of the run's data. */
  dataFingerprint: string;
  /** The steps whose weights are kept as snapshot folders (train --snapshots), ascending. */
  snapshots: number[];
  /** How the saved weights are stored (train --dtype); absent in states saved before it was kept. */
  dtype?: 'F32' | 'F16';
}

interface StateHeader extends RunRecord {
  settings: TrainSettings;
  counters: Omit<TrainerCounters, 'bestVal'> & { bestVal: number | null };
  parameterCount: number;
}

/** FNV-1a over both splits' ids: tells whether --resume is given the same data. */
export function dataFingerprint(train: Int32Array, val: Int32Array): string {
  let h = 0x811c9dc5;
  for (const ids of [train, val]) {
    for (let i = 0; i < ids.length; i++) {
      h ^= ids[i] & 0xffff;
      h = Math.imul(h, 0x01000193);
      h ^= ids[i] >>> 16;
      h = Math.imul(h, 0x01000193);
    }
  }
  return `${train.length}/${val.length}/${(h >>> 0).toString(16)}`;
}

export async function saveState(path: string, trainer: Trainer, run: RunRecord): Promise<void> {
  const c = trainer.counters();
  const header: StateHeader = {
    ...run,
    settings: trainer.settings,
    counters: { ...c, bestVal: Number.isFinite(c.bestVal) ? c.bestVal : null },
    parameterCount: trainer.model.params.length,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headLen = 8 + 4 + json.length;
  const pad = (4 - (headLen % 4)) % 4;
  const n = trainer.model.params.length;
  const bytes = new Uint8Array(headLen + pad + 3 * n * 4);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(8, json.length, true);
  bytes.set(json, 12);
  const floats = new Float32Array(bytes.buffer, headLen + pad, 3 * n);
  floats.set(trainer.model.params, 0);
  floats.set(trainer.optimizer.m, n);
  floats.set(trainer.optimizer.v, 2 * n);
  await writeAtomically(path, bytes, (message) => new ResumeError(message));
}

export interface LoadedState {
  header: StateHeader;
  /** Parameters, then m, then v (3 × parameterCount floats). */
  floats: Float32Array;
}

export async function loadState(path: string): Promise<LoadedState> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ResumeError(`${path}: no training state to resume from; start without --resume first`);
    throw new ResumeError(`${path}: cannot be read (${code ?? (e as Error).message})`);
  }
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (why: string) => new ResumeError(`${path}: not a usable training state (${why}); start the run again without --resume`);
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw bad('wrong header');
  const jsonLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + jsonLen > bytes.length) throw bad('truncated');
  let header: StateHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLen))) as StateHeader;
  } catch {
    throw bad('unreadable settings');
  }
  // A state from before the per-step log and snapshots could not continue either without gaps.
  if (!Array.isArray(header.counters?.losses) || header.counters.losses.length !== header.counters.iter || !Array.isArray(header.snapshots)) {
    throw bad('written by an older version, without the per-step log');
  }
  const headLen = 12 + jsonLen;
  const start = headLen + ((4 - (headLen % 4)) % 4);
  const n = header.parameterCount;
  if (bytes.length !== start + 3 * n * 4) throw bad('truncated');
  // Copy into an aligned buffer of our own.
  const floats = new Float32Array(3 * n);
  new Uint8Array(floats.buffer).set(bytes.subarray(start));
  return { header, floats };
}

/** Puts a loaded state into a trainer built with the same settings and data. */
export function restoreTrainer(trainer: Trainer, state: LoadedState): void {
  const n = trainer.model.params.length;
  if (n !== state.header.parameterCount) throw new ResumeError('the saved state has a different number of parameters');
  trainer.model.params.set(state.floats.subarray(0, n));
  trainer.optimizer.m.set(state.floats.subarray(n, 2 * n));
  trainer.optimizer.v.set(state.floats.subarray(2 * n, 3 * n));
  const c = state.header.counters;
  trainer.restoreCounters({ ...c, bestVal: c.bestVal ?? Infinity });
}
