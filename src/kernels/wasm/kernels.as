// AssemblyScript source of the WebAssembly SIMD matrix kernels (compiled by build.mjs; the
// `.as` extension keeps TypeScript's checker away, since v128 and f32x4 are AssemblyScript types).
//
// Every product is computed against a *packed* right-hand matrix: its columns are cut into
// panels W = 8 wide, and each panel is stored as K consecutive rows of 8 floats, so the
// inner loop reads it front to back. The last panel is padded with zeros. Results go to
// an output whose rows are padded to a whole number of panels; the caller trims them.
// All pointers are byte addresses in linear memory; all sizes count floats.

const W: i32 = 8; // panel width: two f32x4 vectors

/**
 * acc + x·b. Built twice (see build.mjs): with relaxed SIMD this is one fused multiply-add
 * where the hardware has it, roughly doubling the product rate; otherwise a multiply and an add.
 */
@inline function madd(acc: v128, x: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(x, b, acc);
  return f32x4.add(acc, f32x4.mul(x, b));
}

/**
 * Packs rows k0 … k0 + rows − 1 of b[K×N] (GPT-2's Conv1D layout), given at src with rows `ld`
 * floats apart (so b may be some columns of a wider matrix, such as one head's values), into
 * their place in the panels [ceil(N/W)][K][W] at dst: as floats, or (half = 1) as the halves of
 * each value times 2^`shift`. A loader packs a few rows at a time: a whole panel at once would
 * stride through the entire matrix, a page of memory per row, which left GPT-2 XL's loading
 * waiting on address translation. Returns 1 if some value was too large for a half at that
 * scale (or not finite), else 0.
 */
export function packKNRows(dst: usize, src: usize, K: i32, N: i32, ld: i32, k0: i32, rows: i32, half: i32, shift: i32): i32 {
  const P = (N + W - 1) / W;
  const exponent = <u32>shift << 23;
  let largest = i32x4.splat(0);
  for (let p = 0; p < P; p++) {
    const j0 = p * W;
    const filled = min(W, N - j0); // columns of this panel inside b; the rest are zeros
    let s = src + <usize>j0 * 4;
    if (half) {
      let d = dst + (<usize>(p * K + k0) * W) * 2;
      for (let k = 0; k < rows; k++) {
        const a = filled == W ? v128.load(s) : panelPart(s, filled, 0);
        const b = filled == W ? v128.load(s, 16) : panelPart(s, filled, 4);
        largest = largerOf8(largest, a, b);
        v128.store(d, i16x8.narrow_i32x4_u(halvesOf4(a, exponent), halvesOf4(b, exponent)));
        d += W * 2;
        s += <usize>ld * 4;
      }
    } else {
      let d = dst + (<usize>(p * K + k0) * W) * 4;
      for (let k = 0; k < rows; k++) {
        v128.store(d, filled == W ? v128.load(s) : panelPart(s, filled, 0));
        v128.store(d, filled == W ? v128.load(s, 16) : panelPart(s, filled, 4), 16);
        d += W * 4;
        s += <usize>ld * 4;
      }
    }
  }
  return half ? overflowsHalf(largestLane(largest), exponent) : 0;
}

/**
 * The largest size among `count` floats at src, as its bits without the sign: a float's size
 * orders as those bits, and NaN's and infinity's lie above every finite float's, so one
 * comparison with a limit's bits tells whether every number is finite and within it.
 */
export function largestBits(src: usize, count: i32): i32 {
  let largest = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    largest = largerOf8(largest, v128.load(src + <usize>i * 4), v128.load(src + <usize>i * 4, 16));
  }
  let most = largestLane(largest);
  for (; i < count; i++) most = max(most, load<i32>(src + <usize>i * 4) & 0x7fffffff);
  return most;
}

/**
 * Sizes are compared as a float's bits without the sign, which order as its size; NaN's and
 * infinity's lie above every finite float's. The running largest, lane by lane, with eight more floats.
 */
@inline function largerOf8(largest: v128, a: v128, b: v128): v128 {
  const magnitude = i32x4.splat(0x7fffffff);
  return i32x4.max_u(largest, i32x4.max_u(v128.and(a, magnitude), v128.and(b, magnitude)));
}

/** The largest of four lanes. */
@inline function largestLane(v: v128): i32 {
  return max(max(i32x4.extract_lane(v, 0), i32x4.extract_lane(v, 1)), max(i32x4.extract_lane(v, 2), i32x4.extract_lane(v, 3)));
}

