// Picks the fastest kernels this engine can run: WebAssembly relaxed SIMD (fused multiply-add)
// or SIMD when the engine validates the compiled module, else the plain TypeScript loops.
// Works in Node and in the browser.

import type { Kernels } from './kernels.ts';
import { plainKernels } from './plain.ts';
import { plainTrainingKernels, type TrainingKernels } from './training.ts';
import { fastestBuild, WasmKernels, wasmSimdSupported } from './wasm/wasm-kernels.ts';

export type { Kernels } from './kernels.ts';
export type { TrainingKernels } from './training.ts';
export { plainKernels } from './plain.ts';
export { plainTrainingKernels } from './training.ts';
export { fastestBuild, WasmKernels, wasmSimdSupported } from './wasm/wasm-kernels.ts';

export interface KernelChoice {
  /** Stand-in for WebAssembly.validate, so tests can simulate an engine without SIMD. */
  validate?: (bytes: Uint8Array<ArrayBuffer>) => boolean;
  /** Keep resident weights as 16-bit halves (WasmKernelOptions.halfWeights): for a model whose floats do not fit. */
  halfWeights?: boolean;
}

/**
 * Kernels for inference: WebAssembly SIMD with the model's weights kept resident in its
 * memory, or the plain loops. Call once and reuse the result, so weights are packed once.
 */
export function bestKernels(choice: KernelChoice = {}): Kernels {
  return (wasmSimdSupported(choice.validate) && tryCreate(() => new WasmKernels({ build: fastestBuild(choice.validate), halfWeights: choice.halfWeights }))) || plainKernels;
}

/**
 * Kernels for training, with the weight-gradient product. Nothing is kept resident: weights
 * change every step, and with many rows per product copying them is cheap.
 */
export function bestTrainingKernels(choice: KernelChoice = {}): TrainingKernels {
  return (
    (wasmSimdSupported(choice.validate) && tryCreate(() => new WasmKernels({ resident: false, build: fastestBuild(choice.validate) }))) ||
    plainTrainingKernels
  );
}

/** The kernels `create` makes, or null if this engine refuses them (e.g. no memory for an instance). */
function tryCreate<T>(create: () => T): T | null {
  try {
    return create();
  } catch {
    return null;
  }
}
