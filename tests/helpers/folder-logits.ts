// Prints the logits a model folder gives for a prompt, as JSON: loaded by the command line's
// loader (loadModelDir), run with the fastest kernels this Node validates. Run as a child process
// so a test can choose the WebAssembly build by V8's flags (--experimental-wasm-relaxed-simd
// gives the fused multiply-add build a browser picks).
// Usage: node [--experimental-wasm-relaxed-simd] --import tsx tests/helpers/folder-logits.ts DIR PROMPT

import { bestKernels } from '../../src/kernels/index.ts';
import { loadModelDir } from '../../src/model/checkpoint-node.ts';
import { GPT } from '../../src/model/gpt.ts';

const [dir, prompt] = process.argv.slice(2);
const { config, weights, tokenizer } = await loadModelDir(dir);
const kernels = bestKernels();
const model = new GPT(config, weights, kernels);
const logits = model.trace(tokenizer.encode(prompt)).get('logits')!;
console.log(JSON.stringify({ kernels: kernels.name, shape: logits.shape, data: Array.from(logits.data) }));
