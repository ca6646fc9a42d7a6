// Kernels that run the products with the model's weights on the GPU through WebGPU, behind the
// same synchronous interface as the others: the weights go to the GPU once (prepareWeight; a
// matrix the WebAssembly kernels hold is read back from them a row at a time), and each product
// waits for the GPU's answer through a GpuLink (link.ts). Everything else goes to the fallback
// kernels (those of the model it was made from), as do all products once the GPU is lost:
// attention's per-head products (headScores, headMix), whose operands are new on every pass and
// small, so a round trip to the GPU would cost more than it saves; GELU and softmax, so they
// are the fallback's own (the same numbers as without the GPU). Browser workers only.

import type { HeadShape, Kernels } from '../kernels.ts';
import { HalfArray } from '../half.ts';
import { HeldMatrix, type WeightMatrix } from '../held.ts';
import { GpuLink, type HostPort, type LinkOptions } from './link.ts';
import type { WeightShape } from './pieces.ts';

type Weight = WeightMatrix | HalfArray;

export class WebGpuKernels implements Kernels {
  readonly name = 'webgpu';
  private readonly held = new WeakMap<Weight, { id: number; shape: WeightShape }>();
  private readonly biases = new WeakMap<Float32Array, number>();
  private nextId = 1;

  /** The fallback's GELU and softmax, where it has its own (else the model uses src/model/ops.ts's, as for it). */
  readonly gelu?: Kernels['gelu'];
  readonly softmaxRows?: Kernels['softmaxRows'];

  private constructor(
    private readonly link: GpuLink,
    /** Kernels for the products whose right-hand side is not a prepared weight, and all but products. */
    private readonly fallback: Kernels,
  ) {
    this.gelu = fallback.gelu?.bind(fallback);
    this.softmaxRows = fallback.softmaxRows?.bind(fallback);
  }

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

  /**
   * Sends the weight to the GPU, where it stays; later products with it run there. Halves (an
   * F16 table, or a matrix the WebAssembly kernels hold as halves) stay halves on the GPU.
   */
  prepareWeight(b: Weight, K: number, N: number, transposed: boolean): void {
    if (this.held.has(b)) return;
    const half = b instanceof HalfArray || (b instanceof HeldMatrix && b.half);
    const shape: WeightShape = { layout: transposed ? 'NK' : 'KN', rows: transposed ? N : K, cols: transposed ? K : N, half };
    if (b.length !== shape.rows * shape.cols) throw new RangeError(`a weight of ${b.length} numbers is not ${shape.rows} × ${shape.cols}`);
    const id = this.nextId++;
    this.link.addWeight(id, shape, b);
    this.held.set(b, { id, shape });
  }

  /** b may be halves here too, once prepared (the GPU widens them; the tests use it). */
  matmul(out: Float32Array, a: Float32Array, b: Weight, bias: Float32Array | null, M: number, K: number, N: number): void {
    const weight = this.held.get(b);
    if (!weight) {
      if (b instanceof HalfArray) throw new TypeError('WebGPU kernels: a half-precision K × N weight must be prepared first');
      this.fallback.matmul(out, a, b, bias, M, K, N);
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

  headScores(out: Float32Array, q: Float32Array, keys: Float32Array, shape: HeadShape): void {
    this.fallback.headScores(out, q, keys, shape);
  }

  headMix(out: Float32Array, w: Float32Array, values: Float32Array, shape: HeadShape): void {
    this.fallback.headMix(out, w, values, shape);
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
