// What lets GPT-2 large and XL load, on small random models: safetensors read as their bytes
// stream in (any chunking gives the same numbers; a cut stream is refused), weights held by the
// kernels give the same trace bit for bit, F32 weights kept as 16-bit halves stay within the
// stated tolerance of F32, sharded folders load (and bad ones are refused), and the memory plan
// keeps floats where they fit, halves where they do not, and refuses what cannot fit, before
// reading a byte of the weights.

import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ModelError, configToHuggingFace, parameterCount, type GPTConfig } from '../src/model/config.ts';
import { parseSafetensors, tensorFloat32, writeSafetensors } from '../src/model/safetensors.ts';
import { SafetensorsReader, readThrough } from '../src/model/safetensors-stream.ts';
import { readWeights, weightsFromBytes } from '../src/model/checkpoint-read.ts';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { modelToFiles } from '../src/model/checkpoint.ts';
import { describePlan, EXPLANATION_BUDGET_BYTES, explanationBytes, memoryPlan, reserveFor, tokensWithin } from '../src/model/memory.ts';
import { explain, InputError } from '../src/model/explain.ts';
import { CharTokenizer } from '../src/tokenizer/index.ts';
import { GPT, KVCache } from '../src/model/gpt.ts';
import { namedParameters, type GPTWeights } from '../src/model/weights.ts';
import { bestKernels, plainTrainingKernels, WasmKernels, wasmSimdSupported } from '../src/kernels/index.ts';
import { HeldMatrix } from '../src/kernels/held.ts';
import { TrainModel } from '../src/train/model.ts';
import { initGPT2 } from '../src/train/init.ts';
import { writeShardedModel, shardName } from './helpers/sharded.ts';

const scratch = await mkdtemp(join(tmpdir(), 'big-models-test-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));
let folders = 0;
const newFolder = (): string => {
  const dir = join(scratch, `m${folders++}`);
  mkdirSync(dir);
  return dir;
};

/** A random model initialised as GPT-2 is for training (N(0, 0.02²), layer norms at 1). */
function gpt2Like(config: GPTConfig, seed: number): GPTWeights {
  const model = new TrainModel(config, plainTrainingKernels);
  initGPT2(model, seed);
  return model.weights;
}

const CONFIG: GPTConfig = { nLayer: 3, nHead: 4, nEmbd: 64, vocabSize: 300, nPositions: 32, layerNormEpsilon: 1e-5, tieWordEmbeddings: true };
const UNTIED: GPTConfig = { ...CONFIG, nLayer: 2, tieWordEmbeddings: false };
const IDS = [5, 17, 299, 0, 42, 42, 7, 100, 250, 3];

/** The bytes in chunks whose sizes are given (cycled), as Node Buffers cut from one pool, as a file stream hands them over. */
async function* chunked(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  const pool = Buffer.from(bytes);
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]);
    yield pool.subarray(at, at + n);
    at += n;
  }
}

