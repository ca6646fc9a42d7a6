// The WebGPU kernels in headless Chromium with SwiftShader's WebGPU adapter (a GPU emulated on
// the CPU: right numbers, no GPU speed): products of many shapes against the plain kernels, with
// weights given as arrays or held by the WebAssembly kernels (as a streamed model's are), weights
// cut into pieces, a weight too large for the device refused, and whole traced passes of the
// built-in model (held as the page holds it, as floats and as halves) and of a random model of
// GPT-2 small's shape against WebAssembly. The page tests are in webgpu-page.test.ts.
//
// The tolerance of a whole pass, per traced tensor: max |GPU − WebAssembly| ≤ 1e-5 · (1 + the
// tensor's largest |value|). Both compute every product in float32 and differ only in the order
// of its additions (and whether a multiply and an add are fused), which moves a sum of K terms by
// a few units of 2⁻²⁴ of its terms' size; blocks pass such differences on and layer norms scale
// them up. Measured: at most 7.9e-6 on values up to 3.8 (GPT-2 small's shape, 12 blocks), the
// same size as WebAssembly's own distance from the plain kernels (up to 1.0e-5). A wrong index, piece
// or bias moves values by far more (the size of the values themselves).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage, WEBGPU_ARGS, type WatchedPage } from './helpers.ts';
import type { CheckAnswer, CheckRequest, ProductCase, TensorDifference } from './pages/webgpu-check.ts';
import { gpt2Tokenizer } from '../../src/tokenizer/index.ts';

let server: ViteDevServer;
let origin: string;
let browser: Browser;
let watched: WatchedPage;
let page: Page;

/** The whole-pass tolerance (see above), relative to 1 + the tensor's largest |value|. */
const PASS_TOLERANCE = 1e-5;

