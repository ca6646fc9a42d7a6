// Benchmark (not a test): our forward pass against PyTorch's on the same GPT-2-small-shaped
// weights, measured in the same run, printed as ratios ours / PyTorch.
//
//   npx tsx bench/forward.ts [--kernels plain,wasm] [--reps 3] [--budget 40] [--python PATH]
//
// It makes a random model of GPT-2 small's shape (124M parameters, normal(0, 0.02) weights,
// fixed seed), writes it once as safetensors (F32) to a temporary folder (deleted at the end),
// loads it back through our loader, then times a traced forward pass at T = 16 and T = 128 and
// cached decoding (32 tokens after a 16-token prompt), for each chosen kernel set. PyTorch
// (bench/torch_forward.py, a child process) times the same work on the same file with 2
// threads and with 1, taking turns with ours so both see the same background load.
// Needs /opt/torchenv (or --python) for PyTorch; without it, only our figures are printed.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { GPT2_SMALL, parameterCount, type GPTConfig } from '../src/model/config.ts';
import { GPT, KVCache } from '../src/model/gpt.ts';
import { SeededRandom } from '../src/model/sampling.ts';
import { parameterShapes, weightsFromNamed, type GPTWeights } from '../src/model/weights.ts';
import { loadModelDir, saveModelDir } from '../src/model/checkpoint-node.ts';
import type { Kernels } from '../src/kernels/kernels.ts';
import { plainKernels } from '../src/kernels/plain.ts';
import { WasmKernels, wasmSimdSupported } from '../src/kernels/wasm/wasm-kernels.ts';
import { nodeThreadedKernels } from '../src/kernels/parallel/node.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';

const SEED = 2;
const LENGTHS = [16, 128];
const PROMPT = 16;
const DECODE = 32;
const THREADS = [2, 1]; // PyTorch's thread counts

/** The kernel sets the benchmark can measure, by the name given to --kernels. */
const KERNEL_SETS: Record<string, () => Promise<Kernels>> = {
  plain: async () => plainKernels,
  wasm: async () => {
    if (!wasmSimdSupported()) throw new Error('this Node cannot run WebAssembly SIMD; use --kernels plain');
    return new WasmKernels();
  },
  'wasm-2threads': async () => {
    if (!wasmSimdSupported()) throw new Error('this Node cannot run WebAssembly SIMD; use --kernels plain');
    const kernels = nodeThreadedKernels();
    // The helper thread starts in a few milliseconds; until then products run on one thread.
    for (let waited = 0; !kernels.helperReady && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    if (!kernels.helperReady) throw new Error('the helper thread of wasm-2threads did not start');
    return kernels;
  },
};

const HELP = `Usage: npx tsx bench/forward.ts [options]

Times our traced forward pass (T = ${LENGTHS.join(', ')}) and cached decoding against PyTorch
on a random model of GPT-2 small's shape, and prints the ratios ours / PyTorch.

Options:
  --kernels LIST   kernel sets to measure, comma-separated (${Object.keys(KERNEL_SETS).join(', ')}); default: all
  --reps N         rounds per measurement, after one warm-up; the best is kept (default 3)
  --budget S       stop repeating a measurement after about S seconds (default 40)
  --python PATH    Python with torch and safetensors (default /opt/torchenv/bin/python)
  --help           this text`;

/** normal(0, 0.02) matrices, layer norms at weight 1 and bias 0, zero biases: GPT-2's init. */
function randomWeights(config: GPTConfig, seed: number): GPTWeights {
  const random = new SeededRandom(seed);
  const normal = (): number => {
    // Box–Muller; 1 − u keeps the logarithm finite.
    const u = 1 - random.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
  };
  const tensors = new Map<string, Float32Array>();
  for (const { name, shape } of parameterShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) data.fill(1);
    else if (shape.length === 2) for (let i = 0; i < data.length; i++) data[i] = 0.02 * normal();
    tensors.set(name, data);
  }
  return weightsFromNamed(config, (name) => tensors.get(name)!);
}