/** 1 if a float of the size `most` (as bits) is too large for a half at the scale `exponent` adds, else 0. */
@inline function overflowsHalf(most: i32, exponent: u32): i32 {
  return most >= <i32>(0x477ff000 - exponent) ? 1 : 0; // 65520, which rounds up to infinity
}

/** Four floats of a row's last, partial panel from column `from` on: those before `filled`, then zeros. */
function panelPart(s: usize, filled: i32, from: i32): v128 {
  let v = f32x4.splat(0);
  if (from + 0 < filled) v = f32x4.replace_lane(v, 0, load<f32>(s + <usize>(from + 0) * 4));
  if (from + 1 < filled) v = f32x4.replace_lane(v, 1, load<f32>(s + <usize>(from + 1) * 4));
  if (from + 2 < filled) v = f32x4.replace_lane(v, 2, load<f32>(s + <usize>(from + 2) * 4));
  if (from + 3 < filled) v = f32x4.replace_lane(v, 3, load<f32>(s + <usize>(from + 3) * 4));
  return v;
}

/**
 * Packs b[N×K] (e.g. the V×C embedding table, or one head's keys: rows `ld` floats apart) as
 * the panels of bᵀ [K×N].
 */
export function packNK(dst: usize, src: usize, K: i32, N: i32, ld: i32): void {
  const P = (N + W - 1) / W;
  for (let p = 0; p < P; p++) {
    const j0 = p * W;
    const d = dst + <usize>(p * K * W) * 4;
    for (let c = 0; c < W; c++) {
      const j = j0 + c;
      let dd = d + <usize>c * 4;
      if (j < N) {
        let s = src + <usize>(j * ld) * 4;
        for (let k = 0; k < K; k++) {
          store<f32>(dd, load<f32>(s));
          dd += 32;
          s += 4;
        }
      } else {
        for (let k = 0; k < K; k++) {
          store<f32>(dd, 0);
          dd += 32;
        }
      }
    }
  }
}

/**
 * packNK for a b[N×K] of half-precision bit patterns (an F16 embedding table kept as the
 * checkpoint stores it): panels [ceil(N/W)][K][W] of 16-bit patterns, each the half of its
 * value times 2^`shift` (exact unless it overflows). Returns 1 if some finite value
 * overflowed to infinity at that scale, else 0.
 */
export function packNKHalves(dst: usize, src: usize, K: i32, N: i32, shift: i32): i32 {
  let overflow = 0;
  const P = (N + W - 1) / W;
  for (let p = 0; p < P; p++) {
    const j0 = p * W;
    const d = dst + <usize>(p * K * W) * 2;
    for (let c = 0; c < W; c++) {
      const j = j0 + c;
      let dd = d + <usize>c * 2;
      if (j < N) {
        let s = src + <usize>(j * K) * 2;
        for (let k = 0; k < K; k++) {
          const h = <u32>load<u16>(s);
          const e = <i32>((h >> 10) & 0x1f);
          let scaled = <u16>h;
          if (shift != 0 && e < 31) {
            // A normal half's exponent moves up by `shift`; a subnormal one is normalized.
            if (e == 0 || e + shift >= 31) scaled = f32ToF16(f16ToF32(h), shift << 23);
            else scaled = <u16>(h + (<u32>shift << 10));
            if ((scaled & 0x7fff) == 0x7c00) overflow = 1;
          }
          store<u16>(dd, scaled);
          dd += 16;
          s += 2;
        }
      } else {
        for (let k = 0; k < K; k++) {
          store<u16>(dd, 0);
          dd += 16;
        }
      }
    }
  }
  return overflow;
}

/**
 * Converts a packed matrix to IEEE half precision (round to nearest, ties to even), for
 * weights kept compact: `count` floats at src, each times 2^`shift`, become `count` 16-bit
 * values at dst. Returns 1 if some value was too large for a half at that scale (or not
 * finite), else 0.
 */
