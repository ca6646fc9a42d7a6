// Training text → token ids, split like nanoGPT (the first 90% of the characters for training,
// the last 10% for validation, each tokenized on its own), and random batches drawn from them.

import type { Rng } from './rng.ts';

export interface Split {
  train: Int32Array;
  val: Int32Array;
  trainChars: number;
  valChars: number;
}

/** The share of a text that is trained on; the rest is the validation split. */
export const TRAIN_FRACTION = 0.9;

/**
 * Where splitText cuts: after the first `trainFraction` of the code units (as Python's len() on
 * an ASCII text), moved one on rather than between the two halves of a surrogate pair.
 */
export function splitPoint(text: string, trainFraction = TRAIN_FRACTION): number {
  const cut = Math.floor(text.length * trainFraction);
  const high = text.charCodeAt(cut - 1);
  return high >= 0xd800 && high <= 0xdbff ? cut + 1 : cut;
}

/** Splits by characters (see splitPoint), then tokenizes. */
export function splitText(text: string, encode: (s: string) => number[], trainFraction = TRAIN_FRACTION): Split {
  const cut = splitPoint(text, trainFraction);
  return {
    train: Int32Array.from(encode(text.slice(0, cut))),
    val: Int32Array.from(encode(text.slice(cut))),
    trainChars: cut,
    valChars: text.length - cut,
  };
}

/**
 * B windows of T+1 consecutive ids at random starts: inputs are the first T, targets the same
 * window shifted by one. Needs data.length > T.
 */
export function randomBatch(data: Int32Array, B: number, T: number, rng: Rng, inputs: Int32Array, targets: Int32Array): void {
  const starts = data.length - T;
  for (let b = 0; b < B; b++) {
    const s = rng.int(starts);
    inputs.set(data.subarray(s, s + T), b * T);
    targets.set(data.subarray(s + 1, s + T + 1), b * T);
  }
}
