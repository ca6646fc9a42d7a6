// Proof against transformers: on the committed random-weight Llama-family folders
// (scripts/fixtures/llama_fixtures.py), every tensor of the Llama trace table equals the one
// transformers computed, captured by hooks, within 1e-4. The BF16 folder's reference is
// transformers computing in float32 from the file's bfloat16 weights (the same 1e-4), and its
// logits computed in bfloat16 itself within the stated looser tolerance. Also: a KV cache fed one
// token at a time gives the full pass's numbers, and config.json picks the family.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Llama, LlamaKVCache } from '../src/model/llama.ts';
import { modelTraceTable } from '../src/model/registry.ts';
import { describeLlama } from '../src/model/architecture.ts';
import { loadLlamaDir, modelFromDir } from '../src/model/llama-checkpoint-node.ts';
import { familyOf } from '../src/model/llama-checkpoint.ts';
import { llamaConfigFromJson } from '../src/model/llama-config.ts';
import { parseSafetensors, tensorFloat32 } from '../src/model/safetensors.ts';
import { ModelError } from '../src/model/config.ts';
import { plainKernels } from '../src/kernels/plain.ts';
import { WasmKernels, wasmSimdSupported } from '../src/kernels/wasm/wasm-kernels.ts';
import type { Kernels } from '../src/kernels/kernels.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const FOLDERS = ['llama-gqa-tied', 'llama-mha-untied', 'llama-qwen2-bias', 'llama-bf16', 'llama-llama3-sharded', 'llama-smol-gqa', 'llama-qwen2-untied'];
const TOLERANCE = 1e-4;
/** transformers computing in bfloat16 (8 significant bits) is 0.09 off its own float32 logits here (largest logit 5.0). */
const BF16_COMPUTE_TOLERANCE = 0.15;
const KERNELS: Record<string, () => Kernels> = { plain: () => plainKernels, wasm: () => new WasmKernels() };
const CASES = FOLDERS.flatMap((folder) => Object.keys(KERNELS).filter((k) => k !== 'wasm' || wasmSimdSupported()).map((kernels) => ({ folder, kernels })));

function reference(folder: string): { ids: number[]; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
  const { ids } = JSON.parse(readFileSync(join(FIXTURES, folder, 'reference.json'), 'utf8')) as { ids: number[] };
  const bytes = readFileSync(join(FIXTURES, folder, 'reference.safetensors'));
  const file = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), folder);
  const tensors = new Map([...file.entries].map(([name, e]) => [name, { shape: e.shape, data: tensorFloat32(file, name) }]));
  return { ids, tensors };
}

function largest(ours: Float32Array, theirs: Float32Array): { diff: number; at: number } {
  let diff = 0;
  let at = -1;
  for (let i = 0; i < theirs.length; i++) {
    const d = Math.abs(ours[i] - theirs[i]);
    if (!(d <= diff)) [diff, at] = [Number.isNaN(d) ? Infinity : d, i];
  }
  return { diff, at };
}

describe.each(CASES)('parity with transformers: $folder, $kernels kernels', ({ folder, kernels }) => {
  const ref = reference(folder);

  it('traces exactly the trace table, and every tensor matches within 1e-4', async () => {
    const { config, weights } = await loadLlamaDir(join(FIXTURES, folder));
    const model = new Llama(config, weights, KERNELS[kernels]());
    const trace = model.trace(ref.ids);
    const table = modelTraceTable(describeLlama(config), ref.ids.length);
    expect([...trace.keys()].sort()).toEqual(table.map((e) => e.name).sort());
    const referenced = [...ref.tensors.keys()].filter((n) => n !== 'logits_in_file_dtype').sort();
    expect(referenced).toEqual(table.map((e) => e.name).sort());
    for (const entry of table) {
      const ours = trace.get(entry.name)!;
      const theirs = ref.tensors.get(entry.name)!;
      expect(ours.shape, entry.name).toEqual(entry.shape);
      expect(theirs.shape, entry.name).toEqual(entry.shape);
      const { diff, at } = largest(ours.data, theirs.data);
      expect(diff, `${entry.name}[${at}]: ours ${ours.data[at]}, transformers ${theirs.data[at]}`).toBeLessThanOrEqual(TOLERANCE);
    }
    const inFileDtype = ref.tensors.get('logits_in_file_dtype');
    if (inFileDtype) expect(largest(trace.get('logits')!.data, inFileDtype.data).diff).toBeLessThanOrEqual(BF16_COMPUTE_TOLERANCE);
  });

  it('decoding one token at a time with the KV cache gives the full pass', async () => {
    const { config, weights } = await loadLlamaDir(join(FIXTURES, folder));
    const model = new Llama(config, weights, KERNELS[kernels]());
    const full = model.forward(ref.ids).logits;
    const V = config.vocabSize;
    const cache = new LlamaKVCache(config);
    const prompt = 3;
    const first = model.forward(ref.ids.slice(0, prompt), { cache, lastOnly: true }).logits;
    expect(largest(first, full.subarray((prompt - 1) * V, prompt * V)).diff).toBeLessThanOrEqual(1e-5);
    for (let t = prompt; t < ref.ids.length; t++) {
      const step = model.forward([ref.ids[t]], { cache }).logits;
      expect(largest(step, full.subarray(t * V, (t + 1) * V)).diff, `position ${t}`).toBeLessThanOrEqual(1e-5);
    }
    expect(cache.length).toBe(ref.ids.length);
  });
});

describe('choosing the family from config.json', () => {
  it('reads GPT-2 folders as GPT-2 and Llama folders as Llama', async () => {
    expect((await modelFromDir(join(FIXTURES, 'hf-tied'))).family).toBe('gpt2');
    const llama = await modelFromDir(join(FIXTURES, 'llama-qwen2-bias'));
    expect(llama.family).toBe('llama');
    if (llama.family === 'llama') expect(llama.config).toMatchObject({ family: 'qwen2', qkvBias: true, nKvHead: 2 });
  });

  it('names an unsupported model type', () => {
    expect(() => familyOf({ model_type: 'bert', architectures: ['BertModel'] }, 'x/config.json')).toThrow(/model_type "bert".*not supported/);
  });

  it('refuses rope scaling and options it does not compute', () => {
    const base = { model_type: 'llama', hidden_size: 32, num_attention_heads: 4, num_hidden_layers: 1, intermediate_size: 8, vocab_size: 10 };
    expect(() => llamaConfigFromJson({ ...base, rope_scaling: { rope_type: 'yarn', factor: 2 } })).toThrow(ModelError);
    expect(() => llamaConfigFromJson({ ...base, hidden_act: 'gelu' })).toThrow(/hidden_act "gelu"/);
    expect(() => llamaConfigFromJson({ ...base, num_key_value_heads: 3 })).toThrow(/multiple of num_key_value_heads/);
  });
});
