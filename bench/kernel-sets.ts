// The kernel sets the benchmarks and bench/profile-forward.ts measure, by the names given to
// their --kernels option: plain TypeScript, and each WebAssembly build on one thread or two.

import v8 from 'node:v8';
import type { Kernels } from '../src/kernels/kernels.ts';
import { plainKernels } from '../src/kernels/plain.ts';
import { type KernelBuild, WasmKernels, wasmSimdSupported } from '../src/kernels/wasm/wasm-kernels.ts';
import { nodeThreadedKernels } from '../src/kernels/parallel/node.ts';

/**
 * The WebAssembly kernels of one build, on one thread or two. 'relaxed-simd' (fused
 * multiply-add) is what Chrome 114+ and Node 22+ run; Node 20 has it behind a V8 flag, which
 * this turns on for it (the flag takes effect for modules compiled after it is set).
 */
async function wasmKernels(build: KernelBuild, threads: 1 | 2): Promise<Kernels> {
  if (build === 'relaxed-simd' && !wasmSimdSupported(undefined, build)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (!wasmSimdSupported(undefined, build)) throw new Error(`this Node cannot run WebAssembly ${build}; use --kernels plain`);
  if (threads === 1) return new WasmKernels({ build });
  const kernels = nodeThreadedKernels({ build });
  // The helper thread starts in a few milliseconds; until then products run on one thread.
  if (!(await kernels.started(5000))) throw new Error(`the helper thread of ${kernels.name} did not start`);
  return kernels;
}

/** The kernel sets, by name, by the name given to --kernels. */
export const KERNEL_SETS: Record<string, () => Promise<Kernels>> = {
  plain: async () => plainKernels,
  wasm: () => wasmKernels('simd', 1),
  'wasm-2threads': () => wasmKernels('simd', 2),
  'wasm-relaxed': () => wasmKernels('relaxed-simd', 1),
  'wasm-relaxed-2threads': () => wasmKernels('relaxed-simd', 2),
};

