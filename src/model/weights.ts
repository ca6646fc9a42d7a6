// The model's parameters, named like GPT-2's checkpoint keys so loading is name matching.
// Linear weights are in GPT-2's Conv1D layout [in, out]; embeddings are [rows, C]. For
// inference the large matrices may be held by the kernels (HeldMatrix) instead of arrays.

import type { GPTConfig } from './config.ts';
import { HalfArray } from '../kernels/half.ts';
import { HeldMatrix, type WeightMatrix } from '../kernels/held.ts';

export interface LayerNormWeights {
  weight: Float32Array; // C
  bias: Float32Array; // C
}

interface LinearWeights<Matrix extends WeightMatrix = Float32Array> {
  weight: Matrix; // in × out
  bias: Float32Array; // out
}

interface BlockWeights<Matrix extends WeightMatrix = Float32Array> {
  ln_1: LayerNormWeights;
  attn: { c_attn: LinearWeights<Matrix> /* C × 3C */; c_proj: LinearWeights<Matrix> /* C × C */ };
  ln_2: LayerNormWeights;
  mlp: { c_fc: LinearWeights<Matrix> /* C × 4C */; c_proj: LinearWeights<Matrix> /* 4C × C */ };
}

/**
 * Token embeddings in which tokens may share a row: `rows` holds each distinct row once (U × C)
 * and token v's row is rows[rowOf[v]]. Our built-in model was trained with one row for all the
 * tokens Tiny Shakespeare never uses (39,023 of GPT-2's 50,257), so the page ships its table as
 * 11,235 rows, and the output head scores each distinct row once.
 */
export class SharedRowTable<Rows extends Float32Array | HalfArray = Float32Array | HalfArray> {
  constructor(
    readonly rows: Rows, // U × C
    readonly rowOf: Int32Array, // V
    readonly width: number, // C
  ) {}

  /** U, the number of distinct rows. */
  get distinctRows(): number {
    return this.rows.length / this.width;
  }

  /** The V × C table this stands for, written out. */
  expand(): Float32Array {
    const out = new Float32Array(this.rowOf.length * this.width);
    for (let v = 0; v < this.rowOf.length; v++) embeddingRow(this, v, this.width, out, v * this.width);
    return out;
  }
}

/**
 * The V × C token embeddings: floats; or, for inference, the half-precision numbers an F16
 * checkpoint stores (most of a small model's weights, so not widened to twice their size); or
 * either with rows shared between tokens; or held by the kernels (as the tied output head).
 */
export type EmbeddingTable = Float32Array | HalfArray | SharedRowTable | HeldMatrix;

/**
 * The most tokens that share one row of the token embeddings (1 when every row is its own):
 * 39,023 for the built-in model, whose training text never used those tokens. Rows are compared
 * bit for bit, so a model's logits for these tokens are exactly equal.
 */
export function tokensSharingRow(table: EmbeddingTable, C: number): number {
  if (table instanceof SharedRowTable) {
    const counts = new Int32Array(table.distinctRows);
    for (const row of table.rowOf) counts[row]++;
    return Math.max(1, ...counts);
  }
  // Rows are read one at a time (the table may be halves, or held by the kernels), grouped by a
  // hash of their bits, then compared in full within a group.
  const V = table.length / C;
  const row = new Float32Array(C);
  const bits = new Uint32Array(row.buffer);
  const other = new Float32Array(C);
  const otherBits = new Uint32Array(other.buffer);
  const groups = new Map<number, { first: number; count: number }[]>();
  let most = V > 0 ? 1 : 0;
  for (let v = 0; v < V; v++) {
    embeddingRow(table, v, C, row, 0);
    let hash = 2166136261;
    for (let i = 0; i < C; i++) hash = Math.imul(hash ^ bits[i], 16777619);
    let group = groups.get(hash);
    if (!group) groups.set(hash, (group = []));
    const same = group.find((g) => {
      embeddingRow(table, g.first, C, other, 0);
      return otherBits.every((b, i) => b === bits[i]);
    });
    if (same) most = Math.max(most, ++same.count);
    else group.push({ first: v, count: 1 });
  }
  return most;
}

/** Writes token `id`'s embedding (C numbers) into `out` at `at`. */
export function embeddingRow(table: EmbeddingTable, id: number, C: number, out: Float32Array, at: number): void {
  if (table instanceof SharedRowTable) embeddingRow(table.rows, table.rowOf[id], C, out, at);
  else if (table instanceof HalfArray) table.widen(id * C, (id + 1) * C, out, at);
  else if (table instanceof HeldMatrix) table.row(id, out, at);
  else out.set(table.subarray(id * C, (id + 1) * C), at);
}

/** Matrix: how the blocks' linear weights and an untied head are held (arrays, or by the kernels). */
export interface GPTWeights<Table extends EmbeddingTable = Float32Array, Matrix extends WeightMatrix = Float32Array> {
  wte: Table; // V × C, token embeddings (and the output head when tied)
  wpe: Float32Array; // n_positions × C
  h: BlockWeights<Matrix>[];
  ln_f: LayerNormWeights;
  lm_head: Matrix | null; // V × C when not tied
}

