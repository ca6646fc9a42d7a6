/// <reference types="@webgpu/types" />
// The GPU's worker: owns the device (gpu-products.ts) and answers a GpuLink's requests, one at
// a time, writing results into the shared data block and waking the caller (link.ts). Its event
// loop is free while the caller sleeps, so it can await the GPU's readbacks.

import { GpuProducts } from './gpu-products.ts';
import { CONTROL_BYTES, DONE, FAILED, FAILURE_KINDS, LOST, TEXT_LENGTH, type HostReady, type HostRequest, type HostStart } from './link.ts';
import { WebGpuError } from './errors.ts';

/** The worker's side of a port: messages in, the start's answer out. */
export interface HostScope {
  postMessage(message: HostReady): void;
  onmessage: ((event: MessageEvent<HostStart | HostRequest>) => void) | null;
}

/** Serves GpuLink requests from `scope` with the GPU `gpu` (navigator.gpu) until the worker ends. */
export function serveGpuProducts(scope: HostScope, gpu: GPU | undefined): void {
  let products: GpuProducts | null = null;
  let control: Int32Array<ArrayBufferLike> = new Int32Array(CONTROL_BYTES / 4);
  let text: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  // Requests run one after another, even if a caller that gave up on one sends the next.
  let queue: Promise<void> = Promise.resolve();

  const say = (message: string) => {
    const bytes = new TextEncoder().encode(message).subarray(0, text.length);
    text.set(bytes);
    Atomics.store(control, TEXT_LENGTH, bytes.length);
  };
  const answer = (seq: number, error: unknown) => {
    if (error) {
      const kind = error instanceof WebGpuError ? error.kind : 'failed';
      say(error instanceof Error ? error.message : String(error));
      Atomics.store(control, FAILED, FAILURE_KINDS.indexOf(kind) + 1);
    } else {
      Atomics.store(control, FAILED, 0);
    }
    Atomics.store(control, DONE, seq);
    Atomics.notify(control, DONE);
  };

  const start = async (message: HostStart) => {
    control = new Int32Array(message.control);
    text = new Uint8Array(message.text);
    try {
      products = await GpuProducts.create(gpu, { maxBindingBytes: message.maxBindingBytes });
    } catch (error) {
      const kind = error instanceof WebGpuError ? error.kind : 'unavailable';
      scope.postMessage({ op: 'failed', kind, message: (error as Error).message });
      return;
    }
    void products.lost.then((reason) => {
      if (reason === 'destroyed') return;
      say(reason);
      Atomics.store(control, LOST, 1);
      Atomics.notify(control, DONE); // wakes a caller waiting for an answer that will not come
    });
    scope.postMessage({ op: 'ready', adapter: products.adapterName, maxBindingBytes: products.maxBindingBytes });
  };

  const serve = async (request: HostRequest) => {
    if (!products) throw new WebGpuError('unavailable', 'the GPU has not started');
    const { data } = request;
    switch (request.op) {
      case 'weight':
        await products.addWeight(request.id, request.shape);
        return;
      case 'write': {
        const numbers = request.half ? new Uint16Array(data, 0, request.elements) : new Float32Array(data, 0, request.elements);
        products.writePiece(request.id, request.piece, request.byteOffset, numbers);
        return;
      }
      case 'bias':
        await products.addBias(request.id, new Float32Array(data, 0, request.length));
        return;
      case 'product': {
        const { K, N } = products.dimensions(request.id);
        const a = new Float32Array(data, 0, request.M * K);
        const out = new Float32Array(data, request.outOffset, request.M * N);
        await products.product(request.id, request.bias, a, request.M, out);
        return;
      }
    }
  };

  scope.onmessage = (event) => {
    const message = event.data;
    if (message.op === 'start') {
      void start(message);
      return;
    }
    queue = queue.then(() => serve(message).then(() => answer(message.seq, null), (error: unknown) => answer(message.seq, error)));
  };
}
