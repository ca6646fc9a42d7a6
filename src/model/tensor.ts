// A tensor here is just row-major numbers with a shape; the trace is a table of them by name.

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export function tensor(shape: number[], data?: Float32Array): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data && data.length !== size) {
    throw new Error(`tensor of shape [${shape}] needs ${size} values, got ${data.length}`);
  }
  return { shape, data: data ?? new Float32Array(size) };
}

/** Row r of a 2-D tensor (a view, not a copy). */
export function row(t: Tensor, r: number): Float32Array {
  const cols = t.shape[t.shape.length - 1];
  return t.data.subarray(r * cols, (r + 1) * cols);
}
