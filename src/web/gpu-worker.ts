// The GPU's own worker, started by the model's worker when the reader turns on "Compute on the
// GPU (WebGPU)": it owns the WebGPU device and answers the products the model's worker asks for
// while that one waits (src/kernels/webgpu/host.ts; docs/ARCHITECTURE.md, "Computing on the GPU").

/// <reference lib="webworker" />
/// <reference types="@webgpu/types" />

import { serveGpuProducts } from '../kernels/webgpu/host.ts';

serveGpuProducts(self as unknown as DedicatedWorkerGlobalScope, navigator.gpu);
