// Training speed: tokens per second of one full training step (forward, backward, AdamW) of
// the default model's shape, with the plain kernels and the fast ones measured in the same run,
// printed with their ratio. Time is CPU time of this process, so other load on the machine
// matters less; the two-thread kernels are measured by wall time (their helper's CPU time is
// the point). Run: npx tsx bench/train-step.ts [steps=3] [vocab rows=11235]

import { plainTrainingKernels, bestTrainingKernels, type TrainingKernels } from '../src/kernels/index.ts';
import { nodeTrainingKernels } from '../src/kernels/parallel/node.ts';
import { initGPT2 } from '../src/train/init.ts';
import { TrainModel } from '../src/train/model.ts';
import { AdamW } from '../src/train/optim.ts';

const steps = Number(process.argv[2] ?? 3);
// Tiny Shakespeare's training split uses 11,234 distinct GPT-2 tokens, plus the shared row.
const V = Number(process.argv[3] ?? 11235);
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
process.exit(0);
