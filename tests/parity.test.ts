// Proof against Hugging Face transformers: our traced forward pass on the committed fixtures
// must give every tensor of the trace table, with exactly its names and shapes, within 1e-5 of
// the values GPT2LMHeadModel computes (read by hooks). The fixtures (checkpoint + transformers'
// trace) come from scripts/fixtures/make_fixtures.py, so this test needs no Python. Both kernel sets are checked: the plain loops and WebAssembly SIMD.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { GPT } from '../src/model/gpt.ts';
import { traceTable } from '../src/model/registry.ts';
import type { Kernels } from '../src/kernels/kernels.ts';
import { plainKernels } from '../src/kernels/plain.ts';
import { WasmKernels, wasmSimdSupported } from '../src/kernels/wasm/wasm-kernels.ts';
import { largestDifference } from './helpers/compare.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const TOLERANCE = 1e-5;
const KERNELS: Record<string, () => Kernels> = { plain: () => plainKernels, wasm: () => new WasmKernels() };
// The WebAssembly kernels only where this engine runs SIMD (vitest.no-simd.config.ts runs without).
const KERNEL_NAMES = Object.keys(KERNELS).filter((name) => name !== 'wasm' || wasmSimdSupported());
const CASES = ['tiny-tied', 'tiny-untied-f16'].flatMap((folder) => KERNEL_NAMES.map((kernels) => ({ folder, kernels })));

interface Reference {
  config: { n_layer: number; n_head: number; n_embd: number; n_positions: number; vocab_size: number; tie_word_embeddings: boolean };
  ids: number[];
  tensors: Record<string, { shape: number[]; data: number[] }>;
}

function readReference(folder: string): Reference {
  return JSON.parse(readFileSync(join(FIXTURES, folder, 'reference.json'), 'utf8')) as Reference;
}

/** The fixture's model, computing with the named kernel set. */
async function load(folder: string, kernels = 'plain'): Promise<GPT> {
  const model = await loadModelDir(join(FIXTURES, folder));
  return new GPT(model.config, model.weights, KERNELS[kernels]());
}

describe.each(CASES)('parity with transformers: $folder, $kernels kernels', ({ folder, kernels }) => {
  const reference = readReference(folder);

  it('loads the checkpoint with the config transformers used, and the trace is transformers\' own', async () => {
    expect(readFileSync(join(FIXTURES, folder, 'reference.json'), 'utf8')).toMatch(/"transformers": "\d+\.\d+/);
    const model = await load(folder, kernels);
    const c = reference.config;
    expect(model.config).toMatchObject({
      nLayer: c.n_layer,
      nHead: c.n_head,
      nEmbd: c.n_embd,
      nPositions: c.n_positions,
      vocabSize: c.vocab_size,
      tieWordEmbeddings: c.tie_word_embeddings,
    });
  });

  it('traces exactly the names and shapes of the trace table', async () => {
    const model = await load(folder, kernels);
    const trace = model.trace(reference.ids);
    const table = traceTable(model.config, reference.ids.length);
    expect([...trace.keys()].sort()).toEqual(table.map((e) => e.name).sort());
    for (const entry of table) {
      expect(trace.get(entry.name)?.shape, entry.name).toEqual(entry.shape);
      const size = entry.shape.reduce((a, b) => a * b, 1);
      expect(trace.get(entry.name)?.data.length, entry.name).toBe(size);
    }
    // The fixture itself must follow the table too, or the comparison below would skip tensors.
    expect(Object.keys(reference.tensors).sort()).toEqual(table.map((e) => e.name).sort());
    for (const entry of table) expect(reference.tensors[entry.name].shape, entry.name).toEqual(entry.shape);
  });

  it(`every traced tensor is within ${TOLERANCE} of transformers`, async () => {
    const model = await load(folder, kernels);
    const trace = model.trace(reference.ids);
    const lines: string[] = [];
    let worst = 0;
    for (const entry of traceTable(model.config, reference.ids.length)) {
      const ours = trace.get(entry.name);
      const theirs = reference.tensors[entry.name];
      if (!ours || !theirs) {
        lines.push(`${entry.name}: missing from ${ours ? 'the fixture' : 'our trace'}`);
        worst = Infinity;
        continue;
      }
      expect(ours.data.length, entry.name).toBe(theirs.data.length);
      const { diff, at } = largestDifference(ours.data, theirs.data);
      worst = Math.max(worst, diff);
      const flag = diff > TOLERANCE ? '  <-- too far' : '';
      lines.push(`${entry.name}: largest difference ${diff.toExponential(2)} at index ${at}${flag}`);
    }
    expect(worst, `largest difference per tensor:\n${lines.join('\n')}`).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('the parity check can fail', () => {
  it('a model that differs in one weight by 1e-3 is caught', async () => {
    // Guards against a comparison that passes vacuously (e.g. comparing a tensor with itself).
    const reference = readReference('tiny-tied');
    const model = await load('tiny-tied');
    model.weights.h[1].mlp.c_proj.bias[3] += 1e-3;
    const trace = model.trace(reference.ids);
    const out = trace.get('h.1.out')!;
    expect(largestDifference(out.data, reference.tensors['h.1.out'].data).diff).toBeGreaterThan(TOLERANCE);
    // Earlier tensors do not depend on that weight and still agree.
    const before = trace.get('h.1.mlp.gelu')!;
    expect(largestDifference(before.data, reference.tensors['h.1.mlp.gelu'].data).diff).toBeLessThanOrEqual(TOLERANCE);
  });
});
