// Training text → token ids, split like nanoGPT (the first 90% of the characters for training,
// the last 10% for validation, each tokenized on its own), and random batches drawn from them.

import type { Rng } from './rng.ts';

export interface Split {
  train: Int32Array;
  val: Int32Array;
  trainChars: number;
  valChars: number;
}

/** Splits by characters (code units, as Python's len() on this ASCII text), then tokenizes. */
export function splitText(text: string, encode: (s: string) => number[], trainFraction = 0.9): Split {
  const cut = Math.floor(text.length * trainFraction);
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
