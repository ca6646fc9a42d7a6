// Turning the last row of logits into the next token: temperature, top-k, top-p, and a seeded
// random draw that gives the same token on every machine.

/** The rules in force when picking a token. */
export interface SamplingOptions {
  /** Divides the logits before the softmax; 0 means greedy (always the most likely token). */
  temperature: number;
  /** Keep only the k most likely tokens; 0 keeps all. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probabilities reach p; 1 keeps all. */
  topP: number;
}

/** Throws a RangeError naming the bad value, so the CLI and page can show it as it is. */
export function validateSampling(o: SamplingOptions): SamplingOptions {
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) {
    throw new RangeError(`temperature must be a number ≥ 0, got ${o.temperature}`);
  }
  if (!Number.isInteger(o.topK) || o.topK < 0) throw new RangeError(`top-k must be a whole number ≥ 0, got ${o.topK}`);
  if (!(o.topP > 0 && o.topP <= 1)) throw new RangeError(`top-p must be in (0, 1], got ${o.topP}`);
  return o;
}

/** Describes the rule in words, e.g. "greedy" or "sampling at temperature 0.8, top-k 40". */
export function describeSampling(o: SamplingOptions): string {
  return describeSamplingParts(o, (_setting, value) => String(value)).join('');
}

/** The same words, each setting's number made by `number` (a scene declares them: scenes/shared.ts). */
export function describeSamplingParts<P>(o: SamplingOptions, number: (setting: 'temperature' | 'topK' | 'topP', value: number) => P): (string | P)[] {
  if (o.temperature === 0) return ['greedy: the most likely token'];
  const parts: (string | P)[] = ['sampling at temperature ', number('temperature', o.temperature)];
  if (o.topK > 0) parts.push(', top-k ', number('topK', o.topK));
  if (o.topP < 1) parts.push(', top-p ', number('topP', o.topP));
  return parts;
}

/** Index of the largest value (the first one on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * The distribution a token is drawn from (length V, sums to 1): softmax(logits / temperature),
 * then everything outside top-k and top-p set to 0 and the rest renormalised.
 * Temperature 0 puts all the mass on the argmax.
 */
export function samplingDistribution(logits: Float32Array, options: SamplingOptions): Float32Array {
  const { temperature, topK, topP } = validateSampling(options);
  const V = logits.length;
  const probs = new Float32Array(V);
  if (temperature === 0) {
    probs[argmax(logits)] = 1;
    return probs;
  }
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[i]);
  // Softmax with temperature, in float64; each probability is computed when it is needed,
  // so ranking the few most likely tokens does not pay for a V-long array.
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp((logits[i] - max) / temperature);
  const p = (i: number) => Math.exp((logits[i] - max) / temperature) / sum;

  if ((topK > 0 && topK < V) || topP < 1) {
    // Only the most likely few matter: rank a growing prefix rather than sorting all V ids.
    const limit = topK > 0 ? Math.min(topK, V) : V;
    let ranked = mostLikely(logits, Math.min(limit, 64));
    let keep = ranked.length;
    for (;;) {
      keep = ranked.length;
      if (topP < 1) {
        let cumulative = 0;
        for (let r = 0; r < ranked.length; r++) {
          cumulative += p(ranked[r]);
          if (cumulative >= topP) {
            keep = r + 1;
            break;
          }
        }
        if (keep === ranked.length && cumulative < topP && ranked.length < limit) {
          ranked = mostLikely(logits, Math.min(limit, ranked.length * 16));
          continue;
        }
      } else if (ranked.length < limit) {
        ranked = mostLikely(logits, limit);
        continue;
      }
      break;
    }
    let keptSum = 0;
    for (let r = 0; r < keep; r++) keptSum += p(ranked[r]);
    for (let r = 0; r < keep; r++) probs[ranked[r]] = p(ranked[r]) / keptSum;
    return probs;
  }
  for (let i = 0; i < V; i++) probs[i] = p(i);
  return probs;
}

/**
 * A small seeded generator (SplitMix32-style integer mixing): pure integer arithmetic, so the
 * same seed gives the same draws on every machine and in the browser.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  }
}

/** Draws an index from a distribution by walking its cumulative sum. */
export function drawFrom(probs: Float32Array, random: SeededRandom): number {
  const u = random.next();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    cumulative += probs[i];
    last = i;
    if (u < cumulative) return i;
  }
  return last; // rounding left the sum just under 1
}

/** The k largest entries as {id, probability}, most likely first (ties in vocabulary order). */
export function topEntries(probs: Float32Array, k: number): { id: number; probability: number }[] {
  return mostLikely(probs, k).map((id) => ({ id, probability: probs[id] }));
}

/**
 * Ids of the k largest logits, most likely first; ties keep vocabulary order so the result is
 * the same everywhere. Few ids: one pass keeping the best k in order, skipping at a glance
 * whatever cannot enter. Many (sampling's top-p may need thousands): the k-th largest value
 * from a native sort of the values, then only the ids at or above it are ordered. Both run per
 * explanation over 50,257 logits many times, so neither calls a function per logit.
 */
export function mostLikely(logits: ArrayLike<number>, k: number): number[] {
  const n = logits.length;
  k = Math.max(0, Math.min(k, n));
  const before = (a: number, b: number) => logits[a] > logits[b] || (logits[a] === logits[b] && a < b);
  if (k > 64) {
    const kth = Float64Array.from(logits).sort()[n - k]; // ascending; the k-th largest
    const above: number[] = [];
    const at: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = logits[i];
      if (v > kth) above.push(i);
      else if (v === kth && at.length < k) at.push(i);
    }
    const ids = above.concat(at).slice(0, k);
    if (ids.length === k) return ids.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    // Only a NaN among the logits leaves fewer: order every id as the comparison says.
    return Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0))
      .slice(0, k);
  }
  const best: number[] = []; // kept sorted, most likely first
  let floor = -Infinity; // the k-th best value once k are kept; a later id must beat it strictly
  for (let i = 0; i < n; i++) {
    const v = logits[i];
    if (best.length === k && !(v > floor)) continue;
    let place = best.length;
    while (place > 0 && before(i, best[place - 1])) place--;
    best.splice(place, 0, i);
    if (best.length > k) best.pop();
    if (best.length === k) floor = logits[best[k - 1]];
  }
  return best;
}
