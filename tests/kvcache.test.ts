// The KV cache: feeding a prompt and then one token at a time must give the same logits as
// running the whole sequence at once (within 1e-5), on both PyTorch fixtures; and the forward
// pass must refuse more positions than the model's context with a clear message.
// Checked with the plain kernels and with WebAssembly SIMD (whose one-row products take other paths).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { GPT, KVCache } from '../src/model/gpt.ts';
import type { Kernels } from '../src/kernels/kernels.ts';
import { plainKernels } from '../src/kernels/plain.ts';
import { WasmKernels, wasmSimdSupported } from '../src/kernels/wasm/wasm-kernels.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const TOLERANCE = 1e-5;
const KERNELS: Record<string, () => Kernels> = { plain: () => plainKernels, wasm: () => new WasmKernels() };
// The WebAssembly kernels only where this engine runs SIMD (vitest.no-simd.config.ts runs without).
const KERNEL_NAMES = Object.keys(KERNELS).filter((name) => name !== 'wasm' || wasmSimdSupported());
const CASES = ['tiny-tied', 'tiny-untied-f16'].flatMap((folder) => KERNEL_NAMES.map((kernels) => ({ folder, kernels })));

/** The fixture's model, computing with the named kernel set. */
async function load(folder: string, kernels: string): Promise<GPT> {
  const model = await loadModelDir(join(FIXTURES, folder));
  return new GPT(model.config, model.weights, KERNELS[kernels]());
}

/** A fixed, varied id sequence (repeats included) of the given length. */
function idsFor(length: number, vocab: number): number[] {
  return Array.from({ length }, (_, i) => (i * 37 + 11 + (i % 3) * 5) % vocab);
}

function largestDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

describe.each(CASES)('KV cache on $folder, $kernels kernels', ({ folder, kernels }) => {
  it('cached decoding matches the uncached forward pass at every position, up to a full context', async () => {
    const model = await load(folder, kernels);
    const { nPositions: P, vocabSize: V } = model.config;
    const ids = idsFor(P, V); // fill the whole context, so the last positions are checked too
    const full = model.forward(ids).logits; // P × V

    const prompt = 5;
    const cache = new KVCache(model.config);
    const first = model.forward(ids.slice(0, prompt), { cache }).logits; // prompt × V
    expect(largestDifference(first, full.subarray(0, prompt * V))).toBeLessThanOrEqual(TOLERANCE);
    expect(cache.length).toBe(prompt);

    for (let t = prompt; t < P; t++) {
      const step = model.forward([ids[t]], { cache }).logits; // 1 × V
      const diff = largestDifference(step, full.subarray(t * V, (t + 1) * V));
      expect(diff, `position ${t}`).toBeLessThanOrEqual(TOLERANCE);
      expect(cache.length).toBe(t + 1);
    }
  });

  it('lastOnly with a cache gives the last row of the full pass', async () => {
    const model = await load(folder, kernels);
    const V = model.config.vocabSize;
    const ids = idsFor(12, V);
    const full = model.forward(ids).logits; // 12 × V
    const cache = new KVCache(model.config);
    model.forward(ids.slice(0, 8), { cache, lastOnly: true });
    const rest = model.forward(ids.slice(8), { cache, lastOnly: true }).logits; // 1 × V
    expect(rest.length).toBe(V);
    expect(largestDifference(rest, full.subarray(11 * V))).toBeLessThanOrEqual(TOLERANCE);
  });

  it('a cached step differs from a step without the cache (the cache is really used)', async () => {
    const model = await load(folder, kernels);
    const ids = idsFor(6, model.config.vocabSize);
    const cache = new KVCache(model.config);
    model.forward(ids.slice(0, 5), { cache });
    const withCache = model.forward([ids[5]], { cache }).logits;
    const alone = model.forward([ids[5]]).logits; // the same token at position 0, no context
    expect(largestDifference(withCache, alone)).toBeGreaterThan(1e-3);
  });

  it('refuses more positions than n_positions, naming the limit', async () => {
    const model = await load(folder, kernels);
    const P = model.config.nPositions;
    const ids = idsFor(P + 1, model.config.vocabSize);
    expect(() => model.forward(ids)).toThrow(`${P + 1} positions exceed the model's context of ${P}`);
    expect(() => model.trace(ids)).toThrow(/keep only the last/);

    // The same limit through the cache: a full cache takes no further token.
    const cache = new KVCache(model.config);
    model.forward(ids.slice(0, P), { cache });
    expect(() => model.forward([ids[P]], { cache })).toThrow(`${P + 1} positions exceed the model's context of ${P}`);
    expect(cache.length).toBe(P);
  });
});

// The trace keeps the forward pass's own arrays rather than copies, which is only right while
// nothing writes to an array once it is computed, and while no two tensors share memory.
describe.each(CASES)('a trace on $folder, $kernels kernels', ({ folder, kernels }) => {
  it('owns its arrays: later passes, cached or not, leave it unchanged', async () => {
    const model = await load(folder, kernels);
    const ids = idsFor(6, model.config.vocabSize);
    const trace = model.trace(ids);
    const snapshot = new Map([...trace].map(([name, t]) => [name, t.data.slice()]));
    const buffers = new Set([...trace.values()].map((t) => t.data.buffer));
    expect(buffers.size).toBe(trace.size);

    model.trace(ids.slice().reverse());
    const cache = new KVCache(model.config);
    model.forward(ids.slice(0, 4), { cache });
    model.forward(ids.slice(4), { cache, lastOnly: true });
    for (const [name, t] of trace) expect(largestDifference(t.data, snapshot.get(name)!), name).toBe(0);
  });

  it('untraced passes, which reuse their intermediates from pass to pass, give the traced logits bit for bit', async () => {
    const model = await load(folder, kernels);
    const { nPositions: P, vocabSize: V } = model.config;
    const ids = idsFor(P, V);
    // Longer, then shorter, then cached passes: each must overwrite everything it reuses.
    for (const T of [P, 3, 1, P - 1, 7]) {
      const want = model.trace(ids.slice(0, T)).get('logits')!.data;
      expect(Array.from(model.forward(ids.slice(0, T)).logits), `T = ${T}`).toEqual(Array.from(want));
      if (T === 1) continue;
      const cache = new KVCache(model.config);
      model.forward(ids.slice(0, T - 1), { cache });
      const last = model.forward([ids[T - 1]], { cache }).logits;
      expect(largestDifference(last, want.subarray((T - 1) * V)), `T = ${T}, cached`).toBeLessThanOrEqual(TOLERANCE);
    }
  });
});