/** Milliseconds per token of cached decoding: `decode` single tokens after a PROMPT-token prompt. */
function decodeMsPerToken(model: GPT, ids: number[], decode: number): number {
  const cache = new KVCache(model.config);
  model.forward(ids.slice(0, PROMPT), { cache, lastOnly: true });
  const start = performance.now();
  for (let t = PROMPT; t < PROMPT + decode; t++) model.forward([ids[t]], { cache, lastOnly: true });
  return (performance.now() - start) / decode;
}

function tracedMs(model: GPT, ids: number[], T: number): number {
  const start = performance.now();
  model.trace(ids.slice(0, T));
  return performance.now() - start;
}

/** bench/torch_forward.py as a child process answering one JSON request per line. */
class TorchPeer {
  private readonly answers: string[] = [];
  private wake: (() => void) | null = null;
  private stderr = '';
  private exited = false;
  version = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.answers.push(line);
      this.wake?.();
    });
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    const end = () => {
      this.exited = true;
      this.wake?.();
    };
    child.on('exit', end);
    child.on('error', (e) => {
      this.stderr += e.message;
      end();
    });
  }

  /** Starts PyTorch on the model folder; resolves once it has loaded the weights. */
  static async start(python: string, dir: string, ids: number[]): Promise<TorchPeer> {
    const script = join(import.meta.dirname, 'torch_forward.py');
    const peer = new TorchPeer(spawn(python, [script, dir, '--ids', ids.join(','), '--prompt', `${PROMPT}`]));
    const hello = (await peer.next()) as { torch: string };
    peer.version = hello.torch;
    return peer;
  }

  async ask(request: object): Promise<Record<string, unknown>> {
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    return this.next();
  }

  private async next(): Promise<Record<string, unknown>> {
    while (this.answers.length === 0) {
      if (this.exited) throw new Error(`PyTorch stopped: ${this.stderr.trim().split('\n').slice(-3).join(' / ') || 'no message'}`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return JSON.parse(this.answers.shift()!) as Record<string, unknown>;
  }

  close(): void {
    this.child.stdin.end();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ')).join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kernels: { type: 'string', default: Object.keys(KERNEL_SETS).join(',') },
      reps: { type: 'string', default: '3' },
      budget: { type: 'string', default: '40' },
      python: { type: 'string', default: '/opt/torchenv/bin/python' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const reps = Number(values.reps);
  const budgetMs = Number(values.budget) * 1000;
  const names = values.kernels.split(',').filter(Boolean);
  const unknown = names.filter((n) => !(n in KERNEL_SETS));
  if (!Number.isInteger(reps) || reps < 1 || !(budgetMs > 0) || unknown.length > 0 || names.length === 0) {
    console.error(unknown.length > 0 ? `unknown kernel set: ${unknown.join(', ')}` : 'bad --reps or --budget');
    console.error(HELP);
    process.exitCode = 2;
    return;
  }

  const config = GPT2_SMALL;
  const dir = mkdtempSync(join(tmpdir(), 'animated-transformer-bench-'));
  let torch: TorchPeer | null = null;
  try {
    console.log(`Making a random GPT-2 small (${parameterCount(config).toLocaleString('en')} parameters, seed ${SEED}) in ${dir}`);
    await saveModelDir(dir, config, randomWeights(config, SEED), { dtype: 'F32', tokenizer: gpt2Tokenizer() });
    const loaded = await loadModelDir(dir);
    const random = new SeededRandom(SEED + 1);
    const ids = Array.from({ length: Math.max(...LENGTHS, PROMPT + DECODE) }, () => Math.floor(random.next() * config.vocabSize));

    const models = new Map<string, GPT>();
    for (const name of names) {
      const model = new GPT(loaded.config, loaded.weights, await KERNEL_SETS[name]());
      // Warm-up of each path (JIT compilation; WASM kernels pack the weights on first use).
      model.trace(ids.slice(0, LENGTHS[0]));
      decodeMsPerToken(model, ids, 2);
      models.set(name, model);
    }
    let torchProblem = '';
    try {
      torch = await TorchPeer.start(values.python, dir, ids);
      for (const threads of THREADS) {
        await torch.ask({ op: 'forward', T: LENGTHS[0], threads });
        await torch.ask({ op: 'decode', n: 2, threads });
      }
    } catch (e) {
      torchProblem = (e as Error).message;
      torch = null;
    }

    // Each measurement takes turns: every kernel set, then PyTorch at each thread count, and
    // again, so both sides see the same background load. The best of the rounds is kept.
    const measures = [
      ...LENGTHS.map((T) => ({
        label: `traced forward, T = ${T}`,
        ours: (m: GPT) => tracedMs(m, ids, T),
        theirs: { op: 'forward', T },
      })),
      { label: `cached decoding, per token`, ours: (m: GPT) => decodeMsPerToken(m, ids, DECODE), theirs: { op: 'decode', n: DECODE } },
    ];
    const best = new Map<string, number>(); // "label|column" → fastest ms
    const keep = (key: string, ms: number) => best.set(key, Math.min(ms, best.get(key) ?? Infinity));
    let rounds = 0;
    for (const m of measures) {
      const start = performance.now();
      for (let round = 0; round < reps && (round === 0 || performance.now() - start < budgetMs); round++) {
        process.stdout.write(`\r${m.label}: round ${round + 1}   `);
        for (const [name, model] of models) keep(`${m.label}|${name}`, m.ours(model));
        for (const threads of torch ? THREADS : []) {
          keep(`${m.label}|torch${threads}`, (await torch!.ask({ ...m.theirs, threads })).ms as number);
        }
        rounds = Math.max(rounds, round + 1);
      }
    }
    process.stdout.write('\n');

    const ms = (x: number) => `${x.toFixed(x < 100 ? 1 : 0)} ms`;
    const rows = [['', 'kernels', 'ours', ...THREADS.flatMap((t) => (torch ? [`PyTorch ${t} thr`, `ours/PyTorch ${t}`] : []))]];
    for (const m of measures) {
      for (const name of names) {
        const ours = best.get(`${m.label}|${name}`)!;
        const row = [name === names[0] ? m.label : '', name, ms(ours)];
        for (const threads of torch ? THREADS : []) {
          const theirs = best.get(`${m.label}|torch${threads}`)!;
          row.push(ms(theirs), `${(ours / theirs).toFixed(2)}×`);
        }
        rows.push(row);
      }
    }
    const torchName = torch ? `PyTorch ${torch.version}` : 'no PyTorch';
    console.log(`\n${torchName}, Node ${process.version}; best of up to ${rounds} rounds; decoding: ${DECODE} tokens after a ${PROMPT}-token prompt`);
    // Other work on the machine slows both sides, PyTorch's threads most: say how busy it was.
    console.log(`${availableParallelism()} cores; load average over the last minute: ${loadavg()[0].toFixed(1)}\n`);
    console.log(table(rows));
    if (!torch) {
      console.log(`\nNo PyTorch figures, so no ratios: ${torchProblem}`);
      return;
    }
    const theirs = (await torch.ask({ op: 'logits', T: LENGTHS[0] })).logits as number[];
    const ours = models.get(names[0])!.forward(ids.slice(0, LENGTHS[0]), { lastOnly: true }).logits;
    let diff = 0;
    for (let i = 0; i < ours.length; i++) diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
    console.log(`\nSame model on both sides: largest logit difference at T = ${LENGTHS[0]} is ${diff.toExponential(2)}`);
  } finally {
    torch?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main().catch((e: unknown) => {
  console.error(`bench/forward.ts: ${(e as Error).message}`);
  process.exitCode = 1;
});
