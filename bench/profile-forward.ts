// Profiling aid (not a benchmark; it prints no times): runs traced forward passes of GPT-2
// small's shape, so that measures which do not depend on the machine's load can be taken.
//
//   npx tsx bench/profile-forward.ts [--T 128] [--kernels wasm] [--passes 1]   (kernel sets: bench/kernel-sets.ts)
//   npx tsx bench/profile-forward.ts --bytes          # fresh memory one pass allocates
//   node --cpu-prof --import tsx bench/profile-forward.ts --passes 3     # V8's CPU profile
//   valgrind --tool=callgrind --instr-atstart=no node --import tsx bench/profile-forward.ts --callgrind
//
// The model's weights are uniform in ±0.05 from a fixed seed (values do not matter for speed,
// and they fill in a fraction of a second, which matters under valgrind). Two untimed passes
// come first: the WebAssembly kernels pack a weight on its first use and V8 compiles hot code
// in tiers. With --callgrind, instruction counting is switched on (callgrind_control -i on)
// just for the measured passes, so callgrind's total is those passes alone.

import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { GPT2_SMALL } from '../src/model/config.ts';
import { GPT } from '../src/model/gpt.ts';
import { parameterShapes, weightsFromNamed } from '../src/model/weights.ts';
import { KERNEL_SETS } from './kernel-sets.ts';

const { values } = parseArgs({
  options: {
    T: { type: 'string', default: '128' },
    kernels: { type: 'string', default: 'wasm' },
    passes: { type: 'string', default: '1' },
    callgrind: { type: 'boolean', default: false },
    bytes: { type: 'boolean', default: false },
  },
});
const T = Number(values.T);
const passes = Number(values.passes);

/** Counts the bytes of every Float32Array made with a length, as a pass makes its arrays. */
let freshBytes = 0;
if (values.bytes) {
  const Base = Float32Array;
  class Counted extends Base {
    constructor(...args: unknown[]) {
      super(...(args as [number]));
      if (typeof args[0] === 'number') freshBytes += args[0] * 4;
    }
  }
  globalThis.Float32Array = Counted as typeof Float32Array;
}

let seed = 12345;
const tensors = new Map<string, Float32Array>();
for (const { name, shape } of parameterShapes(GPT2_SMALL)) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    data[i] = (seed / 2 ** 32 - 0.5) * 0.1;
  }
  tensors.set(name, data);
}
const makeKernels = KERNEL_SETS[values.kernels];
if (!makeKernels) throw new Error(`unknown kernels ${values.kernels}: use one of ${Object.keys(KERNEL_SETS).join(', ')}`);
const kernels = await makeKernels();
const model = new GPT(GPT2_SMALL, weightsFromNamed(GPT2_SMALL, (name) => tensors.get(name)!), kernels);
const ids = Array.from({ length: T }, (_, i) => (i * 7919) % GPT2_SMALL.vocabSize);

for (let i = 0; i < 2; i++) model.trace(ids);
const callgrind = (on: boolean) => execFileSync('callgrind_control', ['-i', on ? 'on' : 'off', String(process.pid)], { stdio: 'ignore' });
freshBytes = 0;
if (values.callgrind) callgrind(true);
let total = 0;
for (let i = 0; i < passes; i++) total += model.trace(ids).get('probs')!.data[0];
if (values.callgrind) callgrind(false);
if (values.bytes) console.log(`fresh memory per traced pass at T = ${T}: ${(freshBytes / passes / 1e6).toFixed(1)} MB`);
console.log(`${passes} traced pass(es) at T = ${T} with ${kernels.name} (first probability ${total / passes})`);
if ('stop' in kernels && typeof kernels.stop === 'function') kernels.stop();
