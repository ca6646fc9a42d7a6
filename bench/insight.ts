// What the logit lens and the all-heads maps add to an explanation, against the explanation
// without them as the peer, measured in the same run, for the built-in model (loaded as the
// page's worker loads it: shared rows, WebAssembly kernels) and for GPT-2 small's shape
// (random weights, 124M parameters). Not part of the test suite.
//   npx tsx bench/insight.ts [--reps N] [--tokens T,T,...] [--no-gpt2]
//
// Per explanation, each the best of N rounds taken in turn:
//   explanation  explain() as the page's worker calls it (no generated tokens), which includes the
//                lens; "without the lens" is that minus the lens alone, the peer below
//   lens         lensAt(): each stage's row at one position through ln_f, the head and a softmax
//   habits       heads.previous, heads.first and heads.self (the line under the maps)
//   maps         the all-heads scene built and laid out at 1280 × 720, and one frame's display
//                list with its hover spots (what the page pays once per prompt, then per frame)
//   lens scene   the logit-lens scene built, laid out, and one frame with its spots

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { bestKernels } from '../src/kernels/index.ts';
import { compactCheckpoint, modelFromFiles } from '../src/model/checkpoint.ts';
import type { GPTConfig } from '../src/model/config.ts';
import { explain } from '../src/model/explain.ts';
import type { Explanation } from '../src/model/explanation.ts';
import { GPT } from '../src/model/gpt.ts';
import { headHabit } from '../src/model/head-habits.ts';
import { lensAt } from '../src/model/lens.ts';
import { SeededRandom } from '../src/model/sampling.ts';
import { parameterShapes, weightsFromNamed } from '../src/model/weights.ts';
import { sceneByName } from '../src/scenes/index.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    tokens: { type: 'string', default: '4,16,64' },
    'no-gpt2': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('npx tsx bench/insight.ts [--reps N] [--tokens 4,16,64] [--no-gpt2]: the lens and the head maps against the explanation, per explanation');
  process.exit(0);
}
const reps = Math.max(1, Number(values.reps));
const lengths = values.tokens.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const tokenizer = gpt2Tokenizer();
// Words the built-in model has seen, repeated to the length asked for.
const WORDS = 'The robots will bring the bread to every house in the town before the night falls and the king';

/** A prompt of T tokens: the words repeated, cut at T tokens. */
function promptOf(T: number): string {
  const repeated = Array.from({ length: T }, () => WORDS).join(' ');
  return tokenizer.decode(tokenizer.encode(repeated).slice(0, T));
}

/** The built-in model as the page's worker has it: the build's shared-row file, read compactly into the kernels. */
function builtInModel(): GPT {
  const dir = new URL('../models/default/', import.meta.url);
  const kernels = bestKernels();
  const bytes = compactCheckpoint(new Uint8Array(readFileSync(new URL('model.safetensors', dir))), 'models/default/model.safetensors');
  const { config, weights } = modelFromFiles(readFileSync(new URL('config.json', dir), 'utf8'), bytes, 'models/default', { compactEmbeddings: true, kernels });
  return new GPT(config, weights, kernels);
}

function gpt2SmallShape(): GPT {
  const config: GPTConfig = { nLayer: 12, nHead: 12, nEmbd: 768, vocabSize: 50257, nPositions: 1024, layerNormEpsilon: 1e-5, tieWordEmbeddings: true };
  const random = new SeededRandom(1);
  const tensors = new Map(parameterShapes(config).map(({ name, shape }) => [name, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random.next() - 0.5) * 0.04)]));
  return new GPT(config, weightsFromNamed(config, (name) => tensors.get(name)!), bestKernels());
}

function timed<T>(fn: () => T): [T, number] {
  const started = performance.now();
  const result = fn();
  return [result, performance.now() - started];
}

interface Row {
  T: number;
  explanation: number;
  lens: number;
  habits: number;
  maps: number;
  lensScene: number;
}

function measure(model: GPT, T: number): Row {
  const prompt = promptOf(T);
  const options = { modelName: 'bench', generateTokens: 0 };
  // Warm up: the WebAssembly kernels pack each weight on its second use.
  for (let i = 0; i < 2; i++) explain(model, tokenizer, prompt, options);
  const rounds: Record<keyof Omit<Row, 'T'>, number[]> = { explanation: [], lens: [], habits: [], maps: [], lensScene: [] };
  for (let r = 0; r < reps; r++) {
    const [ex, explanationMs] = timed(() => explain(model, tokenizer, prompt, options));
    rounds.explanation.push(explanationMs);
    rounds.lens.push(timed(() => lensAt(model, ex.trace, ex.tokens.length - 1))[1]);
    rounds.habits.push(timed(() => (['previous', 'first', 'self'] as const).forEach((h) => headHabit(ex.trace, model.config.nLayer, h)))[1]);
    rounds.maps.push(sceneCost(ex, 'all-heads'));
    rounds.lensScene.push(sceneCost(ex, 'logit-lens'));
  }
  const best = (times: number[]) => Math.min(...times);
  return { T, explanation: best(rounds.explanation), lens: best(rounds.lens), habits: best(rounds.habits), maps: best(rounds.maps), lensScene: best(rounds.lensScene) };
}

/** A scene built and laid out at 1280 × 720, with one frame's display list and hover spots. */
function sceneCost(ex: Explanation, name: string): number {
  return timed(() => {
    const scene = sceneByName(name)!.build({ ...ex });
    scene.spotsAt(scene.durationSeconds, 1280, 720);
  })[1];
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const share = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;

function report(name: string, model: GPT): void {
  console.log(`\n${name} (${model.kernels.name}), best of ${reps}; percentages are of the explanation without the lens (the peer)`);
  console.log('T      explanation  without lens   lens              habits           maps (all-heads)   lens scene');
  for (const T of lengths.filter((n) => n <= model.config.nPositions)) {
    const r = measure(model, T);
    const peer = r.explanation - r.lens;
    console.log(
      [
        String(r.T).padEnd(6),
        ms(r.explanation).padStart(11),
        ms(peer).padStart(13),
        `${ms(r.lens)} (${share(r.lens, peer)})`.padStart(17),
        `${ms(r.habits)} (${share(r.habits, peer)})`.padStart(16),
        `${ms(r.maps)} (${share(r.maps, peer)})`.padStart(18),
        `${ms(r.lensScene)} (${share(r.lensScene, peer)})`.padStart(17),
      ].join('  '),
    );
  }
}

report('built-in model', builtInModel());
if (!values['no-gpt2']) report("GPT-2 small's shape, random weights", gpt2SmallShape());
console.log(`\nload average ${loadavg().map((n) => n.toFixed(2)).join(' ')} (other work on the machine moves every figure)`);
