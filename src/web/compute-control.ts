// The model panel's "Compute on the GPU (WebGPU)" switch: when the panel opens it asks the worker
// whether this browser can (and says why not), turns the GPU on or off when the reader asks, and
// says why when the worker had to go back to WebAssembly. Off by default: the GPU path's speed has
// not been measured on a real GPU (docs/ARCHITECTURE.md, "Computing on the GPU").

import gpuWorkerUrl from './gpu-worker.ts?worker&url';
import type { ModelClient } from './model-client.ts';
import type { ComputeState } from './worker-protocol.ts';

/** The panel's elements: the model panel, its checkbox, and the line that says where the model computes. */
export interface ComputeElements {
  panel: HTMLDetailsElement;
  box: HTMLInputElement;
  status: HTMLElement;
}

export class ComputeControl {
  private readonly box: HTMLInputElement;
  private readonly status: HTMLElement;
  private probed = false;

  /** `rerun` runs the prompt again, so the scenes show the numbers of the kernels now in use. */
  constructor(
    private readonly client: ModelClient,
    { panel, box, status }: ComputeElements,
    private readonly rerun: () => void,
  ) {
    this.box = box;
    this.status = status;
    panel.addEventListener('toggle', () => {
      if (panel.open) void this.probe();
    });
    if (panel.open) void this.probe();
    this.box.addEventListener('change', () => void this.switchTo(this.box.checked));
    client.onComputeChange = (state) => this.show(state);
  }

  private async probe(): Promise<void> {
    if (this.probed) return;
    this.probed = true;
    this.status.textContent = 'Checking whether this browser offers WebGPU…';
    const probe = await this.client.probeGpu();
    if (probe.adapter === null) {
      this.status.textContent = `Not available here: ${probe.reason}.`;
      return;
    }
    this.box.disabled = false;
    this.status.textContent = `Available: WebGPU offers ${probe.adapter}.`;
  }

  private async switchTo(on: boolean): Promise<void> {
    this.box.disabled = true;
    this.status.textContent = on ? 'Sending the weights to the GPU…' : 'Going back to WebAssembly…';
    try {
      this.show(await this.client.compute(on ? { helperUrl: new URL(gpuWorkerUrl, location.href).href } : null));
    } catch (error) {
      this.show({ gpu: null, note: `The GPU could not be used: ${(error as Error).message}.` });
    } finally {
      this.box.disabled = false;
    }
    this.rerun();
  }

  private show(state: ComputeState): void {
    this.box.checked = state.gpu !== null;
    this.status.textContent = state.gpu ? `Computing on the GPU: ${state.gpu}.` : state.note || 'Computing with WebAssembly.';
    document.body.dataset.compute = state.gpu ? 'webgpu' : 'wasm';
  }
}
