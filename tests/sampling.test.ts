import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  argmax,
  drawFrom,
  mostLikely,
  samplingDistribution,
  SeededRandom,
  topEntries,
  validateSampling,
} from '../src/model/sampling.ts';

const logits = Float32Array.from([1, 3, 2, -1, 3, 0.5]);
const kept = (p: Float32Array) => Array.from(p, (v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0);

describe('samplingDistribution', () => {
  it('is one-hot on the first argmax at temperature 0 (greedy)', () => {
    const p = samplingDistribution(logits, { temperature: 0, topK: 0, topP: 1 });
    expect(Array.from(p)).toEqual([0, 1, 0, 0, 0, 0]);
  });

  it('is the softmax at temperature 1 with no filters', () => {
    const p = samplingDistribution(logits, { temperature: 1, topK: 0, topP: 1 });
    const e = Array.from(logits, (v) => Math.exp(v));
    const s = e.reduce((a, b) => a + b);
    e.forEach((v, i) => expect(p[i]).toBeCloseTo(v / s, 6));
  });

  it('keeps only the k most likely with top-k and renormalises', () => {
    const p = samplingDistribution(logits, { temperature: 1, topK: 2, topP: 1 });
    expect(p[1]).toBeCloseTo(0.5, 6);
    expect(p[4]).toBeCloseTo(0.5, 6);
    expect(p[2]).toBe(0);
  });

  it('keeps the smallest set reaching p with top-p', () => {
    // Probabilities at T=1: the two 3s share 0.768; adding the 2 reaches 0.909.
    expect(kept(samplingDistribution(logits, { temperature: 1, topK: 0, topP: 0.7 }))).toEqual([1, 4]);
    const p = samplingDistribution(logits, { temperature: 1, topK: 0, topP: 0.8 });
    expect(kept(p)).toEqual([1, 2, 4]);
    expect(p.reduce((a, b) => a + b)).toBeCloseTo(1, 6);
  });

  it('sharpens with low temperature and flattens with high', () => {
    const cold = samplingDistribution(logits, { temperature: 0.5, topK: 0, topP: 1 });
    const hot = samplingDistribution(logits, { temperature: 2, topK: 0, topP: 1 });
    expect(cold[1]).toBeGreaterThan(hot[1]);
    expect(cold[3]).toBeLessThan(hot[3]);
  });

  it('always sums to 1 and keeps at least one token', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.float({ min: Math.fround(0.05), max: 5, noNaN: true }),
        fc.integer({ min: 0, max: 50 }),
        fc.float({ min: Math.fround(0.01), max: 1, noNaN: true }),
        (values, temperature, topK, topP) => {
          const p = samplingDistribution(Float32Array.from(values), { temperature, topK, topP });
          const sum = p.reduce((a, b) => a + b, 0);
          expect(sum).toBeCloseTo(1, 4);
          // Whatever is kept is at least as likely as anything dropped.
          const keptIds = kept(p);
          expect(keptIds.length).toBeGreaterThan(0);
          const lowestKept = Math.min(...keptIds.map((i) => values[i]));
          values.forEach((v, i) => {
            if (p[i] === 0) expect(v).toBeLessThanOrEqual(lowestKept);
          });
          expect(p[argmax(p)]).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('equals filtering by a full sort, for any logits, k and p', () => {
    const reference = (values: Float32Array, temperature: number, topK: number, topP: number) => {
      const e = Array.from(values, (v) => Math.exp((v - Math.max(...values)) / temperature));
      const sum = e.reduce((a, b) => a + b, 0);
      const p = e.map((v) => v / sum);
      const order = p.map((_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
      let keep = topK > 0 ? Math.min(topK, p.length) : p.length;
      let cumulative = 0;
      for (let r = 0; r < keep && topP < 1; r++) {
        cumulative += p[order[r]];
        if (cumulative >= topP) keep = r + 1;
      }
      const kept = new Set(order.slice(0, keep));
      const keptSum = [...kept].reduce((a, i) => a + p[i], 0);
      return p.map((v, i) => (kept.has(i) ? v / keptSum : 0));
    };
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -40, max: 40 }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 0, max: 500 }),
        fc.float({ min: Math.fround(0.05), max: 1, noNaN: true }),
        (ints, topK, topP) => {
          // Halves make ties common, which is where orderings differ.
          const values = Float32Array.from(ints, (v) => v / 2);
          const got = samplingDistribution(values, { temperature: 1, topK, topP });
          const want = reference(values, 1, topK, topP);
          want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects bad settings with the value in the message', () => {
    expect(() => validateSampling({ temperature: -1, topK: 0, topP: 1 })).toThrow(/temperature.*-1/);
    expect(() => validateSampling({ temperature: 1, topK: 1.5, topP: 1 })).toThrow(/top-k/);
    expect(() => validateSampling({ temperature: 1, topK: 0, topP: 0 })).toThrow(/top-p/);
  });
});

describe('SeededRandom and drawFrom', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const c = new SeededRandom(8);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
    for (const v of sa) expect(v >= 0 && v < 1).toBe(true);
  });

  it('pins the first draws of seed 42, so every machine agrees', () => {
    const r = new SeededRandom(42);
    const first = Array.from({ length: 5 }, () => r.next() * 2 ** 32);
    // Worked out apart from this code, with Python's unbounded integers masked to 32 bits:
    //   s = (s + 0x9e3779b9) & M; z = s
    //   z = ((z ^ z >> 16) * 0x85ebca6b) & M; z = ((z ^ z >> 13) * 0xc2b2ae35) & M; z ^= z >> 16
    // from s = 42, M = 0xffffffff. A change here changes every sampled continuation.
    expect(first).toEqual([939911724, 3948730756, 321366731, 3317318717, 527392959]);
  });

  it('draws tokens in proportion to their probability and never a zero one', () => {
    const probs = Float32Array.from([0.1, 0, 0.6, 0.3]);
    const r = new SeededRandom(3);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[drawFrom(probs, r)]++;
    expect(counts[1]).toBe(0);
    expect(counts[0] / 20000).toBeCloseTo(0.1, 1);
    expect(counts[2] / 20000).toBeCloseTo(0.6, 1);
    expect(counts[3] / 20000).toBeCloseTo(0.3, 1);
  });

  it('lists the top entries most likely first', () => {
    expect(topEntries(Float32Array.from([0.1, 0.5, 0.2, 0.2]), 3).map((e) => e.id)).toEqual([1, 2, 3]);
  });

  it('lists exactly the first k of a full sort (probability down, then id up), ties and zeros included', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 320 }), (levels, k) => {
        const probs = Float32Array.from(levels, (l) => l / 8);
        const sorted = [...probs.keys()].sort((a, b) => probs[b] - probs[a] || a - b).slice(0, k);
        expect(topEntries(probs, k)).toEqual(sorted.map((id) => ({ id, probability: probs[id] })));
      }),
    );
  });
});

describe('mostLikely', () => {
  // The rule it must keep, by brute force: every id ordered by value, ties in vocabulary order.
  const reference = (values: ArrayLike<number>, k: number) =>
    Array.from({ length: values.length }, (_, i) => i)
      .sort((a, b) => values[b] - values[a] || a - b)
      .slice(0, Math.max(0, k));

  it('gives the k largest in order, ties in vocabulary order, on both of its paths (k ≤ 64 and above)', () => {
    fc.assert(
      fc.property(
        // Few distinct values among many ids, so ties are everywhere, including at the k-th place.
        fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 0, max: 420 }),
        (ints, k) => {
          const values = Float32Array.from(ints, (v) => v / 4);
          expect(mostLikely(values, k)).toEqual(reference(values, k));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ranks a vocabulary-sized row of real-looking logits as the brute force does', () => {
    const random = new SeededRandom(9);
    const values = Float32Array.from({ length: 50257 }, () => Math.round(random.next() * 2000) / 100);
    for (const k of [1, 5, 64, 65, 1024, 50257]) expect(mostLikely(values, k)).toEqual(reference(values, k));
  });
});