export function toF16(dst: usize, src: usize, count: i32, shift: i32): i32 {
  const exponent = <u32>shift << 23;
  // Eight at a time (f32ToF16 in SIMD: GPT-2 XL narrows 1.5 billion floats as it loads), then the rest.
  let largest = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const a = v128.load(src + <usize>i * 4);
    const b = v128.load(src + <usize>i * 4, 16);
    largest = largerOf8(largest, a, b);
    v128.store(dst + <usize>i * 2, i16x8.narrow_i32x4_u(halvesOf4(a, exponent), halvesOf4(b, exponent)));
  }
  let most = largestLane(largest);
  for (; i < count; i++) {
    const x = load<f32>(src + <usize>i * 4);
    most = max(most, <i32>(reinterpret<u32>(x) & 0x7fffffff));
    store<u16>(dst + <usize>i * 2, f32ToF16(x, exponent));
  }
  return overflowsHalf(most, exponent);
}

/** f32ToF16 of four floats, each half in the low 16 bits of its lane. */
@inline function halvesOf4(x: v128, exponent: u32): v128 {
  const sign = v128.and(i32x4.shr_u(x, 16), i32x4.splat(0x8000));
  const mag = v128.and(x, i32x4.splat(0x7fffffff));
  // Normal halves: the exponent rebiased (and scaled), the mantissa rounded half to even.
  const rebiased = i32x4.sub(mag, i32x4.splat(0x38000000 - exponent));
  const normal = i32x4.shr_u(i32x4.add(i32x4.add(rebiased, i32x4.splat(0xfff)), v128.and(i32x4.shr_u(rebiased, 13), i32x4.splat(1))), 13);
  // Below the smallest normal half: a multiple of 2^-24, rounded half to even.
  const small = i32x4.trunc_sat_f32x4_u(f32x4.nearest(f32x4.mul(mag, f32x4.splat(reinterpret<f32>(0x4b800000 + exponent)))));
  let h = v128.bitselect(small, normal, i32x4.lt_s(mag, i32x4.splat(0x38800000 - exponent)));
  h = v128.bitselect(i32x4.splat(0x7c00), h, i32x4.ge_s(mag, i32x4.splat(0x47800000 - exponent))); // too big, ∞
  h = v128.bitselect(i32x4.splat(0x7e00), h, i32x4.gt_s(mag, i32x4.splat(0x7f800000))); // NaN
  return v128.or(h, sign);
}

/** Halves in place: each becomes the half of its value times 2^-`shift` (rounded where it must be). */
export function unscaleHalves(ptr: usize, count: i32, shift: i32): void {
  const factor = reinterpret<f32>(<u32>(127 - shift) << 23);
  for (let i = 0; i < count; i++) {
    const at = ptr + <usize>i * 2;
    store<u16>(at, f32ToF16(f16ToF32(<u32>load<u16>(at)) * factor, 0));
  }
}

/** A half's bit pattern as the float it stands for (exact). */
function f16ToF32(h: u32): f32 {
  const sign = (h & 0x8000) << 16;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e == 0) return reinterpret<f32>(reinterpret<u32>(<f32>m * 5.9604644775390625e-8) | sign); // m · 2^-24
  if (e == 31) return reinterpret<f32>(sign | 0x7f800000 | (m << 13));
  return reinterpret<f32>(sign | ((e + 112) << 23) | (m << 13));
}

/** The half of x times 2^(exponent >> 23): `exponent` is added to x's exponent field. */
function f32ToF16(x: f32, exponent: u32): u16 {
  const bits = reinterpret<u32>(x);
  const sign = (bits >> 16) & 0x8000;
  const mag = bits & 0x7fffffff;
  if (mag > 0x7f800000) return <u16>(sign | 0x7e00); // NaN
  if (mag >= 0x47800000 - exponent) return <u16>(sign | 0x7c00); // too big, ∞
  if (mag < 0x38800000 - exponent) {
    // Below the smallest normal half (2^-14): a multiple of 2^-24, rounded half to even.
    return <u16>(sign | <u32>nearest(reinterpret<f32>(mag) * reinterpret<f32>(0x4b800000 + exponent))); // 2^24 · scale
  }
  const rebiased = mag - (0x38000000 - exponent); // exponent bias 127 → 15, and the scale
  return <u16>(sign | ((rebiased + 0xfff + ((rebiased >> 13) & 1)) >> 13));
}

/**
 * A panel row's columns 0–3 (lo) or 4–7 (hi) as floats, from a packed matrix of floats or of
 * halves (T = u16). A half is moved to the top 16 bits of a 32-bit lane; an arithmetic shift
 * by 3 then puts its exponent and mantissa where a float's go (the mask keeps the sign and
 * clears the sign copies the shift made), and × 2^112 corrects the exponent bias, subnormals
 * too: exact, as every half is a float.
 */
