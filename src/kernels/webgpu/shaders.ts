// The WGSL compute shader for a product with a weight matrix kept on the GPU: out = a · W (+ bias),
// W stored K × N (GPT-2's Conv1D layout) or N × K (the embedding table, read transposed), as
// 32-bit floats or as 16-bit halves widened as they are read. One shader text per combination.

/** How a weight is stored: 'KN' rows are inputs (matmul), 'NK' rows are outputs (matmulTransposed). */
export type Layout = 'KN' | 'NK';

/**
 * Output columns one workgroup computes, and the depth of each step along K. Its rows, TILE_M, are
 * 64, or 16 or 4 for products of few rows (a short prompt, or one token while generating), so
 * that few invocations compute rows that are not there.
 */
export const TILE_N = 64;
const TILE_K = 16;
export type TileRows = 4 | 16 | 64;

/** The smallest tile height that covers M rows, up to 64. */
export function tileRows(M: number): TileRows {
  return M <= 4 ? 4 : M <= 16 ? 16 : 64;
}

/** Bits of Dims.flags. */
export const ADD_BIAS = 1;
export const ACCUMULATE = 2;

/** Bytes of one Dims record in the uniform buffer (each dispatch's record starts on a 256-byte boundary). */
export const DIMS_BYTES = 32;

/**
 * One workgroup of 16 × TILE_M / 4 invocations computes a TILE_M × 64 tile of out, each
 * invocation 4 × 4 of it. Every output starts from its bias (or from what an earlier piece of W left in out) and
 * adds its K products in order, k = 0, 1, …, as the plain kernels do; only the hardware's
 * rounding (and whether it fuses a multiply with the add) can make it differ from them.
 *
 * A weight larger than one binding is cut into pieces of whole stored rows (pieces.ts): a 'KN'
 * piece holds rows k0…kEnd−1, so later pieces add onto out (ACCUMULATE); an 'NK' piece holds
 * rows n0…nEnd−1 and writes those columns of out.
 */
export function productShader(layout: Layout, half: boolean, rows: TileRows): string {
  const TILE_M = rows;
  const groupRows = TILE_M / 4;
  const invocations = 16 * groupRows;
  const weightType = half ? 'u32' : 'f32';
  // Element e of this piece, row-major as stored; halves come two to a 32-bit word.
  const element = half
    ? `let pair = unpack2x16float(w[e >> 1u]);
  return select(pair.x, pair.y, (e & 1u) == 1u);`
    : 'return w[e];';
  const index = layout === 'KN' ? '(k - dims.k0) * dims.N + n' : '(n - dims.n0) * dims.K + k';
  // Which of a tile's 1024 weights an invocation loads in its turn: neighbours along the stored
  // row, so that neighbouring invocations read neighbouring memory.
  const weightSlot =
    layout === 'KN'
      ? `let kk = slot / ${TILE_N}u; let nn = slot % ${TILE_N}u;`
      : `let nn = slot / ${TILE_K}u; let kk = slot % ${TILE_K}u;`;
  return /* wgsl */ `
struct Dims {
  M: u32,       // rows of a and out
  K: u32,       // columns of a
  N: u32,       // columns of out
  k0: u32,      // this piece's inputs: k0 … kEnd − 1
  kEnd: u32,
  n0: u32,      // this piece's outputs: n0 … nEnd − 1
  nEnd: u32,
  flags: u32,   // ${ADD_BIAS}: start from the bias; ${ACCUMULATE}: start from out
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;             // M × K
@group(0) @binding(2) var<storage, read> w: array<${weightType}>;   // this piece of W, as stored
@group(0) @binding(3) var<storage, read> bias: array<f32>;          // N (one placeholder without a bias)
@group(0) @binding(4) var<storage, read_write> out: array<f32>;     // M × N

// Tiles in vec4s of neighbouring rows (a) or columns (w), so each step of the inner loop is
// four vector multiply-adds: aTile[k · TILE_M / 4 + r] holds rows 4r … 4r + 3 of column k.
var<workgroup> aTile: array<vec4f, ${(TILE_K * TILE_M) / 4}>;   // [k][m / 4]
var<workgroup> wTile: array<vec4f, ${(TILE_K * TILE_N) / 4}>;   // [k][n / 4]

fn weight(k: u32, n: u32) -> f32 {
  let e = ${index};
  ${element}
}

/** What output (m, n…n + 3) starts from: the bias, what earlier pieces left in out, or 0. */
fn start(m: u32, n: u32) -> vec4f {
  var v = vec4f(0.0);
  for (var j = 0u; j < 4u; j++) {
    if (m < dims.M && n + j < dims.nEnd) {
      if ((dims.flags & ${ACCUMULATE}u) != 0u) {
        v[j] = out[m * dims.N + n + j];
      } else if ((dims.flags & ${ADD_BIAS}u) != 0u) {
        v[j] = bias[n + j];
      }
    }
  }
  return v;
}

fn finish(m: u32, n: u32, v: vec4f) {
  for (var j = 0u; j < 4u; j++) {
    if (m < dims.M && n + j < dims.nEnd) {
      out[m * dims.N + n + j] = v[j];
    }
  }
}

@compute @workgroup_size(16, ${groupRows})
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let m0 = group.y * ${TILE_M}u;
  let nStart = dims.n0 + group.x * ${TILE_N}u;
  let me = local.y * 16u + local.x;
  // This invocation's outputs: rows m … m + 3, columns n … n + 3, one vec4 of columns per row.
  let m = m0 + local.y * 4u;
  let n = nStart + local.x * 4u;
  var acc0 = start(m, n);
  var acc1 = start(m + 1u, n);
  var acc2 = start(m + 2u, n);
  var acc3 = start(m + 3u, n);

  for (var kt = dims.k0; kt < dims.kEnd; kt += ${TILE_K}u) {
    // a's tile: 16 × TILE_M numbers, 4 per invocation; neighbours along a row of a.
    for (var turn = 0u; turn < 4u; turn++) {
      let slot = me + turn * ${invocations}u;
      let mm = slot / ${TILE_K}u;
      let ka = slot % ${TILE_K}u;
      var av = 0.0;
      if (m0 + mm < dims.M && kt + ka < dims.kEnd) {
        av = a[(m0 + mm) * dims.K + kt + ka];
      }
      aTile[ka * ${TILE_M / 4}u + mm / 4u][mm % 4u] = av;
    }
    // W's tile: 16 × 64 numbers, 64 / (TILE_M / 4) per invocation.
    for (var turn = 0u; turn < ${1024 / invocations}u; turn++) {
      let slot = me + turn * ${invocations}u;
      ${weightSlot}
      var wv = 0.0;
      if (nStart + nn < dims.nEnd && kt + kk < dims.kEnd) {
        wv = weight(kt + kk, nStart + nn);
      }
      wTile[kk * ${TILE_N / 4}u + nn / 4u][nn % 4u] = wv;
    }
    workgroupBarrier();
    let steps = min(${TILE_K}u, dims.kEnd - kt);
    for (var kk = 0u; kk < steps; kk++) {
      let av = aTile[kk * ${TILE_M / 4}u + local.y];
      let wv = wTile[kk * ${TILE_N / 4}u + local.x];
      acc0 += av.x * wv;
      acc1 += av.y * wv;
      acc2 += av.z * wv;
      acc3 += av.w * wv;
    }
    workgroupBarrier();
  }

  finish(m, n, acc0);
  finish(m + 1u, n, acc1);
  finish(m + 2u, n, acc2);
  finish(m + 3u, n, acc3);
}
`;
}
