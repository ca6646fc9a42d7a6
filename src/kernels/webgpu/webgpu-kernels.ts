// Kernels that run the products with the model's weights on the GPU through WebGPU, behind the
// same synchronous interface as the others: the weights go to the GPU once (prepareWeight), and
// each product waits for the GPU's answer through a GpuLink (link.ts). Products with anything
// else (attention's per-head Q·Kᵀ and weights·V, whose operands are new on every pass and small)
// go to the fallback kernels, as do all products once the GPU is lost. Browser workers only.

import type { Kernels } from '../kernels.ts';
import { HalfArray } from '../half.ts';
import { GpuLink, type HostPort, type LinkOptions } from './link.ts';
import type { WeightShape } from './pieces.ts';

type Weight = Float32Array | HalfArray;

export class WebGpuKernels implements Kernels {
  readonly name = 'webgpu';
  private readonly held = new WeakMap<Weight, { id: number; shape: WeightShape }>();
  private readonly biases = new WeakMap<Float32Array, number>();
  private nextId = 1;

  private constructor(
    private readonly link: GpuLink,
    /** Kernels for the products whose right-hand side is not a prepared weight. */
    private readonly fallback: Kernels,
  ) {}

  /**
   * Starts the GPU's worker on `port` (a worker running serveGpuProducts) and waits for its
   * device. Throws a WebGpuError saying why when there is none.
   */
  static async start(port: HostPort, fallback: Kernels, options: LinkOptions = {}): Promise<WebGpuKernels> {
    return new WebGpuKernels(await GpuLink.start(port, options), fallback);
  }

  /** The GPU's adapter, as the browser names it (e.g. "google swiftshader"). */
  get adapter(): string {
    return this.link.adapter;
  }

  /** Sends the weight to the GPU, where it stays; later products with it run there. */
  prepareWeight(b: Weight, K: number, N: number, transposed: boolean): void {
    if (this.held.has(b)) return;
    const shape: WeightShape = { layout: transposed ? 'NK' : 'KN', rows: transposed ? N : K, cols: transposed ? K : N, half: b instanceof HalfArray };
    if (b.length !== shape.rows * shape.cols) throw new RangeError(`a weight of ${b.length} numbers is not ${shape.rows} × ${shape.cols}`);
    const id = this.nextId++;
    this.link.addWeight(id, shape, b);
    this.held.set(b, { id, shape });
  }

  matmul(out: Float32Array, a: Float32Array, b: Weight, bias: Float32Array | null, M: number, K: number, N: number): void {
    const weight = this.held.get(b);
    if (!weight) {
      this.fallback.matmul(out, a, b as Float32Array, bias, M, K, N);
      return;
    }
    this.expect(weight.shape, 'KN', K, N);
    this.link.product(weight.id, bias ? this.biasId(bias) : null, a, out, M, K, N);
  }

  matmulTransposed(out: Float32Array, a: Float32Array, b: Weight, M: number, K: number, N: number): void {
    const weight = this.held.get(b);
    if (!weight) {
      this.fallback.matmulTransposed(out, a, b, M, K, N);
      return;
    }
    this.expect(weight.shape, 'NK', N, K);
    this.link.product(weight.id, null, a, out, M, K, N);
  }

  private expect(shape: WeightShape, layout: WeightShape['layout'], rows: number, cols: number): void {
    if (shape.layout !== layout || shape.rows !== rows || shape.cols !== cols) {
      throw new RangeError(`a ${shape.rows} × ${shape.cols} weight (${shape.layout}) used as ${rows} × ${cols} (${layout})`);
    }
  }

  /** A bias goes to the GPU the first time a product uses it (the model's biases are arrays that never change). */
  private biasId(bias: Float32Array): number {
    let id = this.biases.get(bias);
    if (id === undefined) {
      id = this.nextId++;
      this.link.addBias(id, bias);
      this.biases.set(bias, id);
    }
    return id;
  }
}