@inline function panelLo<T>(pb: usize): v128 {
  if (isFloat<T>()) return v128.load(pb);
  return widenTopHalves(i8x16.shuffle(v128.load(pb), i32x4.splat(0), 16, 16, 0, 1, 16, 16, 2, 3, 16, 16, 4, 5, 16, 16, 6, 7));
}

@inline function panelHi<T>(pb: usize): v128 {
  if (isFloat<T>()) return v128.load(pb, 16);
  return widenTopHalves(i8x16.shuffle(v128.load(pb), i32x4.splat(0), 16, 16, 8, 9, 16, 16, 10, 11, 16, 16, 12, 13, 16, 16, 14, 15));
}

@inline function widenTopHalves(top: v128): v128 {
  return f32x4.mul(v128.and(i32x4.shr_s(top, 3), i32x4.splat(0x8fffe000)), f32x4.splat(5.192296858534828e33));
}

/** Rows per register tile of a product: 6 rows × W columns are 12 f32x4 accumulators. */
const ROWS: i32 = 6;

/** Rows in the tile that starts with `left` rows still to go: ROWS, else 4, else 1. */
@inline function tileRows(left: i32): i32 {
  return left >= ROWS ? ROWS : left >= 4 ? 4 : 1;
}

/**
 * Lays out the left-hand matrix A (M×K) for gemm: rows in tiles of tileRows() rows, each tile
 * k-major, so the tile starting at row i with r rows holds A[i + j][k] at float i·K + k·r + j
 * and the product reads it front to back. A's element (i, k) is read at float i·sAi + k·sAk:
 * a[M×K] (sAi = K, sAk = 1), one head's columns of a wider matrix (sAi = its row length), and
 * aᵀ of a[K×M] (sAi = 1, sAk = M) pack alike. Each element is multiplied by `scale`, a power
 * of two: 1, or the inverse of the scale a matrix of halves was stored at, so that the
 * product is the one of the unscaled numbers, to the bit.
 */
export function packRows(dst: usize, src: usize, sAi: i32, sAk: i32, M: i32, K: i32, scale: f32): void {
  const rs = <usize>sAi * 4;
  const ks = <usize>sAk * 4;
  let d = dst;
  for (let i = 0; i < M; ) {
    const r = tileRows(M - i);
    let sk = src + <usize>i * rs;
    for (let k = 0; k < K; k++) {
      let s = sk;
      for (let j = 0; j < r; j++) {
        store<f32>(d, load<f32>(s) * scale);
        d += 4;
        s += rs;
      }
      sk += ks;
    }
    i += r;
  }
}

/**
 * out[M×(P·W)] = A · packed, with A laid out by packRows.
 * mode 0: start from zero; 1: start from bias[P·W]; 2: add to what is in out.
 * Only panels p0 ≤ p < p1 are computed, so two threads can split the columns.
 * When `half` is nonzero the packed matrix holds halves, widened as they are read.
 */
export function gemm(
  out: usize, a: usize, packed: usize, bias: usize,
  M: i32, K: i32, P: i32, p0: i32, p1: i32, mode: i32, half: i32,
): void {
  const ldo = <usize>(P * W) * 4; // bytes per output row
  // Rows are taken in chunks of about 1 MB of A, so a chunk stays in the core's L2 cache while
  // every panel passes over it; each panel then comes from memory once per chunk, so a product
  // of up to 128 rows of K ≤ 2048 streams the weights once.
  const chunk = max(1, (1 << 18) / max(K * ROWS, 1)) * ROWS;
  if (M == 1) {
    // One row (decoding) reads each weight once and does two flops with it, so memory bounds
    // it. Four panels read side by side are four streams for the prefetcher, not one: from
    // memory (a model larger than the cache) that reads about 1.4 times as fast.
    let p = p0;
    for (; p + 4 <= p1; p += 4) {
      const col = <usize>(p * W) * 4;
      if (half) row1x4<u16>(out + col, a, packed + <usize>(p * K * W) * 2, bias + col, K, mode);
      else row1x4<f32>(out + col, a, packed + <usize>(p * K * W) * 4, bias + col, K, mode);
    }
    for (; p < p1; p++) {
      const col = <usize>(p * W) * 4;
      if (half) row1<u16>(out + col, a, packed + <usize>(p * K * W) * 2, bias + col, K, mode);
      else row1<f32>(out + col, a, packed + <usize>(p * K * W) * 4, bias + col, K, mode);
    }
    return;
  }
  for (let i0 = 0; i0 < M; i0 += chunk) {
    const i1 = min(M, i0 + chunk);
    for (let p = p0; p < p1; p++) {
      const col = <usize>(p * W) * 4;
      if (half) panelRows<u16>(out + col, ldo, a, packed + <usize>(p * K * W) * 2, bias + col, i0, i1, K, mode);
      else panelRows<f32>(out + col, ldo, a, packed + <usize>(p * K * W) * 4, bias + col, i0, i1, K, mode);
    }
  }
}

