// The model worker's GPU, when the reader turns on "Compute on the GPU (WebGPU)": whether this
// browser can (probeGpu), and a second GPT on the same weights whose products with them run on
// the GPU (src/kernels/webgpu/), computed in the GPU's own worker (gpu-worker.ts) while this one
// waits. See docs/ARCHITECTURE.md, "Computing on the GPU".

/// <reference lib="webworker" />
/// <reference types="@webgpu/types" />

import { GPT } from '../model/gpt.ts';
import { adapterName, gpuAdapter } from '../kernels/webgpu/gpu-products.ts';
import { sharedMemoryMissing } from '../kernels/webgpu/link.ts';
import { WebGpuError } from '../kernels/webgpu/errors.ts';
import { WebGpuKernels } from '../kernels/webgpu/webgpu-kernels.ts';
import type { GpuProbe } from './worker-protocol.ts';

/** Whether the products could run on the GPU here, and if not, why (in words for the reader). */
export async function probeGpu(): Promise<GpuProbe> {
  try {
    const adapter = adapterName(await gpuAdapter((navigator as WorkerNavigator & { gpu?: GPU }).gpu));
    const missing = sharedMemoryMissing();
    return missing ? { adapter: null, reason: missing } : { adapter, reason: '' };
  } catch (error) {
    return { adapter: null, reason: (error as Error).message };
  }
}

export class GpuCompute {
  private constructor(
    private readonly worker: Worker,
    /** The model on the GPU: the same weights and config as the one it was made from. */
    readonly model: GPT,
    readonly adapter: string,
  ) {}

  /**
   * Starts the GPU's worker (the script at `helperUrl`) and sends `model`'s weights to the GPU
   * (read back a row at a time where its WebAssembly kernels hold them); everything else the new
   * model computes uses `model`'s kernels. Throws a WebGpuError saying why not.
   */
  static async start(helperUrl: string, model: GPT): Promise<GpuCompute> {
    const worker = new Worker(helperUrl, { type: 'module', name: 'gpu' });
    try {
      const kernels = await WebGpuKernels.start(worker, model.kernels);
      return new GpuCompute(worker, new GPT(model.config, model.weights, kernels), kernels.adapter);
    } catch (error) {
      worker.terminate();
      throw error instanceof WebGpuError ? error : new WebGpuError('failed', (error as Error).message);
    }
  }

  /** Ends the GPU's worker, which frees the device and the weights on it. */
  stop(): void {
    this.worker.terminate();
  }
}
