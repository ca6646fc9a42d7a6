// Training speed: tokens per second of one full training step (forward, backward, AdamW) of
// the default model's shape, with the plain kernels and the fast ones measured in the same run,
// then the PyTorch twin (scripts/train/twin.py --time-steps) on the same shape, with 1 and 2
// threads, with its compact head and with the full one, and the ratios. Our single-thread time is CPU time of this process, so other load on
// the machine matters less; the two-thread figures (ours and PyTorch's) are wall time.
// Run: npx tsx bench/train-step.ts [--steps 3] [--data FILE] [--python PATH]
// The twin needs the text (it draws real batches); without it or without PyTorch it is skipped.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { plainTrainingKernels, bestTrainingKernels, type TrainingKernels } from '../src/kernels/index.ts';
import { nodeTrainingKernels } from '../src/kernels/parallel/node.ts';
import { initGPT2 } from '../src/train/init.ts';
import { TrainModel } from '../src/train/model.ts';
import { AdamW } from '../src/train/optim.ts';

const { values: flags } = parseArgs({
  options: {
    steps: { type: 'string', default: '3' },
    data: { type: 'string', default: '../shared/data/tinyshakespeare.txt' },
    python: { type: 'string', default: '/opt/torchenv/bin/python' },
  },
});
const steps = Number(flags.steps);
// Tiny Shakespeare's training split uses 11,234 distinct GPT-2 tokens, plus the shared row.
const V = 11235;
const B = 16;
const T = 128;

function measure(kernels: TrainingKernels, n: number): { cpu: number; wall: number } {
  const model = new TrainModel({ nLayer: 4, nHead: 4, nEmbd: 128, vocabSize: V, nPositions: T, layerNormEpsilon: 1e-5, tieWordEmbeddings: true }, kernels, 50257 - V + 1);
  initGPT2(model, 1);
  const opt = new AdamW(model, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 });
  const inputs = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 104729) % V);
  const step = () => {
    model.forward(inputs, targets, B, T);
    model.backward();
    opt.update(1e-3, 1);
  };
  step(); // warm-up: compilation, allocation
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < n; i++) step();
  const c = process.cpuUsage(c0);
  return { cpu: (n * B * T) / ((c.user + c.system) / 1e6), wall: (n * B * T) / ((performance.now() - w0) / 1000) };
}

const plain = measure(plainTrainingKernels, 1);
const fast = measure(bestTrainingKernels(), steps);
const threads = measure(nodeTrainingKernels(), steps);
console.log(`training step, 4 layers × 128 wide, context ${T}, batch ${B}, ${V} head rows`);
console.log(`plain:              ${plain.cpu.toFixed(0)} tokens per CPU-second`);
console.log(`${bestTrainingKernels().name.padEnd(19)} ${fast.cpu.toFixed(0)} tokens per CPU-second (${(fast.cpu / plain.cpu).toFixed(1)}× plain)`);
console.log(`two threads:        ${threads.wall.toFixed(0)} tokens per wall-second (single thread: ${fast.wall.toFixed(0)}, ${(threads.wall / fast.wall).toFixed(2)}×)`);

// The twin as its sweep runs it (the same compact head as ours), and with --full-vocab: all
// 50,257 head rows, as it ran before it had the compact head.
function twin(threads: number, fullVocab: boolean): number {
  const out = execFileSync(flags.python, [
    'scripts/train/twin.py', '--data', flags.data, '--tokenizer', 'gpt2', '--n-layer', '4', '--n-head', '4',
    '--n-embd', '128', '--block-size', String(T), '--batch-size', String(B), '--threads', String(threads),
    '--time-steps', String(steps), ...(fullVocab ? ['--full-vocab'] : []),
  ], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!).tokens_per_second as number;
}
if (!existsSync(flags.python) || !existsSync(flags.data)) {
  console.log(`PyTorch twin skipped: needs ${flags.python} and ${flags.data}`);
} else {
  for (const fullVocab of [false, true]) {
    const head = fullVocab ? 'all 50,257 head rows' : `${V} head rows, as ours`;
    const one = twin(1, fullVocab);
    const two = twin(2, fullVocab);
    console.log(`PyTorch twin (${head}), 1 thread:  ${one.toFixed(0)} tokens per wall-second; ours single thread / twin = ${(fast.wall / one).toFixed(2)}`);
    console.log(`PyTorch twin (${head}), 2 threads: ${two.toFixed(0)} tokens per wall-second; ours two threads / twin = ${(threads.wall / two).toFixed(2)} (goal ≥ 0.33)`);
  }
}
process.exit(0);
