// A tensor here is just row-major numbers with a shape; the trace is a table of them by name.

export interface Tensor {
  shape: number[];
  data: Float32Array;
}