/** One panel's W output columns for rows i0 ≤ i < i1, tile by tile, the panel holding floats (T = f32) or halves (T = u16). */
function panelRows<T>(o: usize, ldo: usize, a: usize, panel: usize, bias: usize, i0: i32, i1: i32, K: i32, mode: i32): void {
  for (let i = i0; i < i1; ) {
    const r = tileRows(i1 - i);
    const oi = o + <usize>i * ldo;
    const ai = a + <usize>(i * K) * 4;
    if (r == ROWS) tile6<T>(oi, ldo, ai, panel, bias, K, mode);
    else if (r == 4) tile4<T>(oi, ldo, ai, panel, bias, K, mode);
    else row1<T>(oi, ai, panel, bias, K, mode);
    i += r;
  }
}

/** The accumulator a tile row starts from: zero, the bias, or what the output holds. */
@inline function start(o: usize, bias: usize, offset: usize, mode: i32): v128 {
  if (mode == 1) return v128.load(bias + offset);
  if (mode == 2) return v128.load(o + offset);
  return f32x4.splat(0);
}

/** Six rows × W columns: o[i][0..W) (+)= Σ_k A[i][k] · panel[k][0..W), 12 accumulators in registers. */
function tile6<T>(o: usize, ldo: usize, a: usize, panel: usize, bias: usize, K: i32, mode: i32): void {
  const step = <usize>(W * sizeof<T>()); // bytes per panel row
  let c00 = start(o, bias, 0, mode), c01 = start(o, bias, 16, mode);
  let c10 = start(o + ldo, bias, 0, mode), c11 = start(o + ldo, bias, 16, mode);
  let c20 = start(o + 2 * ldo, bias, 0, mode), c21 = start(o + 2 * ldo, bias, 16, mode);
  let c30 = start(o + 3 * ldo, bias, 0, mode), c31 = start(o + 3 * ldo, bias, 16, mode);
  let c40 = start(o + 4 * ldo, bias, 0, mode), c41 = start(o + 4 * ldo, bias, 16, mode);
  let c50 = start(o + 5 * ldo, bias, 0, mode), c51 = start(o + 5 * ldo, bias, 16, mode);
  let pa = a;
  let pb = panel;
  for (let k = 0; k < K; k++) {
    const b0 = panelLo<T>(pb);
    const b1 = panelHi<T>(pb);
    let x = v128.load32_splat(pa);
    c00 = madd(c00, x, b0);
    c01 = madd(c01, x, b1);
    x = v128.load32_splat(pa, 4);
    c10 = madd(c10, x, b0);
    c11 = madd(c11, x, b1);
    x = v128.load32_splat(pa, 8);
    c20 = madd(c20, x, b0);
    c21 = madd(c21, x, b1);
    x = v128.load32_splat(pa, 12);
    c30 = madd(c30, x, b0);
    c31 = madd(c31, x, b1);
    x = v128.load32_splat(pa, 16);
    c40 = madd(c40, x, b0);
    c41 = madd(c41, x, b1);
    x = v128.load32_splat(pa, 20);
    c50 = madd(c50, x, b0);
    c51 = madd(c51, x, b1);
    pa += 24;
    pb += step;
  }
  v128.store(o, c00); v128.store(o, c01, 16);
  v128.store(o + ldo, c10); v128.store(o + ldo, c11, 16);
  v128.store(o + 2 * ldo, c20); v128.store(o + 2 * ldo, c21, 16);
  v128.store(o + 3 * ldo, c30); v128.store(o + 3 * ldo, c31, 16);
  v128.store(o + 4 * ldo, c40); v128.store(o + 4 * ldo, c41, 16);
  v128.store(o + 5 * ldo, c50); v128.store(o + 5 * ldo, c51, 16);
}

