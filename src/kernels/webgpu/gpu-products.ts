/// <reference types="@webgpu/types" />
// The GPU side of the WebGPU kernels: one device, the model's weight matrices in its buffers
// (uploaded once, in pieces that fit its largest binding) and their biases, and products with
// them. Asynchronous, as every WebGPU readback is; host.ts serves it to a synchronous caller.

import { NO_ADAPTER, NO_WEBGPU, WebGpuError } from './errors.ts';
import { planPieces, type Piece, type WeightShape } from './pieces.ts';
import { ACCUMULATE, ADD_BIAS, DIMS_BYTES, productShader, TILE_N, tileRows, type Layout, type TileRows } from './shaders.ts';

/** A weight on the GPU: its pieces (stored rows start…end), each in its own buffer. */
interface GpuWeight {
  shape: WeightShape;
  pieces: Piece[];
  buffers: GPUBuffer[];
}

/** Uniform records start on this boundary (WebGPU's minUniformBufferOffsetAlignment default). */
const UNIFORM_STRIDE = 256;

export interface GpuOptions {
  /** Cut weights into pieces no larger than this many bytes (tests use it to cut small matrices). */
  maxBindingBytes?: number;
}

/** Copies a view's bytes (of an ArrayBuffer or a SharedArrayBuffer) into `buffer` at `offset`. */
function write(queue: GPUQueue, buffer: GPUBuffer, offset: number, view: ArrayBufferView): void {
  queue.writeBuffer(buffer, offset, view.buffer, view.byteOffset, view.byteLength);
}

/** The adapter WebGPU offers here; WebGpuError 'unavailable' saying why there is none. */
export async function gpuAdapter(gpu: GPU | undefined): Promise<GPUAdapter> {
  if (!gpu) throw new WebGpuError('unavailable', NO_WEBGPU);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) throw new WebGpuError('unavailable', NO_ADAPTER);
  return adapter;
}

/** The adapter's vendor and architecture as the browser gives them, e.g. "google swiftshader". */
export function adapterName(adapter: GPUAdapter): string {
  const { vendor, architecture, device, description } = adapter.info;
  return [vendor, architecture, device, description].filter(Boolean).join(' ') || 'an unnamed adapter';
}

export class GpuProducts {
  private readonly weights = new Map<number, GpuWeight>();
  private readonly biases = new Map<number, GPUBuffer>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly noBias: GPUBuffer;
  private scratch: { input: GPUBuffer; output: GPUBuffer; readback: GPUBuffer; dims: GPUBuffer } | null = null;
  private destroyed = false;
  /** Resolves with the reason when the device is lost (not when this object destroys it). */
  readonly lost: Promise<string>;

  private constructor(
    private readonly device: GPUDevice,
    /** The adapter's vendor and architecture, e.g. "google swiftshader". */
    readonly adapterName: string,
    /** The largest buffer a product binds, in bytes: weights are cut into pieces of at most this. */
    readonly maxBindingBytes: number,
  ) {
    this.noBias = this.buffer(16, GPUBufferUsage.STORAGE);
    this.lost = device.lost.then((info) => {
      const why = [info.reason, info.message.replace(/[.\s]+$/, '')].filter(Boolean).join(': ');
      return this.destroyed ? 'destroyed' : `the GPU device was lost (${why})`;
    });
  }

