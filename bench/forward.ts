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
// --torch-isa adds PyTorch peers confined to narrower vector instructions (AVX2: 256 bits;
// SSE4.2: 128 bits, as WebAssembly's SIMD), to show how much of a gap is the vector width.
// If onnxruntime imports in that Python, ONNX Runtime (bench/onnx_forward.py, a second child
// process) joins too, on the same weights exported to ONNX: it has no traced pass, so it times
// an untraced forward pass (logits only), beside ours and PyTorch's, and cached decoding.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { GPT2_SMALL, parameterCount } from '../src/model/config.ts';
import { GPT, KVCache } from '../src/model/gpt.ts';
import { loadModelDir, saveModelDir } from '../src/model/checkpoint-node.ts';
import { KERNEL_SETS } from './kernel-sets.ts';
import { randomIds, randomWeights } from './random-weights.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';

const SEED = 2;
const LENGTHS = [16, 128];
const PROMPT = 16;
const DECODE = 32;
const THREADS = [2, 1]; // the peers' thread counts

/**
 * The instruction sets a PyTorch peer can be confined to, by the names --torch-isa takes, and
 * the environment that does it: MKL's products (MKL_ENABLE_INSTRUCTIONS), PyTorch's own
 * vectorized kernels (ATEN_CPU_CAPABILITY) and oneDNN's (ONEDNN_MAX_CPU_ISA). MKL has no
 * 128-bit tier with fused multiply-add, so 'sse4.2' matches our SIMD build (multiply, then
 * add, four floats at a time) instruction for instruction.
 */
const TORCH_ISAS: Record<string, { title: string; env: Record<string, string> }> = {
  native: { title: 'PyTorch', env: {} },
  avx2: { title: 'PyTorch AVX2', env: { MKL_ENABLE_INSTRUCTIONS: 'AVX2', ATEN_CPU_CAPABILITY: 'avx2', ONEDNN_MAX_CPU_ISA: 'AVX2' } },
  'sse4.2': { title: 'PyTorch SSE4.2', env: { MKL_ENABLE_INSTRUCTIONS: 'SSE4_2', ATEN_CPU_CAPABILITY: 'default', ONEDNN_MAX_CPU_ISA: 'SSE41' } },
};

const HELP = `Usage: npx tsx bench/forward.ts [options]

Times our traced forward pass (T = ${LENGTHS.join(', ')}) and cached decoding against PyTorch
on a random model of GPT-2 small's shape, and prints the ratios ours / PyTorch. If onnxruntime
imports in that Python, also against ONNX Runtime, whose forward pass is untraced (logits only).

Options:
  --kernels LIST   kernel sets to measure, comma-separated (${Object.keys(KERNEL_SETS).join(', ')}); default: all
                   but plain. wasm: the SIMD build (Node 20's own choice); wasm-relaxed: relaxed SIMD,
                   with fused multiply-add, as Chrome 114+ and Node 22+ run it (Node 20: behind a flag)
  --reps N         rounds per measurement, after one warm-up; the best is kept (default 3)
  --budget S       stop repeating a measurement after about S seconds (default 40)
  --python PATH    Python with torch and safetensors (default /opt/torchenv/bin/python)
  --torch-isa LIST PyTorch peers, comma-separated: ${Object.keys(TORCH_ISAS).join(', ')} (default native). avx2 and
                   sse4.2 confine PyTorch to 256- or 128-bit vectors (WebAssembly SIMD is 128 bits)
  --no-onnx        leave ONNX Runtime out even if it is installed (it saves its export: ~1 GB, a minute)
  --help           this text`;

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

/** Logits only, every position: what ONNX Runtime's forward pass does. */
function untracedMs(model: GPT, ids: number[], T: number): number {
  const start = performance.now();
  model.forward(ids.slice(0, T));
  return performance.now() - start;
}

function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  return diff;
}

/** A Python peer (bench/torch_forward.py or bench/onnx_forward.py): a child process answering
 *  one JSON request per line. */
class PythonPeer {
  private readonly answers: string[] = [];
  private wake: (() => void) | null = null;
  private stderr = '';
  private exited = false;

