// Why the GPU path cannot go on, in words for the reader: the model's worker then computes with
// WebAssembly and the page says why.

export class WebGpuError extends Error {
  override name = 'WebGpuError';
  constructor(
    /**
     * 'unavailable': no WebGPU here; 'limit': a matrix or the memory exceeds the device; 'lost':
     * the device or its worker stopped answering; 'failed': the device refused the work.
     */
    readonly kind: 'unavailable' | 'limit' | 'lost' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

export const NO_WEBGPU = 'this browser does not offer WebGPU';
export const NO_ADAPTER = 'WebGPU is there but offers no adapter (no GPU it can use, or the browser has GPU use switched off)';
export const NOT_ISOLATED =
  'this page is not cross-origin isolated (its server does not send the Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers), and the model’s worker needs shared memory to wait for the GPU';
