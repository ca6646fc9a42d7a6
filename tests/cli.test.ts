// The command line, run in-process through main() with stdout and stderr captured, plus one
// run of the real `bin/` entry to check exit codes and that no stack trace reaches the user.

import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bestKernels, wasmSimdSupported } from '../src/kernels/index.ts';
import { loadModelDir, saveModelDir } from '../src/model/checkpoint-node.ts';
import { GPT } from '../src/model/gpt.ts';
import { traceTable } from '../src/model/registry.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';
import { randomModel } from './helpers/random-model.ts';
import { writeShardedModel } from './helpers/sharded.ts';
import { cli } from './helpers/run-cli.ts';
import { loadAnyForCli } from '../src/cli/load.ts';
import { ThreadedWasmKernels } from '../src/kernels/parallel/threaded.ts';
import { TWO_THREAD_CONFIG, writeTinyModel } from './browser/tiny-model.ts';

// A tiny random model with GPT-2's whole vocabulary, so GPT-2 token ids are valid.
const config = { nLayer: 2, nHead: 2, nEmbd: 8, vocabSize: 50257, nPositions: 16, layerNormEpsilon: 1e-5, tieWordEmbeddings: true };
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'at-cli-'));
  await saveModelDir(dir, config, randomModel(config, 5, 0.3).weights, { tokenizer: gpt2Tokenizer() });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a model with more rows than its tokenizer has tokens (padded, as many checkpoints are)', () => {
  // 20,000 rows past GPT-2's 50,257: with random weights, hundreds of them rank among the 1,000 most likely.
  const padded = { ...config, vocabSize: 50257 + 20000 };
  let paddedDir = '';
  beforeAll(async () => {
    paddedDir = await mkdtemp(join(tmpdir(), 'at-cli-padded-'));
    await saveModelDir(paddedDir, padded, randomModel(padded, 6, 0.3).weights, { tokenizer: gpt2Tokenizer() });
  });
  afterAll(() => rm(paddedDir, { recursive: true, force: true }));

  it('run names a padding row as <unused ID> instead of failing', async () => {
    const r = await cli('run', 'The robots will bring', '--model', paddedDir, '--top', '1000', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const unused = JSON.parse(r.stdout).next.filter((t: { id: number }) => t.id >= 50257);
    expect(unused.length).toBeGreaterThan(0);
    for (const t of unused) expect(t.text).toBe(`<unused ${t.id}>`);
  });

  it('generate prints a drawn padding row by that name too', async () => {
    // Temperature 5 flattens the distribution, so 40 draws meet some of the 20,000 padding rows.
    const r = await cli('generate', 'The robots', '--model', paddedDir, '--max-new-tokens', '40', '--temperature', '5', '--top-k', '0', '--top-p', '1', '--seed', '3', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const unused = out.tokens.filter((t: { id: number }) => t.id >= 50257);
    expect(unused.length).toBeGreaterThan(0);
    for (const t of unused) {
      expect(t.text).toBe(`<unused ${t.id}>`);
      expect(out.text).toContain(t.text);
    }
  });
});

