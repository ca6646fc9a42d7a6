// How the WebGPU kernels cut weights and products to fit a device's bindings (src/kernels/webgpu/
// pieces.ts), and read back a weight the WebAssembly kernels hold to send it to the GPU (link.ts):
// checked in Node; the products themselves run in tests/browser/webgpu.test.ts.

import { describe, expect, it } from 'vitest';
import { WebGpuError } from '../src/kernels/webgpu/errors.ts';
import { bufferBytes, planPieces, rowsPerBlock } from '../src/kernels/webgpu/pieces.ts';
import { readHeld } from '../src/kernels/webgpu/link.ts';
import { floatToHalfBits } from '../src/kernels/half.ts';
import { WasmKernels, wasmSimdSupported } from '../src/kernels/wasm/wasm-kernels.ts';
import { SeededRandom } from '../src/model/sampling.ts';

const MB = 2 ** 20;

describe('cutting weights into pieces', () => {
  it("cuts GPT-2's output head (50,257 × 768 floats, 147 MiB) in two for a 128 MiB binding, and keeps it whole at 1 GiB", () => {
    const head = { layout: 'NK' as const, rows: 50257, cols: 768, half: false };
    const pieces = planPieces(head, 128 * MB);
    expect(pieces.map((p) => [p.start, p.end])).toEqual([
      [0, 25128],
      [25128, 50257],
    ]);
    expect(pieces.every((p) => p.bytes <= 128 * MB)).toBe(true);
    expect(planPieces(head, 1024 * MB)).toEqual([{ start: 0, end: 50257, bytes: 50257 * 768 * 4 }]);
  });

  it('covers every row once, in order, in pieces of nearly equal size that fit', () => {
    for (const [rows, cols, half, limit] of [
      [37, 53, false, 1024],
      [100, 30, true, 1024],
      [7, 3, true, 8],
      [1, 1, false, 4],
    ] as const) {
      const pieces = planPieces({ layout: 'KN', rows, cols, half }, limit);
      expect(pieces[0].start).toBe(0);
      expect(pieces[pieces.length - 1].end).toBe(rows);
      pieces.forEach((p, i) => {
        if (i > 0) expect(p.start).toBe(pieces[i - 1].end);
        expect(p.bytes).toBe(bufferBytes((p.end - p.start) * cols, half));
        expect(p.bytes).toBeLessThanOrEqual(limit);
      });
      const sizes = pieces.map((p) => p.end - p.start);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('keeps halves two to a 32-bit word, an odd count rounded up', () => {
    expect(bufferBytes(3, true)).toBe(8);
    expect(bufferBytes(4, true)).toBe(8);
    expect(bufferBytes(3, false)).toBe(12);
  });

  it('refuses a weight one row of which is larger than a binding, saying how large each is', () => {
    const tooWide = () => planPieces({ layout: 'KN', rows: 4, cols: 512, half: false }, 1024);
    expect(tooWide).toThrow(WebGpuError);
    expect(tooWide).toThrow('one row of a 4 × 512 weight (2.0 KB) is larger than the GPU’s largest binding (1.0 KB)');
  });
});

describe('products in blocks of rows', () => {
  it('sends as many rows as fit one binding on both sides', () => {
    expect(rowsPerBlock(768, 50257, 128 * MB)).toBe(Math.floor((128 * MB) / (4 * 50257)));
    expect(rowsPerBlock(100, 30, 1024)).toBe(2);
    expect(() => rowsPerBlock(768, 50257, 1024)).toThrow(/one row of a product 768 → 50257 wide \(196\.3 KB\)/);
  });
});

describe.runIf(wasmSimdSupported())('a weight the WebAssembly kernels hold, read back for the GPU', () => {
  it('gives any run of its stored elements, across rows, as floats or as the halves it holds', () => {
    const random = new SeededRandom(3);
    for (const [K, N, transposed] of [[5, 7, false], [9, 13, true], [1, 3, false]] as const) {
      const stored = Float32Array.from({ length: K * N }, () => random.next() * 2 - 1); // as stored: K × N, or N × K when transposed
      for (const half of [false, true]) {
        const writer = new WasmKernels().holdMatrix(K, N, transposed, half);
        writer.write(stored, 0);
        const held = writer.finish();
        const bits = Uint16Array.from(stored, floatToHalfBits);
        // Runs that start and end mid-row, a single element, whole rows, all of it.
        const cols = transposed ? K : N;
        const runs = [[0, stored.length], [1, 2], [2, stored.length - 1], [cols, 3 * cols], [stored.length - 1, stored.length]].filter(([, to]) => to <= stored.length);
        for (const [from, to] of runs) {
          const into = half ? new Uint16Array(to - from) : new Float32Array(to - from);
          readHeld(held, from, to, into);
          expect(Array.from(into), `${K}×${N} ${transposed ? 'NK' : 'KN'} ${half ? 'halves' : 'floats'} [${from}, ${to})`).toEqual(Array.from((half ? bits : stored).subarray(from, to)));
        }
      }
    }
  });
});