describe('a safetensors file read as it streams in', () => {
  const tensors = [
    { name: 'a', shape: [3, 5], data: Float32Array.from({ length: 15 }, (_, i) => i / 7 - 1) },
    { name: 'b', shape: [4], data: Int32Array.from([3, 1, 4, 1]) },
    { name: 'c', shape: [2, 3], data: Float32Array.from([0.5, -2, 3.25, 1e-3, 65504, -0]) },
  ];

  for (const dtype of ['F32', 'F16'] as const) {
    it(`gives the same numbers however its bytes are cut (${dtype})`, async () => {
      const bytes = writeSafetensors(tensors, { dtype });
      const file = parseSafetensors(bytes);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }), async (sizes) => {
          const got = new Map<string, number[]>();
          const reader = new SafetensorsReader('x.safetensors', bytes.length, (entries) => {
            const sinks = new Map();
            for (const name of entries.keys()) {
              got.set(name, new Array(entries.get(name)!.shape.reduce((x, y) => x * y, 1)).fill(NaN));
              sinks.set(name, { write: (values: ArrayLike<number>, at: number) => Array.from(values).forEach((v, i) => (got.get(name)![at + i] = v)) });
            }
            return sinks;
          });
          await readThrough(reader, chunked(bytes, sizes));
          expect(got.get('a')).toEqual(Array.from(tensorFloat32(file, 'a')));
          expect(got.get('b')).toEqual([3, 1, 4, 1]);
          expect(got.get('c')).toEqual(Array.from(tensorFloat32(file, 'c')));
        }),
        { numRuns: 60 },
      );
    });
  }

  it('refuses a stream that ends early or runs long, and a value that is not finite, naming the file', async () => {
    const bytes = writeSafetensors(tensors);
    const read = (data: Uint8Array, size: number | null) =>
      readThrough(new SafetensorsReader('x.safetensors', size, (entries) => new Map([...entries.keys()].map((k) => [k, { write: () => {} }]))), chunked(data, [13]));
    await expect(read(bytes.subarray(0, bytes.length - 9), bytes.length)).rejects.toThrow(/x\.safetensors: the file ended after \d+ bytes of \d+; it is truncated/);
    await expect(read(bytes.subarray(0, bytes.length - 9), null)).rejects.toThrow(/x\.safetensors: the file ended after \d+ bytes of \d+; it is truncated/);
    await expect(read(bytes.subarray(0, 20), null)).rejects.toThrow(/ended after 20 bytes, inside its header/);
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    await expect(read(longer, bytes.length)).rejects.toThrow(/holds more than the \d+ bytes it was announced as/);
    const broken = writeSafetensors([{ name: 'a', shape: [3], data: Float32Array.from([1, NaN, 2]) }]);
    await expect(read(broken, broken.length)).rejects.toThrow(/tensor "a" holds NaN at index 1/);
    const infinite = writeSafetensors([{ name: 'a', shape: [3], data: Float32Array.from([1, 2, -Infinity]) }]);
    await expect(read(infinite, infinite.length)).rejects.toThrow(/tensor "a" holds -Infinity at index 2; weights must be finite numbers/);
  });

  it('refuses a number beyond what a sink that narrows to halves can hold, and keeps the largest half', async () => {
    const bytes = writeSafetensors([{ name: 'a', shape: [4], data: Float32Array.from([1, -65504, 70000, 2]) }]);
    const kept: number[] = [];
    const read = (limit: number | undefined) =>
      readThrough(new SafetensorsReader('x.safetensors', bytes.length, () => new Map([['a', { limit, write: (v: ArrayLike<number>) => kept.push(...Array.from(v)) }]])), chunked(bytes, [9]));
    await expect(read(65504)).rejects.toThrow(/tensor "a" holds 70000 at index 2, beyond the ±65,504 a 16-bit half can hold/);
    expect(kept).not.toContain(70000);
    await expect(read(undefined)).resolves.toBeUndefined(); // floats keep it
  });
});

describe('GPT-2 weights read as they stream in', () => {
  for (const config of [CONFIG, UNTIED]) {
    const weights = gpt2Like(config, 3);
    const bytes = modelToFiles(config, weights).safetensorsBytes;
    const source = { name: 'model.safetensors', size: bytes.length, chunks: () => chunked(bytes, [1000, 7, 333]) };
    const tied = config.tieWordEmbeddings ? 'tied' : 'untied';

    it(`are the numbers read whole (${tied})`, async () => {
      const streamed = await readWeights(config, [source], null, 'm');
      const whole = weightsFromBytes(config, bytes, 'm/model.safetensors', 'm/config.json');
      const a = namedParameters(config, streamed as GPTWeights);
      namedParameters(config, whole as GPTWeights).forEach((t, i) => expect(a[i].data, t.name).toEqual(t.data));
    });

    it.runIf(wasmSimdSupported())(`held by the kernels as floats, give the trace of the arrays, bit for bit (${tied})`, async () => {
      const kernels = bestKernels();
      const held = await readWeights(config, [source], null, 'm', { kernels, precision: 'f32' });
      expect(held.h[1].mlp.c_fc.weight).toBeInstanceOf(HeldMatrix);
      expect(held.lm_head ?? held.wte).toBeInstanceOf(HeldMatrix);
      expect(held.wpe).toBeInstanceOf(Float32Array);
      const viaHeld = new GPT(config, held, kernels).trace(IDS);
      const viaArrays = new GPT(config, weights, bestKernels()).trace(IDS);
      for (const [name, t] of viaArrays) expect(Array.from(viaHeld.get(name)!.data), name).toEqual(Array.from(t.data));
    });
  }

  // The tolerance the README states: every traced tensor within 4·2⁻¹¹ of its largest magnitude.
  const TOLERANCE = 4 * 2 ** -11;

  it.runIf(wasmSimdSupported())(`kept as 16-bit halves, give a trace within ${TOLERANCE.toFixed(5)} of the largest magnitude of each tensor`, async () => {
    for (const config of [CONFIG, UNTIED]) {
      const bytes = modelToFiles(config, gpt2Like(config, 11)).safetensorsBytes;
      const traces = [];
      for (const precision of ['f32', 'f16'] as const) {
        const kernels = bestKernels();
        const weights = weightsFromBytes(config, bytes, 'm/model.safetensors', 'm/config.json', { kernels, precision });
        expect((weights.h[0].attn.c_attn.weight as HeldMatrix).half).toBe(precision === 'f16');
        traces.push(new GPT(config, weights, kernels).trace(IDS));
      }
      let worst = 0;
      for (const [name, t] of traces[0]) {
        const u = traces[1].get(name)!.data;
        let largest = 0;
        let difference = 0;
        for (let i = 0; i < t.data.length; i++) {
          largest = Math.max(largest, Math.abs(t.data[i]));
          difference = Math.max(difference, Math.abs(t.data[i] - u[i]));
        }
        expect(difference, name).toBeLessThanOrEqual(TOLERANCE * largest);
        worst = Math.max(worst, difference / largest);
      }
      // Halves do change the numbers: the test would pass vacuously if the F32 weights were kept.
      expect(worst).toBeGreaterThan(2 ** -14);
    }
  });

  it.runIf(wasmSimdSupported())('kept as halves, refuse a weight too large for one, naming it', () => {
    const weights = gpt2Like(CONFIG, 12);
    weights.h[1].mlp.c_fc.weight[5] = -1e5;
    const bytes = modelToFiles(CONFIG, weights).safetensorsBytes;
    const load = (precision: 'f32' | 'f16') => weightsFromBytes(CONFIG, bytes, 'm/model.safetensors', 'm/config.json', { kernels: bestKernels(), precision });
    expect(() => load('f16')).toThrow(/tensor "h\.1\.mlp\.c_fc\.weight" holds -100000 at index 5, beyond the ±65,504 a 16-bit half can hold/);
    expect(() => load('f32')).not.toThrow();
  });
});