beforeAll(async () => {
  ({ server, origin } = await startVite());
  browser = await launchChromium(WEBGPU_ARGS);
  watched = await watchedPage(browser);
  page = watched.page;
  await page.goto(`${origin}/tests/browser/pages/webgpu.html`);
  await page.waitForFunction(() => typeof window.gpuCheck === 'function');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function check(request: CheckRequest): Promise<CheckAnswer & { ok: true }> {
  return page.evaluate((r) => window.gpuCheck(r), request).then((answer) => {
    if (!answer.ok) throw new Error(`${answer.kind}: ${answer.message}`);
    return answer;
  });
}

const cases = (list: [number, number, number][], transposed: boolean, half: boolean, bias: boolean, held = false): ProductCase[] =>
  list.map(([M, K, N]) => ({ M, K, N, transposed, half, bias: bias && !transposed, held }));

/** The same cases with their weights held by the WebAssembly kernels (read back a row at a time for the GPU). */
const heldToo = (list: ProductCase[]): ProductCase[] => list.map((c) => ({ ...c, held: true }));

/** Odd sizes, sizes just past the 64 × 64 tiles, and GPT-2 small's own products. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [17, 33, 65],
  [64, 64, 64],
  [65, 129, 257],
  [1, 768, 2304],
  [7, 768, 3072],
  [5, 3072, 768],
];

function expectWithinTolerance(tensors: TensorDifference[]): void {
  expect(tensors.length).toBeGreaterThan(20);
  const outside = tensors.filter((t) => !(t.gpuVsWasm <= PASS_TOLERANCE * (1 + t.largest)));
  expect(outside).toEqual([]);
  const worst = tensors.reduce((a, b) => (b.gpuVsWasm / (1 + b.largest) > a.gpuVsWasm / (1 + a.largest) ? b : a));
  console.log(`worst tensor: ${worst.name}, max |GPU − WebAssembly| = ${worst.gpuVsWasm.toExponential(2)} on values up to ${worst.largest.toFixed(3)}`);
}

describe('the WebGPU kernels on SwiftShader', () => {
  it('have an adapter: the flags give SwiftShader’s (this fails, never skips, if they stop giving one)', async () => {
    const answer = await page.evaluate((r) => window.gpuCheck(r), { kind: 'adapter' } as CheckRequest);
    expect(answer).toMatchObject({ ok: true, adapter: expect.stringMatching(/swiftshader/) });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  });

  it('compute products of many shapes, odd ones included, within 2·(K + 1)·2⁻²⁴·(|bias| + Σₖ |aₖ·wₖ|) of the plain kernels', { timeout: 600_000 }, async () => {
    const all = [
      ...cases(SHAPES, false, false, true), // GPT-2's layers: K × N floats, with a bias
      ...cases(SHAPES, false, true, true), // the same as halves, widened on the GPU
      ...cases(SHAPES, true, false, false), // the output head: N × K
      ...cases(SHAPES, true, true, false), // an F16 embedding table as the head
      ...cases([[2, 37, 101]], true, true, false), // halves whose rows start mid-word
    ];
    all.push(...heldToo(all)); // as a streamed model's weights are: held by WebAssembly, as floats or halves
    const { products, adapter } = await check({ kind: 'products', cases: all, seed: 1 });
    expect(adapter).toMatch(/swiftshader/);
    expect(products!.length).toBe(all.length);
    for (const p of products!) expect(p.worstOfBound, JSON.stringify(p)).toBeLessThan(1);
    const worst = Math.max(...products!.map((p) => p.worstOfBound));
    const identical = products!.reduce((sum, p) => sum + p.identical * p.M * p.N, 0) / products!.reduce((sum, p) => sum + p.M * p.N, 0);
    console.log(`worst product: ${(worst * 100).toFixed(1)}% of the bound; ${(identical * 100).toFixed(0)}% of all outputs identical to the plain kernels'`);
  });

  it('cut weights into pieces and products into blocks of rows when a binding is small, with the same results bit for bit', { timeout: 600_000 }, async () => {
    const list: [number, number, number][] = [
      [9, 37, 53], // K × N: 37 rows of 212 bytes, 4 to a 1 KB piece: the pieces add up along K
      [70, 100, 30], // a product of 70 rows goes over in blocks of 2 rows (100 floats each)
    ];
    const arrays = [...cases(list, false, false, true), ...cases(list, false, true, true), ...cases(list, true, false, false), ...cases(list, true, true, false)];
    const whole = await check({ kind: 'products', cases: arrays, seed: 2 });
    const cut = await check({ kind: 'products', cases: arrays, seed: 2, maxBindingBytes: 1024 });
    const heldCut = await check({ kind: 'products', cases: heldToo(arrays), seed: 2, maxBindingBytes: 1024 });
    for (const p of [...cut.products!, ...heldCut.products!]) expect(p.worstOfBound, JSON.stringify(p)).toBeLessThan(1);
    // Every output adds its terms in the same order either way, so not one bit may differ; a
    // weight read back from the WebAssembly kernels reaches the GPU with the array's very numbers.
    expect(cut.products!.map((p) => p.hash)).toEqual(whole.products!.map((p) => p.hash));
    expect(heldCut.products!.map((p) => p.hash)).toEqual(whole.products!.map((p) => p.hash));
  });

  it('refuse a weight one row of which is larger than the device’s largest binding, saying so', async () => {
    const answer = await page.evaluate((r) => window.gpuCheck(r), { kind: 'too-large', K: 4, N: 512, maxBindingBytes: 1024 } as CheckRequest);
    expect(answer).toEqual({ ok: false, kind: 'limit', message: 'one row of a 4 × 512 weight (2.0 KB) is larger than the GPU’s largest binding (1.0 KB)' });
  });

  // Its file holds halves, so both ways the kernels hold the same numbers: floats, or halves
  // narrowed again on their way to the GPU (a wrong narrowing would move values by their size).
  for (const precision of ['f32', 'f16'] as const) {
    it(`trace the built-in model, its matrices held by WebAssembly as ${precision === 'f32' ? 'floats' : 'halves'}, as WebAssembly does: the same names and shapes, every tensor within ${PASS_TOLERANCE} · (1 + its largest value)`, { timeout: 600_000 }, async () => {
      const ids = gpt2Tokenizer().encode('ROMEO: The robots will bring us all to ruin, and');
      const { tensors, sameLayout, sameArgmax } = await check({ kind: 'trace', model: 'built-in', ids, precision });
      expect(sameLayout).toBe(true);
      expectWithinTolerance(tensors!);
      expect(sameArgmax).toBe(true);
    });
  }

  it(`trace a random model of GPT-2 small's shape (12 blocks, C = 768, 50,257 tokens; the head cut in two) within the same tolerance`, { timeout: 900_000 }, async () => {
    const ids = gpt2Tokenizer().encode('The robots will bring us all to ruin');
    const { tensors, sameLayout, sameArgmax } = await check({ kind: 'trace', model: 'gpt2-small', ids, maxBindingBytes: 128 * 2 ** 20 });
    expect(sameLayout).toBe(true);
    expectWithinTolerance(tensors!);
    expect(tensors!.map((t) => t.name)).toContain('h.11.out');
    expect(sameArgmax).toBe(true);
  });
});