/** Every parameter tensor: checkpoint key (without "transformer."), shape, and its array. */
export interface NamedParameter {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The checkpoint key and shape of every parameter, in GPT-2's order. */
export function parameterShapes(config: GPTConfig): { name: string; shape: number[] }[] {
  const { nEmbd: C, vocabSize: V, nPositions: P } = config;
  const shapes = [
    { name: 'wte.weight', shape: [V, C] },
    { name: 'wpe.weight', shape: [P, C] },
  ];
  for (let l = 0; l < config.nLayer; l++) {
    const h = `h.${l}`;
    shapes.push(
      { name: `${h}.ln_1.weight`, shape: [C] },
      { name: `${h}.ln_1.bias`, shape: [C] },
      { name: `${h}.attn.c_attn.weight`, shape: [C, 3 * C] },
      { name: `${h}.attn.c_attn.bias`, shape: [3 * C] },
      { name: `${h}.attn.c_proj.weight`, shape: [C, C] },
      { name: `${h}.attn.c_proj.bias`, shape: [C] },
      { name: `${h}.ln_2.weight`, shape: [C] },
      { name: `${h}.ln_2.bias`, shape: [C] },
      { name: `${h}.mlp.c_fc.weight`, shape: [C, 4 * C] },
      { name: `${h}.mlp.c_fc.bias`, shape: [4 * C] },
      { name: `${h}.mlp.c_proj.weight`, shape: [4 * C, C] },
      { name: `${h}.mlp.c_proj.bias`, shape: [C] },
    );
  }
  shapes.push({ name: 'ln_f.weight', shape: [C] }, { name: 'ln_f.bias', shape: [C] });
  if (!config.tieWordEmbeddings) shapes.push({ name: 'lm_head.weight', shape: [V, C] });
  return shapes;
}

/**
 * Builds GPTWeights from a lookup by checkpoint key (the caller has checked names and shapes).
 * `table` gives the token embeddings when they are held otherwise (as halves), and `matrix`
 * the linear weights and an untied head (held by the kernels); by default they are looked up
 * like the rest.
 */
export function weightsFromNamed(config: GPTConfig, get: (name: string) => Float32Array): GPTWeights;
export function weightsFromNamed<Table extends EmbeddingTable, Matrix extends WeightMatrix>(
  config: GPTConfig, get: (name: string) => Float32Array, table: Table, matrix: (name: string) => Matrix,
): GPTWeights<Table, Matrix>;
export function weightsFromNamed(
  config: GPTConfig, get: (name: string) => Float32Array, table?: EmbeddingTable, matrix: (name: string) => WeightMatrix = get,
): GPTWeights<EmbeddingTable, WeightMatrix> {
  const ln = (p: string): LayerNormWeights => ({ weight: get(`${p}.weight`), bias: get(`${p}.bias`) });
  const lin = (p: string): LinearWeights<WeightMatrix> => ({ weight: matrix(`${p}.weight`), bias: get(`${p}.bias`) });
  const h: BlockWeights<WeightMatrix>[] = [];
  for (let l = 0; l < config.nLayer; l++) {
    h.push({
      ln_1: ln(`h.${l}.ln_1`),
      attn: { c_attn: lin(`h.${l}.attn.c_attn`), c_proj: lin(`h.${l}.attn.c_proj`) },
      ln_2: ln(`h.${l}.ln_2`),
      mlp: { c_fc: lin(`h.${l}.mlp.c_fc`), c_proj: lin(`h.${l}.mlp.c_proj`) },
    });
  }
  return {
    wte: table ?? get('wte.weight'),
    wpe: get('wpe.weight'),
    h,
    ln_f: ln('ln_f'),
    lm_head: config.tieWordEmbeddings ? null : matrix('lm_head.weight'),
  };
}

/** The inverse of weightsFromNamed: every parameter with its checkpoint key, for saving. */
export function namedParameters(config: GPTConfig, w: GPTWeights): NamedParameter[] {
  const byName = new Map<string, Float32Array>();
  byName.set('wte.weight', w.wte);
  byName.set('wpe.weight', w.wpe);
  w.h.forEach((b, l) => {
    const h = `h.${l}`;
    byName.set(`${h}.ln_1.weight`, b.ln_1.weight);
    byName.set(`${h}.ln_1.bias`, b.ln_1.bias);
    byName.set(`${h}.attn.c_attn.weight`, b.attn.c_attn.weight);
    byName.set(`${h}.attn.c_attn.bias`, b.attn.c_attn.bias);
    byName.set(`${h}.attn.c_proj.weight`, b.attn.c_proj.weight);
    byName.set(`${h}.attn.c_proj.bias`, b.attn.c_proj.bias);
    byName.set(`${h}.ln_2.weight`, b.ln_2.weight);
    byName.set(`${h}.ln_2.bias`, b.ln_2.bias);
    byName.set(`${h}.mlp.c_fc.weight`, b.mlp.c_fc.weight);
    byName.set(`${h}.mlp.c_fc.bias`, b.mlp.c_fc.bias);
    byName.set(`${h}.mlp.c_proj.weight`, b.mlp.c_proj.weight);
    byName.set(`${h}.mlp.c_proj.bias`, b.mlp.c_proj.bias);
  });
  byName.set('ln_f.weight', w.ln_f.weight);
  byName.set('ln_f.bias', w.ln_f.bias);
  if (w.lm_head) byName.set('lm_head.weight', w.lm_head);
  return parameterShapes(config).map(({ name, shape }) => ({ name, shape, data: byName.get(name)! }));
}