describe('sharded folders (model.safetensors.index.json)', () => {
  const weights = gpt2Like(CONFIG, 5);

  it('load as the same weights as one file, into arrays or held by the kernels', async () => {
    const dir = writeShardedModel(newFolder(), CONFIG, weights, 3, 'F16');
    const loaded = await loadModelDir(dir);
    const single = newFolder();
    const { configJsonText, safetensorsBytes } = modelToFiles(CONFIG, weights, 'F16');
    await writeFile(join(single, 'config.json'), configJsonText);
    await writeFile(join(single, 'model.safetensors'), safetensorsBytes);
    const one = await loadModelDir(single);
    const a = namedParameters(CONFIG, loaded.weights);
    namedParameters(CONFIG, one.weights).forEach((t, i) => expect(a[i].data, t.name).toEqual(t.data));
    if (wasmSimdSupported()) {
      const kernels = bestKernels();
      const held = await loadModelDir(dir, { kernels });
      expect(held.plan?.precision).toBe('f32');
      expect(Array.from(new GPT(CONFIG, held.weights, kernels).forward(IDS).logits)).toEqual(Array.from(new GPT(CONFIG, one.weights, bestKernels()).forward(IDS).logits));
    }
  });

  it('refuse a missing shard, a tensor in another shard than the index says, and a tensor no shard holds', async () => {
    const missing = writeShardedModel(newFolder(), CONFIG, weights, 3);
    await rm(join(missing, shardName(1, 3)));
    await expect(loadModelDir(missing)).rejects.toThrow(new RegExp(`${shardName(1, 3)} is missing; model\\.safetensors\\.index\\.json names it`));

    const moved = writeShardedModel(newFolder(), CONFIG, weights, 2);
    const index = JSON.parse(readFileSync(join(moved, 'model.safetensors.index.json'), 'utf8'));
    const name = 'transformer.h.0.ln_1.weight';
    index.weight_map[name] = index.weight_map[name] === shardName(0, 2) ? shardName(1, 2) : shardName(0, 2);
    writeFileSync(join(moved, 'model.safetensors.index.json'), JSON.stringify(index));
    await expect(loadModelDir(moved)).rejects.toThrow(/holds tensor "transformer\.h\.0\.ln_1\.weight", which model\.safetensors\.index\.json puts in model-0000\d-of-00002\.safetensors/);

    const ghost = writeShardedModel(newFolder(), CONFIG, weights, 2);
    const shard = shardName(0, 2);
    const file = parseSafetensors(readFileSync(join(ghost, shard)));
    const kept = [...file.entries.keys()].slice(1);
    writeFileSync(join(ghost, shard), writeSafetensors(kept.map((n) => ({ name: n, shape: file.entries.get(n)!.shape, data: tensorFloat32(file, n) }))));
    await expect(loadModelDir(ghost)).rejects.toThrow(/is listed in model\.safetensors\.index\.json but its shard does not hold it/);

    const bad = writeShardedModel(newFolder(), CONFIG, weights, 2);
    writeFileSync(join(bad, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: '../model.safetensors' } }));
    await expect(loadModelDir(bad)).rejects.toThrow(/names the shard "\.\.\/model\.safetensors"; shards must be \.safetensors files beside the index/);
  });
});

const GPT2 = (nLayer: number, nHead: number, nEmbd: number, nPositions = 1024): GPTConfig => ({ nLayer, nHead, nEmbd, vocabSize: 50257, nPositions, layerNormEpsilon: 1e-5, tieWordEmbeddings: true });

