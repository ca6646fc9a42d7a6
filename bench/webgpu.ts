// The traced forward pass with its weight products on the GPU (WebGPU) against the same pass with
// WebAssembly, in one worker of headless Chromium, taking turns (tests/browser/pages/webgpu-check.ts
// runs both). Meaningful only on a real GPU. Without one (this project's machine), --adapter
// swiftshader gives SwiftShader, which emulates a GPU on the CPU: the script runs, checks that
// the two sides agree, and its times say nothing about a GPU's speed (it prints so).
// Usage: npx tsx bench/webgpu.ts [--adapter gpu|swiftshader] [--model gpt2-small|built-in] [--tokens T] [--reps N]

import { CHROMIUM_ARGS, CHROMIUM_PATH, startVite, WEBGPU_ARGS } from '../tests/browser/helpers.ts';
import type { CheckAnswer, CheckRequest } from '../tests/browser/pages/webgpu-check.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';
import { chromium } from 'playwright-core';

const USAGE = `Usage: npx tsx bench/webgpu.ts [--adapter gpu|swiftshader] [--model gpt2-small|built-in] [--tokens T] [--reps N]
Times a traced forward pass with the weight products on the GPU against WebAssembly, in headless Chromium.
  --adapter gpu          the machine's GPU (default; Chromium must find one: on Linux it needs Vulkan)
  --adapter swiftshader  SwiftShader, a GPU emulated on the CPU: checks the script runs, measures no GPU
  --model                gpt2-small (random weights of GPT-2 small's shape, default) or built-in
  --tokens               prompt length T (default 128, at most 1024; the built-in model reads 128)
  --reps                 timed passes per side after one warm-up pass each (default 5)`;

/** Chromium's flags for each adapter: the usual ones switch the GPU off, so a real GPU needs others. */
const ADAPTER_ARGS = {
  gpu: [...CHROMIUM_ARGS.filter((flag) => flag !== '--disable-gpu'), '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--ignore-gpu-blocklist'],
  swiftshader: [...CHROMIUM_ARGS, ...WEBGPU_ARGS],
};

function parse(argv: string[]): { adapter: 'gpu' | 'swiftshader'; model: 'gpt2-small' | 'built-in'; tokens: number; reps: number } {
  const fail = (message: string): never => {
    console.error(`${message}\n${USAGE}`);
    process.exit(2);
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const options = { adapter: 'gpu' as 'gpu' | 'swiftshader', model: 'gpt2-small' as 'gpt2-small' | 'built-in', tokens: 128, reps: 5 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    if (flag === '--adapter' && (value === 'gpu' || value === 'swiftshader')) options.adapter = value;
    else if (flag === '--model' && (value === 'gpt2-small' || value === 'built-in')) options.model = value;
    else if (flag === '--tokens' || flag === '--reps') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || (flag === '--tokens' && n > 1024)) fail(`${flag} needs a whole number${flag === '--tokens' ? ' from 1 to 1024' : ' of at least 1'}, not "${value}".`);
      options[flag === '--tokens' ? 'tokens' : 'reps'] = n;
    } else fail(`Unknown option or value: ${flag} ${value}`);
  }
  if (options.model === 'built-in' && options.tokens > 128) fail('The built-in model reads at most 128 tokens.');
  return options;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const { adapter, model, tokens, reps } = parse(process.argv.slice(2));
const text = 'The robots will bring the news to every town, and the people will listen, for the news is good. ';
const ids = gpt2Tokenizer().encode(text.repeat(Math.ceil(tokens / 10) + 1)).slice(0, tokens);

/** Stops with one line saying what went wrong (exit code 1). */
function stop(message: string): never {
  console.error(message);
  process.exit(1);
}

const { server, origin } = await startVite();
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ADAPTER_ARGS[adapter], headless: true });
let answer: CheckAnswer = { ok: false, kind: 'error', message: 'not run' };
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.addInitScript('globalThis.__name = (f) => f');
  await page.goto(`${origin}/tests/browser/pages/webgpu.html`);
  await page.waitForFunction(() => typeof window.gpuCheck === 'function');
  const check = (request: CheckRequest) => page.evaluate((r) => window.gpuCheck(r), request);
  const probe = await check({ kind: 'adapter' });
  if (!probe.ok) throw new Error(`No WebGPU here: ${probe.message}.`);
  if (adapter === 'gpu' && /swiftshader/i.test(probe.adapter)) throw new Error(`Chromium offered only ${probe.adapter}, not a real GPU; see --help.`);
  console.log(`Adapter: ${probe.adapter}`);
  console.log(`Model: ${model}, traced forward pass, T = ${ids.length}: one warm-up pass each, then ${reps}, taking turns`);
  // The sides' traces must agree first, or the times compare different work.
  const agreement = await check({ kind: 'trace', model, ids });
  if (!agreement.ok) throw new Error(`The GPU path failed: ${agreement.message}.`);
  const worst = Math.max(...agreement.tensors!.map((t) => t.gpuVsWasm / (1 + t.largest)));
  console.log(`Largest |GPU − WebAssembly| over every traced tensor, relative to 1 + its largest value: ${worst.toExponential(2)}`);
  answer = await check({ kind: 'time', model, ids, reps });
} catch (error) {
  answer = { ok: false, kind: 'error', message: (error as Error).message };
} finally {
  await browser.close();
  await server.close();
}
if (!answer.ok) stop(answer.message);
const { gpu, wasm } = answer.times!;
console.log();
console.log('side          best ms   median ms');
console.log(`GPU         ${Math.min(...gpu).toFixed(1).padStart(9)} ${median(gpu).toFixed(1).padStart(11)}`);
console.log(`WebAssembly ${Math.min(...wasm).toFixed(1).padStart(9)} ${median(wasm).toFixed(1).padStart(11)}`);
console.log(`GPU / WebAssembly: ${(Math.min(...gpu) / Math.min(...wasm)).toFixed(2)}× (best), ${(median(gpu) / median(wasm)).toFixed(2)}× (median)`);
if (/swiftshader/i.test(answer.adapter)) {
  console.log('\nSwiftShader emulates a GPU on the CPU: these times say nothing about the speed of a real GPU.');
}