/** Four rows × W columns, as tile6 (rows left over after the tiles of six). */
function tile4<T>(o: usize, ldo: usize, a: usize, panel: usize, bias: usize, K: i32, mode: i32): void {
  const step = <usize>(W * sizeof<T>());
  let c00 = start(o, bias, 0, mode), c01 = start(o, bias, 16, mode);
  let c10 = start(o + ldo, bias, 0, mode), c11 = start(o + ldo, bias, 16, mode);
  let c20 = start(o + 2 * ldo, bias, 0, mode), c21 = start(o + 2 * ldo, bias, 16, mode);
  let c30 = start(o + 3 * ldo, bias, 0, mode), c31 = start(o + 3 * ldo, bias, 16, mode);
  let pa = a;
  let pb = panel;
  for (let k = 0; k < K; k++) {
    const b0 = panelLo<T>(pb);
    const b1 = panelHi<T>(pb);
    let x = v128.load32_splat(pa);
    c00 = madd(c00, x, b0);
    c01 = madd(c01, x, b1);
    x = v128.load32_splat(pa, 4);
    c10 = madd(c10, x, b0);
    c11 = madd(c11, x, b1);
    x = v128.load32_splat(pa, 8);
    c20 = madd(c20, x, b0);
    c21 = madd(c21, x, b1);
    x = v128.load32_splat(pa, 12);
    c30 = madd(c30, x, b0);
    c31 = madd(c31, x, b1);
    pa += 16;
    pb += step;
  }
  v128.store(o, c00); v128.store(o, c01, 16);
  v128.store(o + ldo, c10); v128.store(o + ldo, c11, 16);
  v128.store(o + 2 * ldo, c20); v128.store(o + 2 * ldo, c21, 16);
  v128.store(o + 3 * ldo, c30); v128.store(o + 3 * ldo, c31, 16);
}

/**
 * One row × W columns. Its sums run in the same order as every other tile's (k ascending, one
 * accumulator per f32x4), so equal columns of B give equal bits wherever they fall: the tokens
 * that share one embedding row get exactly one logit.
 */
function row1<T>(o: usize, a: usize, panel: usize, bias: usize, K: i32, mode: i32): void {
  const step = <usize>(W * sizeof<T>());
  let c0 = start(o, bias, 0, mode), c1 = start(o, bias, 16, mode);
  let pa = a;
  let pb = panel;
  for (let k = 0; k < K; k++) {
    const x = v128.load32_splat(pa);
    c0 = madd(c0, x, panelLo<T>(pb));
    c1 = madd(c1, x, panelHi<T>(pb));
    pa += 4;
    pb += step;
  }
  v128.store(o, c0);
  v128.store(o, c1, 16);
}

/** One row × 4 panels (4·W columns): row1 over four consecutive panels at once, one accumulator per f32x4. */
function row1x4<T>(o: usize, a: usize, panel: usize, bias: usize, K: i32, mode: i32): void {
  const step = <usize>(W * sizeof<T>());
  const gap = <usize>K * step; // bytes from one panel to the next
  let c00 = start(o, bias, 0, mode), c01 = start(o, bias, 16, mode);
  let c10 = start(o, bias, 32, mode), c11 = start(o, bias, 48, mode);
  let c20 = start(o, bias, 64, mode), c21 = start(o, bias, 80, mode);
  let c30 = start(o, bias, 96, mode), c31 = start(o, bias, 112, mode);
  let pa = a;
  let pb = panel;
  for (let k = 0; k < K; k++) {
    const x = v128.load32_splat(pa);
    c00 = madd(c00, x, panelLo<T>(pb));
    c01 = madd(c01, x, panelHi<T>(pb));
    c10 = madd(c10, x, panelLo<T>(pb + gap));
    c11 = madd(c11, x, panelHi<T>(pb + gap));
    c20 = madd(c20, x, panelLo<T>(pb + 2 * gap));
    c21 = madd(c21, x, panelHi<T>(pb + 2 * gap));
    c30 = madd(c30, x, panelLo<T>(pb + 3 * gap));
    c31 = madd(c31, x, panelHi<T>(pb + 3 * gap));
    pa += 4;
    pb += step;
  }
  v128.store(o, c00); v128.store(o, c01, 16);
  v128.store(o, c10, 32); v128.store(o, c11, 48);
  v128.store(o, c20, 64); v128.store(o, c21, 80);
  v128.store(o, c30, 96); v128.store(o, c31, 112);
}