  private constructor(
    private readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.answers.push(line);
      this.wake?.();
    });
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    // Writing to a peer that has exited fails with EPIPE; next() reports the exit itself.
    child.stdin.on('error', () => {});
    const end = () => {
      this.exited = true;
      this.wake?.();
    };
    child.on('exit', (_code, signal) => {
      if (signal) this.stderr += `\nkilled by ${signal}`; // its last words are not the reason
      end();
    });
    child.on('error', (e) => {
      this.stderr += e.message;
      end();
    });
  }

  /** Starts `script` on the model folder; resolves with the peer and its first line (its
   *  versions) once it is ready, or rejects with the reason it cannot be. */
  static async start(
    name: string, script: string, python: string, dir: string, ids: number[], env: Record<string, string> = {},
  ): Promise<[PythonPeer, Record<string, unknown>]> {
    const path = join(import.meta.dirname, script);
    const child = spawn(python, [path, dir, '--ids', ids.join(','), '--prompt', `${PROMPT}`], { env: { ...process.env, ...env } });
    const peer = new PythonPeer(name, child);
    try {
      return [peer, await peer.next()];
    } catch (e) {
      peer.close();
      throw e;
    }
  }

  /** The answer to `request`; a peer's {"error": ...} answer rejects. */
  async ask(request: object): Promise<Record<string, unknown>> {
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    return this.next();
  }

  private async next(): Promise<Record<string, unknown>> {
    while (this.answers.length === 0) {
      if (this.exited) throw new Error(`${this.name} stopped: ${this.stderr.trim().split('\n').slice(-3).join(' / ') || 'no message'}`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(this.answers.shift()!) as Record<string, unknown>;
    } catch {
      throw new Error(`${this.name} answered something other than JSON`);
    }
    if (typeof answer.error === 'string') throw new Error(answer.error);
    return answer;
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
      kernels: { type: 'string', default: Object.keys(KERNEL_SETS).filter((name) => name !== 'plain').join(',') },
      reps: { type: 'string', default: '3' },
      budget: { type: 'string', default: '40' },
      python: { type: 'string', default: '/opt/torchenv/bin/python' },
      'no-onnx': { type: 'boolean', default: false },
      'torch-isa': { type: 'string', default: 'native' },
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
  const isas = values['torch-isa'].split(',').filter(Boolean);
  const unknownIsas = isas.filter((isa) => !(isa in TORCH_ISAS));
  if (unknownIsas.length > 0 || isas.length === 0) {
    console.error(`unknown --torch-isa: ${unknownIsas.join(', ') || '(none given)'}; choose from ${Object.keys(TORCH_ISAS).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  if (!Number.isInteger(reps) || reps < 1 || !(budgetMs > 0) || unknown.length > 0 || names.length === 0) {
    console.error(unknown.length > 0 ? `unknown kernel set: ${unknown.join(', ')}` : 'bad --reps or --budget');
    console.error(HELP);
    process.exitCode = 2;
    return;
  }

  const config = GPT2_SMALL;
  const dir = mkdtempSync(join(tmpdir(), 'animated-transformer-bench-'));
  // The PyTorch peers, one per instruction set; the first is the reference.
  const torches: { isa: string; title: string; peer: PythonPeer; capability: string }[] = [];
  let ort: PythonPeer | null = null;
  try {
    console.log(`Making a random GPT-2 small (${parameterCount(config).toLocaleString('en')} parameters, seed ${SEED}) in ${dir}`);
    await saveModelDir(dir, config, randomWeights(config, SEED), { dtype: 'F32', tokenizer: gpt2Tokenizer() });
    const loaded = await loadModelDir(dir);
    const ids = randomIds(config, SEED + 1, Math.max(...LENGTHS, PROMPT + DECODE));

    const models = new Map<string, GPT>();
    for (const name of names) {
      const model = new GPT(loaded.config, loaded.weights, await KERNEL_SETS[name]());
      // Warm-up of each path (JIT compilation; WASM kernels pack the weights on first use).
      model.trace(ids.slice(0, LENGTHS[0]));
      decodeMsPerToken(model, ids, 2);
      models.set(name, model);
    }
    let torchProblem = '';
    let torchVersion = '';
    for (const isa of isas) {
      const { title, env } = TORCH_ISAS[isa];
      let peer: PythonPeer | null = null;
      try {
        const started = await PythonPeer.start(title, 'torch_forward.py', values.python, dir, ids, env);
        peer = started[0];
        torchVersion = String(started[1].torch);
        for (const threads of THREADS) {
          await peer.ask({ op: 'forward', T: LENGTHS[0], threads });
          await peer.ask({ op: 'decode', n: 2, threads });
        }
        torches.push({ isa, title, peer, capability: String(started[1].capability) });
      } catch (e) {
        torchProblem = `${title}: ${(e as Error).message}`;
        peer?.close();
        break;
      }
    }
    if (torchProblem) for (const t of torches.splice(0)) t.peer.close();
    const torch = torches[0]?.peer ?? null;

    // ONNX Runtime is optional: whatever goes wrong with it (not installed, export, memory)
    // leaves it out of the table with one line saying why, never the benchmark.
    let ortProblem = '';
    let ortVersion = '';
    if (values['no-onnx']) ortProblem = 'left out by --no-onnx';
    else if (!torch) ortProblem = 'it needs PyTorch to export the model';
    else {
      try {
        const [peer, hello] = await PythonPeer.start('ONNX Runtime', 'onnx_forward.py', values.python, dir, ids);
        ort = peer;
        ortVersion = String(hello.onnxruntime);
        for (const threads of THREADS) {
          await ort.ask({ op: 'forward', T: LENGTHS[0], trace: false, threads });
          await ort.ask({ op: 'decode', n: 2, threads });
        }
      } catch (e) {
        ortProblem = (e as Error).message;
        ort?.close();
        ort = null;
      }
    }
    if (ort) for (const model of models.values()) untracedMs(model, ids, LENGTHS[0]); // warm-up

    // Each measurement takes turns: every kernel set, then each peer at each thread count, and
    // again, so all sides see the same background load. The best of the rounds is kept.
    // ONNX Runtime cannot trace, so with it come untraced passes (logits only) on every side.
    const measures = [
      ...LENGTHS.map((T) => ({
        label: `traced forward, T = ${T}`,
        traced: true,
        ours: (m: GPT) => tracedMs(m, ids, T),
        theirs: { op: 'forward', T },
      })),
      ...(ort ? LENGTHS : []).map((T) => ({
        label: `forward, logits only (not traced), T = ${T}`,
        traced: false,
        ours: (m: GPT) => untracedMs(m, ids, T),
        theirs: { op: 'forward', T, trace: false },
      })),
      { label: `cached decoding, per token`, traced: false, ours: (m: GPT) => decodeMsPerToken(m, ids, DECODE), theirs: { op: 'decode', n: DECODE } },
    ];
    // The peers' columns. PyTorch is the reference: if it fails, the benchmark fails, as it
    // always has. ONNX Runtime failing mid-run only stops its own measurements (`stopped`).
    const peers = [
      ...torches.map((t) => ({ key: `torch-${t.isa}`, title: t.title, peer: t.peer, traces: true, required: true, stopped: '' })),
      ...(ort ? [{ key: 'ort', title: 'ORT', peer: ort, traces: false, required: false, stopped: '' }] : []),
    ];
    const best = new Map<string, number>(); // "label|column" → fastest ms
    const keep = (key: string, ms: number) => best.set(key, Math.min(ms, best.get(key) ?? Infinity));
    let rounds = 0;
    for (const m of measures) {
      const start = performance.now();
      for (let round = 0; round < reps && (round === 0 || performance.now() - start < budgetMs); round++) {
        process.stdout.write(`\r${m.label}: round ${round + 1}   `);
        for (const [name, model] of models) keep(`${m.label}|${name}`, m.ours(model));
        for (const p of peers) {
          if ((m.traced && !p.traces) || p.stopped) continue;
          try {
            for (const threads of THREADS) keep(`${m.label}|${p.key}${threads}`, (await p.peer.ask({ ...m.theirs, threads })).ms as number);
          } catch (e) {
            if (p.required) throw e;
            p.stopped = `it stopped during "${m.label}": ${(e as Error).message}`;
            p.peer.close();
          }
        }
        rounds = Math.max(rounds, round + 1);
      }
    }
    process.stdout.write('\n');
    ortProblem ||= peers.find((p) => p.key === 'ort')?.stopped ?? '';

    const ms = (x: number) => `${x.toFixed(x < 100 ? 1 : 0)} ms`;
    const rows = [['', 'kernels', 'ours', ...peers.flatMap((p) => THREADS.flatMap((t) => [`${p.title} ${t} thr`, `ours/${p.title} ${t}`]))]];
    for (const m of measures) {
      for (const name of names) {
        const ours = best.get(`${m.label}|${name}`)!;
        const row = [name === names[0] ? m.label : '', name, ms(ours)];
        for (const p of peers) {
          for (const threads of THREADS) {
            const theirs = best.get(`${m.label}|${p.key}${threads}`);
            row.push(...(theirs === undefined ? ['—', '—'] : [ms(theirs), `${(ours / theirs).toFixed(2)}×`]));
          }
        }
        rows.push(row);
      }
    }
    const capabilities = torches.map((t) => `${t.title}: ${t.capability}`).join(', ');
    const torchName = torch ? `PyTorch ${torchVersion} (vector kernels ${capabilities})` : 'no PyTorch';
    const ortName = ort ? `, ONNX Runtime ${ortVersion}` : '';
    console.log(`\n${torchName}${ortName}, Node ${process.version}; best of up to ${rounds} rounds; decoding: ${DECODE} tokens after a ${PROMPT}-token prompt`);
    if (ort) {
      console.log('ORT: ONNX Runtime (CPU, sequential, 1 inter-op thread), on the same weights exported to ONNX; it');
      console.log('records no intermediates, so it has no traced figures (—), and untraced ones beside ours (model.forward)');
    }
    // Other work on the machine slows both sides, PyTorch's threads most: say how busy it was.
    console.log(`${availableParallelism()} cores; load average over the last minute: ${loadavg()[0].toFixed(1)}\n`);
    console.log(table(rows));
    if (ortProblem) console.log(`\n${ort ? 'Some ONNX Runtime figures are missing' : 'No ONNX Runtime figures'}: ${ortProblem}`);
    if (!torch) {
      console.log(`\nNo PyTorch figures, so no ratios: ${torchProblem}`);
      return;
    }
    const theirs = (await torch.ask({ op: 'logits', T: LENGTHS[0] })).logits as number[];
    const ours = models.get(names[0])!.forward(ids.slice(0, LENGTHS[0]), { lastOnly: true }).logits;
    console.log(`\nSame model on both sides: largest logit difference at T = ${LENGTHS[0]} is ${largestDifference(ours, theirs).toExponential(2)}`);
    // Peak resident memory of each process: ours holds the weights once as float32 plus the
    // packed copy each kernel set keeps in its WebAssembly memory.
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
    const peaks = [`ours (Node, ${names.join(' + ')}) ${mb(process.resourceUsage().maxRSS * 1024)}`];
    for (const [title, peer] of [...torches.map((t) => [t.title, t.peer] as const), ['ONNX Runtime', ort] as const]) {
      if (!peer) continue;
      try {
        peaks.push(`${title} ${mb((await peer.ask({ op: 'peak-memory' })).bytes as number)}`);
      } catch (e) {
        peaks.push(`${title} unknown (${(e as Error).message})`);
      }
    }
    console.log(`Peak resident memory: ${peaks.join('; ')}`);
    if (ort && !ortProblem) {
      try {
        const answer = await ort.ask({ op: 'logits', T: LENGTHS[0] });
        const forward = largestDifference(ours, answer.logits as number[]).toExponential(2);
        const decoded = largestDifference(ours, answer.decoded as number[]).toExponential(2);
        console.log(`Same model in ONNX Runtime: largest logit difference at T = ${LENGTHS[0]} is ${forward} (forward), ${decoded} (decoding step)`);
      } catch (e) {
        console.log(`ONNX Runtime's logits could not be checked: ${(e as Error).message}`);
      }
    }
  } finally {
    for (const t of torches) t.peer.close();
    ort?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main().catch((e: unknown) => {
  console.error(`bench/forward.ts: ${(e as Error).message}`);
  process.exitCode = 1;
});