describe('the memory plan', () => {
  const limit = 2 ** 32;

  it('keeps floats where they fit (GPT-2 large) and halves where they do not (XL), within a 32-bit memory', () => {
    const large = memoryPlan(GPT2(36, 20, 1280), limit, true);
    expect(large).toMatchObject({ precision: 'f32', fits: true });
    expect(large.heldBytes).toBeGreaterThan(3e9);
    const xl = memoryPlan(GPT2(48, 25, 1600), limit, true);
    expect(xl).toMatchObject({ precision: 'f16', fits: true });
    expect(xl.kernelBytes).toBeLessThan(limit);
    expect(memoryPlan(GPT2(48, 25, 1600), limit, true, 'f32').fits).toBe(false);
    // Kernels that hold nothing keep every parameter as a float, with no limit of their own.
    expect(memoryPlan(GPT2(12, 12, 768), Infinity, false)).toMatchObject({ precision: 'f32', kernelBytes: 0, arrayBytes: 4 * parameterCount(GPT2(12, 12, 768)) });
  });

  it('names the size and the limit of a model that cannot fit, even as halves', () => {
    const big = GPT2(32, 32, 2560, 2048);
    const plan = memoryPlan(big, limit, true);
    expect(plan).toMatchObject({ precision: 'f16', fits: false });
    expect(describePlan(plan, parameterCount(big))).toMatch(
      /needs about 6\.\d GB of memory: its 2,651,553,280 parameters as 16-bit halves .* of it in WebAssembly memory, which holds at most 4\.3 GB \(4,294,967,296 bytes\), even with its weights kept as 16-bit halves\. It cannot run here: pick a smaller model\./,
    );
  });

  it.runIf(wasmSimdSupported())('reserves the kernels\' memory, or refuses when the engine will not give it', () => {
    const kernels = new WasmKernels();
    const plan = reserveFor(CONFIG, kernels, 'm');
    expect(kernels.memoryBytes).toBeGreaterThanOrEqual(plan.kernelBytes);
    expect(() => reserveFor(GPT2(32, 32, 2560, 2048), new WasmKernels(), 'big')).toThrow(ModelError);
    expect(() => reserveFor(GPT2(32, 32, 2560, 2048), new WasmKernels(), 'big')).toThrow(/^big needs about .* It cannot run here/);
  });

  it('sizes the generation cache to what it will hold, not the whole context', () => {
    const cache = new KVCache(GPT2(2, 2, 8, 1024), 13);
    expect(cache.keys[0].length).toBe(13 * 8);
    const model = new GPT(CONFIG, gpt2Like(CONFIG, 1));
    const small = new KVCache(CONFIG, 4);
    model.forward([1, 2, 3], { cache: small });
    expect(() => model.forward([4, 5], { cache: small })).toThrow(/5 positions exceed the cache's capacity of 4/);
  });

  it.runIf(wasmSimdSupported())('refuses a folder too large for this engine before reading a byte of its weights', async () => {
    const dir = newFolder();
    const big = GPT2(40, 32, 4096, 2048);
    await writeFile(join(dir, 'config.json'), JSON.stringify(configToHuggingFace(big)));
    // A sparse file of the right size: zeros, which are no safetensors header, so reading it would fail otherwise.
    await writeFile(join(dir, 'model.safetensors'), new Uint8Array(0));
    await truncate(join(dir, 'model.safetensors'), 2 * parameterCount(big) + 1000);
    await expect(loadModelDir(dir, { kernels: bestKernels() })).rejects.toThrow(/needs about \d+\.\d GB of memory: .* It cannot run here/);
  });
});

describe('the explanation budget', () => {
  it('lets GPT-2 small read its whole context, and refuses a longer prompt for larger models, saying how many tokens fit', () => {
    expect(tokensWithin(GPT2(12, 12, 768), EXPLANATION_BUDGET_BYTES)).toBe(1024);
    expect(tokensWithin(GPT2(48, 25, 1600), EXPLANATION_BUDGET_BYTES)).toBe(253);
    const model = new GPT(CONFIG, gpt2Like(CONFIG, 2));
    const budget = explanationBytes(CONFIG, 20);
    const fit = tokensWithin(CONFIG, budget);
    expect(fit).toBe(20);
    const words = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const chars = new CharTokenizer('abcdefghijklmnopqrstuvwxyz');
    const options = { modelName: 'm', generateTokens: 0, maxExplanationBytes: budget };
    expect(explain(model, chars, words(fit), options).tokens.length).toBe(fit);
    expect(() => explain(model, chars, words(fit + 1), options)).toThrow(InputError);
    expect(() => explain(model, chars, words(fit + 1), options)).toThrow(new RegExp(`A prompt of 21 tokens would need \\d+ kB for every number .* more than the \\d+ kB this page allows itself: shorten it to 20 tokens or fewer\\.`));
  });
});