describe('animated-transformer CLI', () => {
  it('tokenize prints GPT-2 ids and visible-space pieces', async () => {
    const r = await cli('tokenize', 'The robots will bring', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { id: 464, text: 'The' },
      { id: 14193, text: '␣robots' },
      { id: 481, text: '␣will' },
      { id: 2222, text: '␣bring' },
    ]);
  });

  it('run lists tokens and a top-N whose probabilities come from the forward pass', async () => {
    const r = await cli('run', 'The robots will bring', '--model', dir, '--top', '5', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tokens.map((t: { id: number }) => t.id)).toEqual([464, 14193, 481, 2222]);
    expect(out.next).toHaveLength(5);
    const traced = (await cli('trace', '--ids', '464,14193,481,2222', '--model', dir, '--only', 'probs', '--json')).stdout;
    const probs = JSON.parse(traced).tensors.probs.data.slice(3 * 50257);
    for (const n of out.next) expect(n.probability).toBeCloseTo(probs[n.id], 6);
    for (let i = 1; i < 5; i++) expect(out.next[i - 1].probability).toBeGreaterThanOrEqual(out.next[i].probability);
  });

  it('generate is reproducible with a seed, and greedy ignores the seed', async () => {
    const a = JSON.parse((await cli('generate', 'Hello', '--model', dir, '--max-new-tokens', '6', '--seed', '3', '--json')).stdout);
    const b = JSON.parse((await cli('generate', 'Hello', '--model', dir, '--max-new-tokens', '6', '--seed', '3', '--json')).stdout);
    expect(a.tokens).toHaveLength(6);
    expect(a).toEqual(b);
    const g1 = JSON.parse((await cli('generate', 'Hello', '--model', dir, '--greedy', '--max-new-tokens', '4', '--seed', '1', '--json')).stdout);
    const g2 = JSON.parse((await cli('generate', 'Hello', '--model', dir, '--greedy', '--max-new-tokens', '4', '--seed', '2', '--json')).stdout);
    expect(g1.tokens).toEqual(g2.tokens);
    for (const t of g1.tokens) expect(t.probability).toBe(1);
  });

  it('generate keeps going past a full context by keeping the last tokens', async () => {
    const r = await cli('generate', 'one two three', '--model', dir, '--max-new-tokens', '20', '--greedy', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).tokens).toHaveLength(20); // 3 + 20 > 16 positions
  });

  it('trace --json prints every tensor of the table with its shape and the forward pass\'s values', async () => {
    const r = await cli('trace', 'The robots', '--model', dir, '--json');
    const out = JSON.parse(r.stdout);
    expect(out.tokens).toEqual([{ id: 464, text: 'The' }, { id: 14193, text: '␣robots' }]);
    expect(out.config.n_embd).toBe(8);
    const table = traceTable(config, 2);
    expect(Object.keys(out.tensors)).toEqual(table.map((e) => e.name));
    // The same folder through the library: a float32 printed as a double reads back exactly,
    // so every value must survive the JSON round trip bit for bit.
    const loaded = await loadModelDir(dir);
    const trace = new GPT(loaded.config, loaded.weights, bestKernels()).trace([464, 14193]);
    for (const e of table) {
      expect(out.tensors[e.name].shape).toEqual(e.shape);
      expect(out.tensors[e.name].data).toHaveLength(e.shape.reduce((a, b) => a * b, 1));
      expect(Float32Array.from(out.tensors[e.name].data), e.name).toEqual(trace.get(e.name)!.data);
    }
  });

  it.runIf(wasmSimdSupported())('a model of 30 million parameters or more computes on two threads, to one thread\'s numbers bit for bit', async () => {
    const big = writeTinyModel(await mkdtemp(join(tmpdir(), 'at-cli-two-threads-')), 3, TWO_THREAD_CONFIG);
    try {
      const loaded = await loadAnyForCli(big);
      const small = await loadAnyForCli(dir);
      const kernels = loaded.model.kernels as ThreadedWasmKernels;
      expect(kernels).toBeInstanceOf(ThreadedWasmKernels);
      expect(small.model.kernels).not.toBeInstanceOf(ThreadedWasmKernels);
      expect(await kernels.started(10_000)).toBe(true);
      const ids = gpt2Tokenizer().encode('The robots will bring us the news of the day');
      const two = loaded.model.trace(ids);
      // The same folder on one thread (held weights belong to the kernels they were read into).
      const single = bestKernels();
      const onDisk = await loadModelDir(big, { kernels: single });
      const one = new GPT(onDisk.config, onDisk.weights, single).trace(ids);
      expect(one.size).toBeGreaterThan(30);
      for (const [name, tensor] of one) expect(two.get(name)!.data, name).toEqual(tensor.data);
      kernels.stop();
    } finally {
      await rm(big, { recursive: true, force: true });
    }
  });

  it('trace --only limits the output and rejects unknown names', async () => {
    const only = JSON.parse((await cli('trace', '--ids', '1,2,3', '--model', dir, '--only', 'embed.sum,h.1.out', '--json')).stdout);
    expect(Object.keys(only.tensors)).toEqual(['embed.sum', 'h.1.out']);
    const bad = await cli('trace', '--ids', '1', '--model', dir, '--only', 'h.9.out');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no tensor named "h.9.out"/);
  });

  it('wrong usage exits 2 with the usage; a bad model exits 1 with one line', async () => {
    for (const args of [['run'], ['run', 'x', '--top', 'many'], ['generate', 'x', '--temperature=-1'], ['trace', 'x', '--ids', '1'], ['frobnicate']]) {
      const r = await cli(...args, '--model', dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/Usage|unknown command/);
    }
    const missing = await cli('run', 'x', '--model', join(dir, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/config.json/);
  });

  it('run reads a sharded folder as it reads one file, and refuses a model too large before reading its weights', async () => {
    const sharded = await mkdtemp(join(tmpdir(), 'at-cli-sharded-'));
    try {
      writeShardedModel(sharded, config, randomModel(config, 5, 0.3).weights, 3);
      const one = await cli('run', 'The robots will bring', '--model', dir, '--json');
      const three = await cli('run', 'The robots will bring', '--model', sharded, '--json');
      expect(three.code).toBe(0);
      expect(JSON.parse(three.stdout)).toEqual(JSON.parse(one.stdout));
      // The 4 GiB limit is the WebAssembly kernels'; the plain ones (no SIMD) hold weights as arrays.
      if (!wasmSimdSupported()) return;
      const big = { ...JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')), n_layer: 40, n_head: 32, n_embd: 4096 };
      await writeFile(join(sharded, 'config.json'), JSON.stringify(big));
      await rm(join(sharded, 'model.safetensors.index.json'));
      await writeFile(join(sharded, 'model.safetensors'), '');
      await truncate(join(sharded, 'model.safetensors'), 20e9); // sparse: a size, no bytes worth reading
      const refused = await cli('run', 'hi', '--model', sharded);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/needs about \d+\.\d GB of memory: its [\d,]+ parameters as 16-bit halves .* which holds at most 4\.3 GB .* It cannot run here: pick a smaller model\./);
    } finally {
      await rm(sharded, { recursive: true, force: true });
    }
  });

  it('a config.json with absurd sizes exits 1 with one line naming the field, its value and what to do', async () => {
    const absurd = await mkdtemp(join(tmpdir(), 'at-cli-absurd-'));
    try {
      await cp(join(dir, 'model.safetensors'), join(absurd, 'model.safetensors'));
      const original = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
      const run = promisify(execFile);
      for (const [field, value] of [['vocab_size', 1e9], ['n_embd', 1e6], ['n_layer', 1e5]] as const) {
        await writeFile(join(absurd, 'config.json'), JSON.stringify({ ...original, [field]: value, n_head: 1 }));
        const failed = await run('node', ['bin/animated-transformer.js', 'run', 'hi', '--model', absurd]).catch((e) => e);
        expect(failed.code, field).toBe(1);
        const lines = failed.stderr.trim().split('\n');
        expect(lines, field).toHaveLength(1);
        expect(lines[0]).toContain(`${join(absurd, 'config.json')}: ${field} is ${value.toLocaleString('en-US')}, more than this program accepts`);
        expect(lines[0]).toMatch(new RegExp(`fix ${field} or use the config\\.json that came with the weights`));
        expect(failed.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/);
      }
      // Within the limits but far more than the file holds: refused too, naming the field.
      await writeFile(join(absurd, 'config.json'), JSON.stringify({ ...original, n_positions: 1_000_000 }));
      const deep = await cli('run', 'hi', '--model', absurd);
      expect(deep.code).toBe(1);
      expect(deep.stderr).toMatch(/model\.safetensors holds .* but .*config\.json needs at least .* mostly for its n_positions of 1,000,000/);
    } finally {
      await rm(absurd, { recursive: true, force: true });
    }
  });

  it('every command has its own --help', async () => {
    for (const name of ['tokenize', 'run', 'generate', 'trace', 'train', 'eval', 'render']) {
      const r = await cli(name, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`animated-transformer ${name}`);
    }
  });

  it('the installed bin runs, and a user error gives no stack trace', async () => {
    const run = promisify(execFile);
    const ok = await run('node', ['bin/animated-transformer.js', '--help']);
    expect(ok.stdout).toMatch(/Commands:/);
    const failed = await run('node', ['bin/animated-transformer.js', 'run', 'hi', '--model', join(dir, 'nope')]).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });
});
