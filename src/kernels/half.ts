// Numbers kept as IEEE half-precision bit patterns, as an F16 checkpoint stores them. The
// embedded model's V × C embedding table is most of its weights: held this way it is neither
// copied nor widened to twice its size when the model loads (each fresh megabyte costs time,
// most of all in a browser). Kernels and the model read the halves as float32s, exactly; floats
// are narrowed to halves (rounded) by floatToHalfBits.

/** The largest finite 16-bit half. */
export const HALF_MAX = 65504;

/** Every half-precision bit pattern as a float32, built on first use (256 KB). */
let table: Float32Array | undefined;
function halfToFloatTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * frac * 2 ** -24; // zero and subnormals
    else if (exp === 31) table[h] = frac ? NaN : sign * Infinity;
    else table[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return table;
}

/** The value of a half-precision bit pattern. */
export function halfBitsToFloat(bits: number): number {
  return halfToFloatTable()[bits & 0xffff];
}

// One float32 and its bits, reused so converting millions of values allocates nothing.
const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** float32 → IEEE half bits, rounding to nearest even; values beyond ±65504 become ±Infinity. */
export function floatToHalfBits(value: number): number {
  scratchFloat[0] = value;
  const x = scratchBits[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Infinity or NaN
  const e = exp - 127 + 15; // re-biased exponent
  if (e >= 31) return sign | 0x7c00; // overflow
  if (e <= 0) {
    // Subnormal half (or zero): shift the full mantissa (with its hidden 1) into place.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // Rounding up may carry into the exponent, which is exactly right (up to Infinity).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** An array of half-precision numbers (their bit patterns), read as floats. */
export class HalfArray {
  constructor(readonly bits: Uint16Array) {}

  get length(): number {
    return this.bits.length;
  }

  /** Writes elements [from, to) as float32s into `out`, starting at `at`. */
  widen(from: number, to: number, out: Float32Array, at = 0): void {
    const t = halfToFloatTable();
    const bits = this.bits;
    for (let i = from; i < to; i++) out[at + i - from] = t[bits[i]];
  }

  /** All elements as a new Float32Array. */
  toFloat32(): Float32Array {
    const out = new Float32Array(this.bits.length);
    this.widen(0, this.bits.length, out);
    return out;
  }

  /** Index of the first infinite or NaN element (all exponent bits set), or -1. */
  firstNonFinite(): number {
    const bits = this.bits;
    for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7c00) === 0x7c00) return i;
    return -1;
  }
}