  /** Asks the browser for an adapter and a device with its largest buffers; WebGpuError 'unavailable' if there is none. */
  static async create(gpu: GPU | undefined, options: GpuOptions = {}): Promise<GpuProducts> {
    const adapter = await gpuAdapter(gpu);
    const { maxStorageBufferBindingSize, maxBufferSize } = adapter.limits;
    // The defaults (128 MB bindings, 256 MB buffers) are far below what most adapters offer.
    const device = await adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize, maxBufferSize } });
    const limit = Math.min(maxStorageBufferBindingSize, maxBufferSize, options.maxBindingBytes ?? Infinity);
    return new GpuProducts(device, adapterName(adapter), Math.floor(limit / 4) * 4);
  }

  /** Makes room for a weight of this shape; returns its pieces, which writePiece then fills. */
  async addWeight(id: number, shape: WeightShape): Promise<Piece[]> {
    const pieces = planPieces(shape, this.maxBindingBytes);
    const buffers = await this.checked('hold a weight matrix', () => pieces.map((p) => this.buffer(p.bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST)));
    this.weights.set(id, { shape, pieces, buffers });
    return pieces;
  }

  /** Copies `data` (floats, or halves as their bits) into piece `index` of weight `id` at `byteOffset`. */
  writePiece(id: number, index: number, byteOffset: number, data: Float32Array | Uint16Array): void {
    write(this.device.queue, this.weightOf(id).buffers[index], byteOffset, data);
  }

  async addBias(id: number, bias: Float32Array): Promise<void> {
    const buffer = await this.checked('hold a bias', () => this.buffer(bias.length * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST));
    write(this.device.queue, buffer, 0, bias);
    this.biases.set(id, buffer);
  }

  /**
   * out (M × N) = a (M × K) · W (+ bias), where W is weight `id` (K × N, or N × K stored).
   * a and out must each fit one binding (rowsPerBlock gives how many rows do).
   */
  async product(id: number, biasId: number | null, a: Float32Array, M: number, out: Float32Array): Promise<void> {
    const { shape, pieces, buffers } = this.weightOf(id);
    const { K, N } = this.dimensions(id);
    const bias = biasId === null ? null : this.biases.get(biasId);
    if (bias === undefined) throw new Error(`no bias ${biasId} on the GPU`);
    const inBytes = M * K * 4;
    const outBytes = M * N * 4;
    if (inBytes > this.maxBindingBytes || outBytes > this.maxBindingBytes) throw new Error(`a product of ${M} rows is too large for one binding`);
    const scratch = this.scratchFor(inBytes, outBytes, pieces.length * UNIFORM_STRIDE);
    const queue = this.device.queue;
    write(queue, scratch.input, 0, a.subarray(0, M * K));
    const dims = new Uint32Array((pieces.length * UNIFORM_STRIDE) / 4);
    pieces.forEach((p, i) => {
      const first = i === 0 ? (bias ? ADD_BIAS : 0) : ACCUMULATE;
      const record = shape.layout === 'KN' ? [M, K, N, p.start, p.end, 0, N, first] : [M, K, N, 0, K, p.start, p.end, bias ? ADD_BIAS : 0];
      dims.set(record, (i * UNIFORM_STRIDE) / 4);
    });
    queue.writeBuffer(scratch.dims, 0, dims);

    const rows = tileRows(M);
    const pipeline = this.pipeline(shape.layout, shape.half, rows);
    await this.checked('compute a product', async () => {
      const encoder = this.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pieces.forEach((p, i) => {
        const group = this.device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: scratch.dims, offset: i * UNIFORM_STRIDE, size: DIMS_BYTES } },
            { binding: 1, resource: { buffer: scratch.input, size: inBytes } },
            { binding: 2, resource: { buffer: buffers[i] } },
            { binding: 3, resource: { buffer: bias ?? this.noBias } },
            { binding: 4, resource: { buffer: scratch.output, size: outBytes } },
          ],
        });
        pass.setBindGroup(0, group);
        const columns = shape.layout === 'KN' ? N : p.end - p.start;
        pass.dispatchWorkgroups(Math.ceil(columns / TILE_N), Math.ceil(M / rows));
      });
      pass.end();
      encoder.copyBufferToBuffer(scratch.output, 0, scratch.readback, 0, outBytes);
      queue.submit([encoder.finish()]);
    });
    try {
      await scratch.readback.mapAsync(GPUMapMode.READ, 0, outBytes);
    } catch (error) {
      throw new WebGpuError('lost', `the GPU did not hand back a product (${(error as Error).message})`);
    }
    out.set(new Float32Array(scratch.readback.getMappedRange(0, outBytes)));
    scratch.readback.unmap();
  }

  /** The product sizes of weight `id`: K inputs, N outputs. */
  dimensions(id: number): { K: number; N: number } {
    const { layout, rows, cols } = this.weightOf(id).shape;
    return layout === 'KN' ? { K: rows, N: cols } : { K: cols, N: rows };
  }

  /** Frees the device and everything on it. */
  destroy(): void {
    this.destroyed = true;
    this.device.destroy();
  }

  private weightOf(id: number): GpuWeight {
    const weight = this.weights.get(id);
    if (!weight) throw new Error(`no weight ${id} on the GPU`);
    return weight;
  }

  private buffer(size: number, bufferUsage: number): GPUBuffer {
    return this.device.createBuffer({ size, usage: bufferUsage });
  }

  /** Scratch buffers at least this large, grown (never shrunk) as products need. */
  private scratchFor(inBytes: number, outBytes: number, dimsBytes: number) {
    const s = this.scratch;
    if (s && s.input.size >= inBytes && s.output.size >= outBytes && s.dims.size >= dimsBytes) return s;
    const grow = (old: GPUBuffer | undefined, bytes: number, bufferUsage: number) => {
      if (old && old.size >= bytes) return old;
      old?.destroy();
      return this.buffer(Math.max(bytes, 256), bufferUsage);
    };
    const output = grow(s?.output, outBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    this.scratch = {
      input: grow(s?.input, inBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST),
      output,
      readback: grow(s?.readback, outBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST),
      dims: grow(s?.dims, dimsBytes, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
    };
    return this.scratch;
  }

  private pipeline(layout: Layout, half: boolean, rows: TileRows): GPUComputePipeline {
    const key = `${layout}/${half}/${rows}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const module = this.device.createShaderModule({ code: productShader(layout, half, rows) });
      pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** Runs `work`, turning the device's validation and out-of-memory errors into WebGpuErrors that say what failed. */
  private async checked<T>(what: string, work: () => T | Promise<T>): Promise<T> {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let result: { value: T } | { error: unknown };
    try {
      result = { value: await work() };
    } catch (error) {
      result = { error };
    }
    let invalid: GPUError | null;
    let memory: GPUError | null;
    try {
      invalid = await this.device.popErrorScope();
      memory = await this.device.popErrorScope();
    } catch (error) {
      throw await this.failure(error, what); // the device went away under the work
    }
    if (memory) throw new WebGpuError('limit', `the GPU has no memory left to ${what} (${memory.message})`);
    if (invalid) throw new WebGpuError('failed', `the GPU refused to ${what} (${invalid.message})`);
    if ('error' in result) throw await this.failure(result.error, what);
    return result.value;
  }

  /**
   * What to report for work that threw: the device's loss, with its reason, when that is what
   * happened (a crashed GPU process first shows as a failed call, and the loss is reported soon
   * after: it is waited for up to a second), else the error itself.
   */
  private async failure(error: unknown, what: string): Promise<Error> {
    const lost = await Promise.race([this.lost, new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000))]);
    if (lost !== null && lost !== 'destroyed') return new WebGpuError('lost', lost);
    return error instanceof WebGpuError ? error : new WebGpuError('failed', `the GPU could not ${what} (${(error as Error).message})`);
  }
}
