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

/** Packs b[K×N] (row-major, GPT-2's Conv1D layout) into panels [ceil(N/W)][K][W]. */
export function packKN(dst: usize, src: usize, K: i32, N: i32): void {
  const P = (N + W - 1) / W;
  for (let p = 0; p < P; p++) {
    const j0 = p * W;
    let d = dst + <usize>(p * K * W) * 4;
    if (j0 + W <= N) {
      let s = src + <usize>j0 * 4;
      for (let k = 0; k < K; k++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        d += 32;
        s += <usize>N * 4;
      }
    } else {
      for (let k = 0; k < K; k++) {
        for (let c = 0; c < W; c++) {
          const j = j0 + c;
          store<f32>(d + <usize>c * 4, j < N ? load<f32>(src + <usize>(k * N + j) * 4) : 0);
        }
        d += 32;
      }
    }
  }
}

/** Packs b[N×K] (row-major, e.g. the V×C embedding table) as the panels of bᵀ [K×N]. */
export function packNK(dst: usize, src: usize, K: i32, N: i32): void {
  const P = (N + W - 1) / W;
  for (let p = 0; p < P; p++) {
    const j0 = p * W;
    const d = dst + <usize>(p * K * W) * 4;
    for (let c = 0; c < W; c++) {
      const j = j0 + c;
      let dd = d + <usize>c * 4;
      if (j < N) {
        let s = src + <usize>(j * K) * 4;
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
 * checkpoint stores it): panels [ceil(N/W)][K][W] of 16-bit patterns, moved as they are.
 */
export function packNKHalves(dst: usize, src: usize, K: i32, N: i32): void {
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
          store<u16>(dd, load<u16>(s));
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
}

/**
 * dst[cols×rows] = src[rows×cols]ᵀ, in 8×8 tiles so both sides are read and written a cache
 * line at a time. Used to lay out aᵀ row by row before a product with a[K×M]ᵀ.
 */
export function transpose(dst: usize, src: usize, rows: i32, cols: i32): void {
  for (let r0 = 0; r0 < rows; r0 += 8) {
    const r1 = min(r0 + 8, rows);
    for (let c0 = 0; c0 < cols; c0 += 8) {
      const c1 = min(c0 + 8, cols);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          store<f32>(dst + <usize>(c * rows + r) * 4, load<f32>(src + <usize>(r * cols + c) * 4));
        }
      }
    }
  }
}

/**
 * Converts a packed matrix to IEEE half precision (round to nearest, ties to even), for
 * weights kept compact: `count` floats at src become `count` 16-bit values at dst.
 */
export function toF16(dst: usize, src: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    store<u16>(dst + <usize>i * 2, f32ToF16(load<f32>(src + <usize>i * 4)));
  }
}