// Element-wise steps of the forward pass, in f32 four lanes at a time. They compute the same
// functions as src/model/ops.ts (which works in f64 and rounds once), to within a few units in
// the last place of a float. Plain multiplies and adds in both builds, so both give the same bits.

/**
 * e^x for four floats: Cephes' expf (x = n·ln 2 + r, |r| ≤ ½ ln 2, a degree-6 polynomial for
 * e^r, then n added to the exponent). Below −87.3 (results under the smallest normal float,
 * and −∞) the result is exactly 0, so a softmax gives masked positions exactly 0; above 88.37
 * (2^127.5, within 30% of the largest float) it is +∞.
 */
@inline function exp4(x: v128): v128 {
  const low = f32x4.splat(-87.33654475);
  const high = f32x4.splat(88.37626266);
  const xc = f32x4.pmax(f32x4.pmin(x, high), low);
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
  // r = x − n·ln 2, with ln 2 in two parts so the first product is exact.
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const twoToN = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  const e = v128.andnot(f32x4.mul(p, twoToN), f32x4.lt(x, low));
  return v128.bitselect(f32x4.splat(Infinity), e, f32x4.gt(x, high));
}

/**
 * GELU of four floats, as x / (1 + e^(−2u)) with u = √(2/π)·(x + 0.044715·x³): the same
 * function as 0.5·x·(1 + tanh u), written so that it stays accurate where 1 + tanh u is tiny.
 */
@inline function gelu4(x: v128): v128 {
  const cube = f32x4.mul(f32x4.mul(x, x), x);
  const minus2u = f32x4.mul(f32x4.splat(-1.5957691216057308), f32x4.add(x, f32x4.mul(f32x4.splat(0.044715), cube)));
  return f32x4.div(x, f32x4.add(f32x4.splat(1), exp4(minus2u)));
}

/** dst[i] = gelu(src[i]) for n floats (dst may be src). */
export function gelu(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + <usize>i * 4, gelu4(v128.load(src + <usize>i * 4)));
  for (; i < n; i++) store<f32>(dst + <usize>i * 4, f32x4.extract_lane(gelu4(f32x4.splat(load<f32>(src + <usize>i * 4))), 0));
}

/**
 * Softmax of each of `rows` rows of n floats, src → dst (dst may be src): e^(x − max) over
 * their sum, the sum taken in f64 as src/model/ops.ts takes it.
 */
export function softmaxRows(dst: usize, src: usize, rows: i32, n: i32): void {
  const tail = n & ~3;
  for (let r = 0; r < rows; r++) {
    const x = src + <usize>(r * n) * 4;
    const y = dst + <usize>(r * n) * 4;
    let m4 = f32x4.splat(-Infinity);
    for (let i = 0; i < tail; i += 4) m4 = f32x4.pmax(m4, v128.load(x + <usize>i * 4));
    let top = max(max(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
    for (let i = tail; i < n; i++) top = max(top, load<f32>(x + <usize>i * 4));
    const shift = f32x4.splat(top);
    let sumLo = f64x2.splat(0);
    let sumHi = f64x2.splat(0);
    for (let i = 0; i < tail; i += 4) {
      const e = exp4(f32x4.sub(v128.load(x + <usize>i * 4), shift));
      v128.store(y + <usize>i * 4, e);
      sumLo = f64x2.add(sumLo, f64x2.promote_low_f32x4(e));
      sumHi = f64x2.add(sumHi, f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1)));
    }
    let sum = f64x2.extract_lane(f64x2.add(sumLo, sumHi), 0) + f64x2.extract_lane(f64x2.add(sumLo, sumHi), 1);
    for (let i = tail; i < n; i++) {
      const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(x + <usize>i * 4) - top)), 0);
      store<f32>(y + <usize>i * 4, e);
      sum += <f64>e;
    }
    const total = f32x4.splat(<f32>sum);
    for (let i = 0; i < tail; i += 4) v128.store(y + <usize>i * 4, f32x4.div(v128.load(y + <usize>i * 4), total));
    for (let i = tail; i < n; i++) store<f32>(y + <usize>i * 4, load<f32>(y + <usize>i * 4) / <f32>sum);
  }
}
