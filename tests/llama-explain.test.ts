// explain() and generation for the Llama family: the explanation says what the model has (norm,
// positions, key/value heads, MLP, biases, head), counts the parameters the files hold, names
// every traced tensor in the registry with its shape; generation through the KV cache picks
// what an uncached pass would; `generate --model LLAMA_DIR` works and GPT-2's explanation is as before.

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeGpt2 } from '../src/model/architecture.ts';
import { bestKernels } from '../src/kernels/index.ts';
import { WasmKernels, wasmSimdSupported } from '../src/kernels/wasm/wasm-kernels.ts';
import { generate } from '../src/model/generate.ts';
import { Llama, LlamaKVCache } from '../src/model/llama.ts';
import { loadLlamaDir } from '../src/model/llama-checkpoint-node.ts';
import { checkLlamaWeightsFit } from '../src/model/llama-checkpoint.ts';
import { shardsOfIndex } from '../src/model/shards.ts';
import { llamaConfigFromJson, llamaParameterCount } from '../src/model/llama-config.ts';
import { llamaPrecision } from '../src/model/memory.ts';
import { modelTraceTable, namedValue } from '../src/model/registry.ts';
import { parseSafetensors } from '../src/model/safetensors.ts';
import { argmax } from '../src/model/sampling.ts';
import { llamaExplanation, llamaFixture, llamaFixtureDir, LLAMA_SCENE_FOLDERS } from './helpers/llama-explanation.ts';
import { cli } from './helpers/run-cli.ts';
import { sceneExplanation, SCENE_CONFIG } from './helpers/scene-explanation.ts';

/** Numbers stored in a folder's weight files, read from their headers alone. */
function storedParameters(dir: string): number {
  let n = 0;
  for (const file of readdirSync(dir).filter((f) => f.startsWith('model') && f.endsWith('.safetensors'))) {
    const bytes = readFileSync(join(dir, file));
    const parsed = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
    for (const entry of parsed.entries.values()) n += entry.shape.reduce((a, b) => a * b, 1);
  }
  return n;
}