function f32ToF16(x: f32): u16 {
  const bits = reinterpret<u32>(x);
  const sign = (bits >> 16) & 0x8000;
  const mag = bits & 0x7fffffff;
  if (mag >= 0x47800000) return <u16>(sign | (mag > 0x7f800000 ? 0x7e00 : 0x7c00)); // too big, ∞, NaN
  if (mag < 0x38800000) {
    // Below the smallest normal half (2^-14): a multiple of 2^-24, rounded half to even.
    return <u16>(sign | <u32>nearest(reinterpret<f32>(mag) * 16777216.0));
  }
  const rebiased = mag - 0x38000000; // exponent bias 127 → 15
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

/**
 * out[M×(P·W)] = A · packed, where A's element (i, k) sits at float index i·sAi + k·sAk
 * (sAi = K, sAk = 1 for a row-major a[M×K]; sAi = 1, sAk = M for aᵀ with a[K×M]).
 * mode 0: start from zero; 1: start from bias[P·W]; 2: add to what is in out.
 * Only panels p0 ≤ p < p1 are computed, so two threads can split the columns.
 * When `half` is nonzero the packed matrix holds halves, widened as they are read.
 */
export function gemm(
  out: usize, a: usize, sAi: i32, sAk: i32, packed: usize, bias: usize,
  M: i32, K: i32, P: i32, p0: i32, p1: i32, mode: i32, half: i32,
): void {
  const ldo = <usize>(P * W) * 4; // bytes per output row
  const rs = <usize>sAi * 4;
  const ks = <usize>sAk * 4;
  // Rows are taken in chunks of about 256 KB of A, so a chunk stays in the core's cache while
  // every panel passes over it; without this, each panel would stream all of A from memory.
  const chunk = max(4, (65536 / max(K, 1)) & ~3);
  for (let i0 = 0; i0 < M; i0 += chunk) {
    const rows = min(chunk, M - i0);
    for (let p = p0; p < p1; p++) {
      const col = <usize>(p * W) * 4;
      const o = out + <usize>i0 * ldo + col;
      const ai = a + <usize>i0 * rs;
      if (half) panelProduct<u16>(o, ldo, ai, rs, ks, packed + <usize>(p * K * W) * 2, bias + col, rows, K, mode);
      else panelProduct<f32>(o, ldo, ai, rs, ks, packed + <usize>(p * K * W) * 4, bias + col, rows, K, mode);
    }
  }
}

/**
 * W output columns of every row: o[i][0..W) (+)= Σ_k A[i][k] · panel[k][0..W), the panel
 * holding floats (T = f32) or halves (T = u16).
 */
function panelProduct<T>(o: usize, ldo: usize, a: usize, rs: usize, ks: usize, panel: usize, bias: usize, M: i32, K: i32, mode: i32): void {
  const step = <usize>(W * sizeof<T>()); // bytes per panel row
  let i = 0;
  // Four rows at a time: 8 accumulators (4 rows × 8 columns) stay in registers.
  for (; i + 4 <= M; i += 4) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    if (mode == 1) {
      c00 = v128.load(bias); c01 = v128.load(bias, 16);
      c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
    } else if (mode == 2) {
      c00 = v128.load(o); c01 = v128.load(o, 16);
      c10 = v128.load(o + ldo); c11 = v128.load(o + ldo, 16);
      c20 = v128.load(o + 2 * ldo); c21 = v128.load(o + 2 * ldo, 16);
      c30 = v128.load(o + 3 * ldo); c31 = v128.load(o + 3 * ldo, 16);
    }
    let pa = a + <usize>i * rs;
    let pb = panel;
    for (let k = 0; k < K; k++) {
      const b0 = panelLo<T>(pb);
      const b1 = panelHi<T>(pb);
      const x0 = v128.load32_splat(pa);
      c00 = madd(c00, x0, b0);
      c01 = madd(c01, x0, b1);
      const x1 = v128.load32_splat(pa + rs);
      c10 = madd(c10, x1, b0);
      c11 = madd(c11, x1, b1);
      const x2 = v128.load32_splat(pa + 2 * rs);
      c20 = madd(c20, x2, b0);
      c21 = madd(c21, x2, b1);
      const x3 = v128.load32_splat(pa + 3 * rs);
      c30 = madd(c30, x3, b0);
      c31 = madd(c31, x3, b1);
      pa += ks;
      pb += step;
    }
    v128.store(o, c00); v128.store(o, c01, 16);
    v128.store(o + ldo, c10); v128.store(o + ldo, c11, 16);
    v128.store(o + 2 * ldo, c20); v128.store(o + 2 * ldo, c21, 16);
    v128.store(o + 3 * ldo, c30); v128.store(o + 3 * ldo, c31, 16);
    o += 4 * ldo;
  }
  // Leftover rows one at a time (all rows when M = 1, as in decoding). Even and odd k go
  // to separate accumulators so consecutive additions do not wait on each other.
  for (; i < M; i++) {
    let e0 = f32x4.splat(0), e1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
    if (mode == 1) { e0 = v128.load(bias); e1 = v128.load(bias, 16); }
    else if (mode == 2) { e0 = v128.load(o); e1 = v128.load(o, 16); }
    let pa = a + <usize>i * rs;
    let pb = panel;
    let k = 0;
    for (; k + 2 <= K; k += 2) {
      const x0 = v128.load32_splat(pa);
      e0 = madd(e0, x0, panelLo<T>(pb));
      e1 = madd(e1, x0, panelHi<T>(pb));
      const x1 = v128.load32_splat(pa + ks);
      d0 = madd(d0, x1, panelLo<T>(pb + step));
      d1 = madd(d1, x1, panelHi<T>(pb + step));
      pa += 2 * ks;
      pb += 2 * step;
    }
    if (k < K) {
      const x0 = v128.load32_splat(pa);
      e0 = madd(e0, x0, panelLo<T>(pb));
      e1 = madd(e1, x0, panelHi<T>(pb));
    }
    v128.store(o, f32x4.add(e0, d0));
    v128.store(o, f32x4.add(e1, d1), 16);
    o += ldo;
  }
}
