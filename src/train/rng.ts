// A seeded random number generator that gives the same numbers on every machine: mulberry32,
// 32-bit integer arithmetic only, with its whole state in one number (saved in resume files).

export class Rng {
  /** The generator's state: an unsigned 32-bit integer. */
  state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1), with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal sample (Box–Muller; one of the pair is used, so the state stays one number). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]: log stays finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/** An independent stream for another purpose (batches, dropout) derived from one seed. */
export function deriveSeed(seed: number, stream: number): number {
  const r = new Rng((seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0);
  return r.nextUint32();
}
