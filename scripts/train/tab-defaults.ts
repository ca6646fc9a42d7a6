// How the page's "Train your own" defaults were chosen: trains candidate shapes on a text at
// character level with the trainer and the single-threaded WebAssembly kernels the tab uses, and
// prints each one's CPU seconds per step (CPU time of this process, so other load on a shared
// machine matters less) and its losses at every evaluation, beside the text's character-frequency
// entropy. Run: npx tsx scripts/train/tab-defaults.ts --data input.txt [--only NAME] [--steps N]

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bestTrainingKernels } from '../../src/kernels/index.ts';
import { CharTokenizer } from '../../src/tokenizer/index.ts';
import { splitText } from '../../src/train/data.ts';
import { summarizeText } from '../../src/train/text.ts';
import { Trainer, type TrainSettings } from '../../src/train/trainer.ts';
import { TAB_SETTINGS } from '../../src/web/train-settings.ts';

const { values: flags } = parseArgs({
  options: {
    data: { type: 'string' },
    only: { type: 'string' },
    steps: { type: 'string' },
  },
});

/** Candidates: the tab's defaults and shapes around them (all other settings as the tab's). */
const CANDIDATES: Record<string, Partial<TrainSettings>> = {
  tab: {},
  'C96-600': { nEmbd: 96, maxIters: 600, evalInterval: 50 },
  'C128-500': { nEmbd: 128, maxIters: 500, evalInterval: 50 },
  'L3-C96-500': { nLayer: 3, nEmbd: 96, maxIters: 500, evalInterval: 50 },
  'L4-C128-300': { nLayer: 4, nEmbd: 128, maxIters: 300, evalInterval: 50 },
  'B8-1440': { batchSize: 8, maxIters: 1440, evalInterval: 120 },
  'T32-B32': { blockSize: 32, batchSize: 32 },
};

if (!flags.data) {
  console.error('--data FILE is required (the text to train on, e.g. Tiny Shakespeare)');
  process.exit(2);
}
const text = readFileSync(flags.data, 'utf8');
const summary = summarizeText(text);
const tokenizer = CharTokenizer.fromText(text);
const split = splitText(text, (s) => tokenizer.encode(s));
console.log(`${flags.data}: ${summary.characters} characters, ${summary.vocabulary.length} distinct, character-frequency entropy ${summary.entropy.toFixed(3)} nats`);

for (const [name, change] of Object.entries(CANDIDATES)) {
  if (flags.only && !flags.only.split(',').includes(name)) continue;
  const settings: TrainSettings = { ...TAB_SETTINGS, ...change };
  if (flags.steps) settings.maxIters = Number(flags.steps);
  const trainer = new Trainer(settings, { train: split.train, val: split.val, vocabSize: tokenizer.vocabSize }, bestTrainingKernels());
  let trainCpu = 0;
  let evalCpu = 0;
  const cpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e6;
  };
  const line = (e: { iter: number; train: number; val: number }) =>
    `  ${name} step ${e.iter}: train ${e.train.toFixed(3)}, val ${e.val.toFixed(3)}; CPU ${trainCpu.toFixed(1)} s training + ${evalCpu.toFixed(1)} s evaluating`;
  console.log(`${name}: ${JSON.stringify(change)} ${trainer.model.params.length} parameters, ${settings.maxIters} steps of ${trainer.tokensPerStep} tokens`);
  while (true) {
    if (trainer.iter % settings.evalInterval === 0 || trainer.iter === settings.maxIters) {
      const c0 = cpu();
      const e = trainer.evaluate();
      evalCpu += cpu() - c0;
      console.log(line(e));
    }
    if (trainer.iter >= settings.maxIters) break;
    const c0 = cpu();
    trainer.step();
    trainCpu += cpu() - c0;
  }
  console.log(`  ${name}: ${(trainCpu / settings.maxIters * 1000).toFixed(1)} ms CPU per step, ${(settings.maxIters * trainer.tokensPerStep / trainCpu).toFixed(0)} tokens per CPU-second`);
}
