// A compressed output vocabulary that makes training over GPT-2's 50,257 tokens affordable, with
// the same result as training over all of them.
//
// Why it is exact: a token that never occurs in the training text is never an input and never
// a target, so the only gradient its embedding row receives is p(token)·h from the softmax.
// If all such rows start equal (we initialise them to one shared random vector), their logits
// are equal, so their probabilities, gradients, Adam moments and updates are equal at every
// step: they stay identical forever. We therefore store them once, as the last row of the
// compact table, and count that row `shared` times in the softmax (layers.ts) and in the
// gradient norm (model.ts). Expanding the compact table back gives the full V×C table.

export interface VocabMap {
  /** The tokenizer's vocabulary size V (50,257 for GPT-2). */
  readonly fullSize: number;
  /** Full id → compact id (tokens absent from the training text → the shared last row). */
  readonly toCompact: Int32Array;
  /** Compact id → a full id (for the shared row: the first absent token). */
  readonly fromCompact: Int32Array;
  /** How many full-vocabulary tokens the last compact row stands for; 0 when none. */
  readonly shared: number;
}

/** No compression: compact ids are the full ids. */
function identityVocab(size: number): VocabMap {
  const ids = new Int32Array(size);
  for (let i = 0; i < size; i++) ids[i] = i;
  return { fullSize: size, toCompact: ids, fromCompact: ids.slice(), shared: 0 };
}

/** Keeps every token that occurs in `trainIds`; all the others share one row. */
export function compactVocab(trainIds: Int32Array, size: number): VocabMap {
  const seen = new Uint8Array(size);
  for (const id of trainIds) seen[id] = 1;
  let count = 0;
  for (let i = 0; i < size; i++) count += seen[i];
  if (count === size) return identityVocab(size);
  const fromCompact = new Int32Array(count + 1);
  const toCompact = new Int32Array(size).fill(count);
  let c = 0;
  let firstAbsent = -1;
  for (let i = 0; i < size; i++) {
    if (seen[i]) {
      toCompact[i] = c;
      fromCompact[c++] = i;
    } else if (firstAbsent < 0) {
      firstAbsent = i;
    }
  }
  fromCompact[count] = firstAbsent;
  return { fullSize: size, toCompact, fromCompact, shared: size - count };
}

/** Full ids → compact ids. */
export function toCompactIds(map: VocabMap, ids: Int32Array): Int32Array {
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = map.toCompact[ids[i]];
  return out;
}

/** compact: Vc×C → full: V×C, every absent token getting a copy of the shared row. */
export function expandTable(map: VocabMap, compact: Float32Array, C: number): Float32Array {
  const full = new Float32Array(map.fullSize * C);
  for (let i = 0; i < map.fullSize; i++) {
    const c = map.toCompact[i];
    full.set(compact.subarray(c * C, (c + 1) * C), i * C);
  }
  return full;
}

/** full: V×C → compact: Vc×C (the shared row is taken from the first absent token). */
export function compactTable(map: VocabMap, full: Float32Array, C: number): Float32Array {
  const compact = new Float32Array(map.fromCompact.length * C);
  for (let c = 0; c < map.fromCompact.length; c++) {
    const i = map.fromCompact[c];
    compact.set(full.subarray(i * C, (i + 1) * C), c * C);
  }
  return compact;
}

/**
 * For evaluating a saved model: if several rows of its (tied) V×C table are bit-for-bit equal,
 * as in models this trainer wrote, they give equal logits, so the largest such group can be
 * computed once as the shared row. A table without repeats gives identityVocab.
 */
export function vocabFromIdenticalRows(table: Float32Array, V: number, C: number): VocabMap {
  const bytes = new Uint8Array(table.buffer, table.byteOffset, V * C * 4);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < V; i++) {
    const key = Buffer.from(bytes.subarray(i * C * 4, (i + 1) * C * 4)).toString('latin1');
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  }
  let largest: number[] = [];
  for (const g of groups.values()) if (g.length > largest.length) largest = g;
  if (largest.length < 2) return identityVocab(V);
  const inShared = new Uint8Array(V);
  for (const i of largest) inShared[i] = 1;
  const kept = V - largest.length;
  const toCompact = new Int32Array(V).fill(kept);
  const fromCompact = new Int32Array(kept + 1);
  let c = 0;
  for (let i = 0; i < V; i++) {
    if (!inShared[i]) {
      toCompact[i] = c;
      fromCompact[c++] = i;
    }
  }
  fromCompact[kept] = largest[0];
  return { fullSize: V, toCompact, fromCompact, shared: largest.length };
}