describe('explain() on a Llama-family model', () => {
  it('describes what each fixture has', async () => {
    const smol = await llamaExplanation('llama-smol-gqa');
    expect(smol.config).toMatchObject({
      family: 'llama', norm: 'rmsnorm', positions: 'rope', ropeTheta: 100000, mlp: 'swiglu', biases: 'none', tieWordEmbeddings: true,
      nLayer: 3, nHead: 8, nKvHead: 2, headDim: 8, nEmbd: 64, mlpWidth: 176, vocabSize: 400, nPositions: 64,
    });
    const qwen = await llamaExplanation('llama-qwen2-untied');
    expect(qwen.config).toMatchObject({ family: 'qwen2', biases: 'qkv', tieWordEmbeddings: false, nHead: 4, nKvHead: 4, headDim: 12, mlpWidth: 128 });
  });

  it.each(LLAMA_SCENE_FOLDERS)('%s: counts exactly the numbers its weight files hold', async (folder) => {
    const ex = await llamaExplanation(folder);
    expect(ex.parameterCount).toBe(storedParameters(llamaFixtureDir(folder)));
  });

  it.each(LLAMA_SCENE_FOLDERS)('%s: every traced tensor is in the registry with its shape and meaning, and only those', async (folder) => {
    const ex = await llamaExplanation(folder);
    const table = modelTraceTable(ex.config, ex.tokens.length);
    expect([...ex.trace.keys()].sort()).toEqual(table.map((e) => e.name).sort());
    for (const entry of table) {
      const value = namedValue(ex, entry.name)!;
      expect(value.shape, entry.name).toEqual(entry.shape);
      expect(value.data.length, entry.name).toBe(entry.shape.reduce((a, b) => a * b, 1));
      expect(value.what.length, entry.name).toBeGreaterThan(5);
    }
    expect(namedValue(ex, 'embed.position')).toBeUndefined();
    expect(namedValue(ex, 'h.0.ln_1')).toBeUndefined();
  });

  it('starts with the beginning-of-text token its tokenizer adds, and generates with the sampling rule', async () => {
    const ex = await llamaExplanation('llama-smol-gqa');
    expect(ex.tokens[0].text).toBe('<|begin_of_text|>');
    expect(ex.generation).toHaveLength(7);
    expect(ex.generation.every((s) => s.context.length <= 8)).toBe(true);
    expect(ex.sampledProbs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});

describe("RoPE's derived values", () => {
  it.each(LLAMA_SCENE_FOLDERS)('%s: turned query · turned key is the score times √D, and equals the unturned query · the key turned by the difference of angles', async (folder) => {
    for (const [layer, head] of [[0, 0], [2, 3]]) {
      const ex = await llamaExplanation(folder, 'The keeper climbed the stairs every evening', { layer, head });
      const T = ex.tokens.length;
      const dot = namedValue(ex, 'rope.dot')!;
      const relative = namedValue(ex, 'rope.relative')!;
      expect(dot.shape).toEqual([T, T]);
      const scores = ex.trace.get(`h.${layer}.attn.scores`)!.data;
      const rootD = Math.sqrt(ex.config.headDim);
      for (let i = 0; i < T * T; i++) {
        expect(Math.abs(dot.data[i] / rootD - scores[head * T * T + i]), `score ${i}`).toBeLessThan(1e-5);
        expect(Math.abs(relative.data[i] - dot.data[i]), `relative ${i}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(dot.data[i])));
      }
      // Not a coincidence of small numbers: the products vary, and the unturned vectors alone give others.
      const q = ex.trace.get(`h.${layer}.attn.q`)!.data;
      const k = ex.trace.get(`h.${layer}.attn.k`)!.data;
      const { nHead, nKvHead, headDim: D } = ex.config;
      const kv = Math.floor((head * nKvHead) / nHead);
      let unturned = 0;
      for (let d = 0; d < D; d++) unturned += q[(T - 1) * nHead * D + head * D + d] * k[0 * nKvHead * D + kv * D + d];
      expect(Math.abs(unturned - dot.data[(T - 1) * T])).toBeGreaterThan(1e-3);
    }
  });

  it("a GPT-2 explanation has no RoPE values", () => {
    expect(namedValue(sceneExplanation(), 'rope.dot')).toBeUndefined();
    expect(namedValue(sceneExplanation(), 'rope.angles')).toBeUndefined();
  });
});

describe('generation for the Llama family', () => {
  it.each(LLAMA_SCENE_FOLDERS)('%s: greedy steps through the KV cache, sliding window included, pick the argmax of an uncached pass', async (folder) => {
    const { model, tokenizer } = await llamaFixture(folder);
    const prompt = tokenizer.encode('The keeper');
    const steps = [...generate(model, prompt, { temperature: 0, topK: 0, topP: 1, maxNewTokens: 6, seed: 0, window: 5 })];
    expect(steps.map((s) => s.dropped)).toEqual(steps.map((s) => Math.max(0, prompt.length + steps.indexOf(s) - 5)));
    const V = model.config.vocabSize;
    for (const step of steps) {
      const { logits } = model.forward(step.context);
      expect(step.id).toBe(argmax(logits.subarray((step.context.length - 1) * V)));
    }
  });
});

describe("the Llama family's KV cache", () => {
  it('grows past its first 64 positions and keeps giving the full pass', async () => {
    const { config, weights } = await loadLlamaDir(llamaFixtureDir('llama-llama3-sharded')); // a context of 128
    const model = new Llama(config, weights);
    const ids = Array.from({ length: 100 }, (_, i) => (i * 37 + 11) % config.vocabSize);
    const full = model.forward(ids).logits;
    const cache = new LlamaKVCache(config);
    const V = config.vocabSize;
    model.forward(ids.slice(0, 60), { cache });
    for (let t = 60; t < ids.length; t++) {
      const step = model.forward([ids[t]], { cache }).logits;
      const want = full.subarray(t * V, (t + 1) * V);
      expect(Math.max(...step.map((v, i) => Math.abs(v - want[i]))), `position ${t}`).toBeLessThanOrEqual(1e-5);
    }
    expect(cache.keys[0].length).toBeGreaterThanOrEqual(100 * config.nKvHead * config.headDim);
    expect(() => model.forward(ids.slice(0, 29), { cache })).toThrow(/exceed the model's context of 128/);
  });
});

describe('generate --model on a Llama-family folder', () => {
  it('continues the prompt with the folder tokenizer, greedily as the model predicts', async () => {
    const dir = llamaFixtureDir('llama-smol-gqa');
    const r = await cli('generate', 'The keeper', '--model', dir, '--greedy', '--max-new-tokens', '4', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { tokens: { id: number; probability: number }[]; text: string };
    const { model, tokenizer } = await llamaFixture('llama-smol-gqa');
    const ids = tokenizer.encode('The keeper');
    for (const token of out.tokens) {
      const { logits } = model.forward(ids);
      expect(token.id).toBe(argmax(logits.subarray((ids.length - 1) * model.config.vocabSize)));
      expect(token.probability).toBe(1);
      ids.push(token.id);
    }
    expect(out.tokens).toHaveLength(4);
    expect(out.text).toBe(tokenizer.decode(out.tokens.map((t) => t.id)));
  });

  it('eval scores a Llama-family folder (its numbers are checked in train-cli.test.ts)', async () => {
    const r = await cli('eval', '--data', join(import.meta.dirname, 'fixtures', 'llama-smol-gqa', 'config.json'), '--model', llamaFixtureDir('llama-smol-gqa'), '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tokens).toBeGreaterThan(0);
    expect(out.perplexity).toBeCloseTo(Math.exp(out.loss), 6);
  });
});

describe("a Llama-family folder's files are checked before anything is sized from them", () => {
  const base = { model_type: 'llama', hidden_size: 32, num_attention_heads: 4, num_hidden_layers: 1, intermediate_size: 8, vocab_size: 10 };
  it('refuses absurd sizes, naming the field', () => {
    expect(() => llamaConfigFromJson({ ...base, vocab_size: 5_000_000_000 })).toThrow(/"vocab_size" is 5,000,000,000, more than this program accepts/);
    expect(() => llamaConfigFromJson({ ...base, num_hidden_layers: 100_000 })).toThrow(/"num_hidden_layers"/);
  });
  it('refuses weights too small for the config', () => {
    const config = llamaConfigFromJson(base);
    expect(() => checkLlamaWeightsFit(config, 1000, 'w', 'c')).toThrow(/w holds 1,000 bytes, but c needs at least/);
    expect(() => checkLlamaWeightsFit(config, 2 * llamaParameterCount(config), 'w', 'c')).not.toThrow();
  });
  // Llama 3.2 1B's and 3B's shapes: 1,235,814,400 and 3,212,749,824 parameters.
  const llama1b = { ...base, architectures: ['LlamaForCausalLM'], hidden_size: 2048, num_attention_heads: 32, num_key_value_heads: 8, num_hidden_layers: 16, intermediate_size: 8192, vocab_size: 128256, tie_word_embeddings: true };
  const llama3b = { ...llama1b, hidden_size: 3072, num_attention_heads: 24, num_hidden_layers: 28 };

  it('keeps a model as floats where they fit the kernels’ memory, as halves where only those fit (the command line), else refuses it naming both sizes', () => {
    const limit = 2 ** 32;
    expect(llamaParameterCount(llamaConfigFromJson(llama1b))).toBe(1_235_814_400);
    expect(llamaPrecision(llamaConfigFromJson(base), limit, 'tiny', false)).toBe('f32');
    // The page holds the floats in JavaScript too, so it takes no halves: 1B is refused there.
    expect(() => llamaPrecision(llamaConfigFromJson(llama1b), limit, 'Llama-3.2-1B', false)).toThrow(
      /^Llama-3\.2-1B needs about 4\.9 GB of memory: its 1,235,814,400 parameters as 32-bit floats, and the memory the kernels compute in holds at most 4\.3 GB here\. The page keeps Llama-family models as floats .*Pick one of at most about 1,073M parameters\.$/,
    );
    expect(llamaPrecision(llamaConfigFromJson(llama1b), limit, 'Llama-3.2-1B', true)).toBe('f16');
    expect(() => llamaPrecision(llamaConfigFromJson(llama3b), limit, 'Llama-3.2-3B', true)).toThrow(
      /^Llama-3\.2-3B needs about 6\.4 GB of memory: its 3,212,749,824 parameters even as 16-bit halves, .*Pick one of at most about 2,147M parameters\.$/,
    );
  });

  it('the command line refuses a model too big even as halves before reading any weights file, and takes one that fits as halves', async () => {
    // Folders with only a config.json: a refusal must come before the missing weights are noticed.
    const folder = (config: object) => {
      const dir = mkdtempSync(join(tmpdir(), 'at-llama-big-'));
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      return dir;
    };
    const [dir1b, dir3b] = [folder(llama1b), folder(llama3b)];
    try {
      const [r1b, r3b] = [await cli('run', 'Hello', '--model', dir1b), await cli('run', 'Hello', '--model', dir3b)];
      for (const r of [r1b, r3b]) {
        expect(r.code).toBe(1);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
      // The limit is the WebAssembly kernels' 32-bit memory; the plain kernels keep floats in JavaScript, unlimited.
      if (bestKernels().memoryLimit !== undefined) {
        expect(r3b.stderr).toMatch(/needs about 6\.4 GB of memory: its 3,212,749,824 parameters even as 16-bit halves/);
        expect(r3b.stderr).not.toMatch(/missing/);
      } else expect(r3b.stderr).toMatch(/model\.safetensors is missing/);
      // 1B fits as halves, so the command goes on to its (absent) weights.
      expect(r1b.stderr).toMatch(/model\.safetensors is missing/);
    } finally {
      for (const dir of [dir1b, dir3b]) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an index naming a shard outside its folder', () => {
    expect(() => shardsOfIndex(JSON.stringify({ weight_map: { a: '../secret.safetensors' } }), 'index')).toThrow(/shards must be \.safetensors files beside the index/);
  });
});

describe("GPT-2's explanation", () => {
  it('describes GPT-2 as it is: a position table, layer norm, GELU, biases everywhere, every head its own keys', () => {
    const ex = sceneExplanation();
    expect(ex.config).toEqual(describeGpt2(SCENE_CONFIG));
    expect(ex.config).toMatchObject({ family: 'gpt2', norm: 'layernorm', positions: 'table', mlp: 'gelu', biases: 'all', nKvHead: 6, headDim: 16, mlpWidth: 384, ropeTheta: null });
  });
});

describe('a Llama-family model kept as halves (the command line, when its floats do not fit)', () => {
  it('traces every tensor within 4 · 2⁻¹¹ of its largest magnitude of the model kept as floats, and the halves do change the numbers', async () => {
    // An F32 fixture (a BF16 one's weights are exact as halves), every matrix kept resident however small.
    const { config, weights } = await loadLlamaDir(llamaFixtureDir('llama-mha-untied'));
    const ids = [1, 17, 42, 60, 25, 7];
    if (!wasmSimdSupported()) {
      // The plain kernels keep no halves: the command line's choice makes no difference there.
      expect(bestKernels({ halfWeights: true }).memoryLimit).toBeUndefined();
      return;
    }
    const floats = new Llama(config, weights, new WasmKernels({ residentMinFloats: 1 })).trace(ids);
    const halves = new Llama(config, weights, new WasmKernels({ residentMinFloats: 1, halfWeights: true })).trace(ids);
    let changed = 0;
    for (const [name, tensor] of floats) {
      const other = halves.get(name)!.data;
      let largest = 0;
      let difference = 0;
      tensor.data.forEach((v, i) => {
        largest = Math.max(largest, Math.abs(v));
        difference = Math.max(difference, Math.abs(v - other[i]));
      });
      expect(difference, name).toBeLessThanOrEqual(4 * 2 ** -11 * largest);
      if (difference > 0) changed++;
    }
    expect(changed).toBeGreaterThan(10);
  });
});
