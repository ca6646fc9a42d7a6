// The sums a reader can redo from the screen: the worked row of "applying attention", one cell
// of the embedding sum and a row of attention weights. Read back from the numbers the scenes
// report as drawn (grouped by line), they must add up to the shown result within rounding.
// And the count of tied logits the prediction scene states, against the embedded model's trace.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { explain } from '../src/model/explain.ts';
import { GPT } from '../src/model/gpt.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';
import { sceneByName } from '../src/scenes/index.ts';
import type { Explanation } from '../src/model/explanation.ts';
import type { ShownNumber } from '../src/render/frame.ts';
import { sceneExplanation } from './helpers/scene-explanation.ts';
import { parseShown } from './helpers/shown-numbers.ts';

const [W, H] = [1280, 720];

function endFrame(ex: Explanation, name: string): ShownNumber[] {
  const scene = sceneByName(name)!.build(ex);
  return scene.numbersAt(scene.durationSeconds, W, H);
}

const shownValue = (n: ShownNumber) => parseShown(n.text)!.value / (n.scale ?? 1);
const near = (a: number, b: number) => Math.abs(a - b) < 0.5;

describe.each([
  // [label, explanation, value rows the worked sum leaves out]
  ['the default prompt', sceneExplanation(), 0],
  ['a long prompt, another head', sceneExplanation('The robots will bring the parcels to every house in the town', { layer: 2, head: 5 }), 7],
])('on-screen arithmetic for %s', (_label, ex, leftOut) => {
  const { layer, head } = ex;
  const Hs = ex.config.nEmbd / ex.config.nHead;

  it('applying attention: the weighted value rows add up to the output row', () => {
    const shown = endFrame(ex, 'apply-attention');
    const weights = shown.filter((n) => n.source.tensor === `h.${layer}.attn.weights` && n.scale === 100);
    expect(weights.length).toBeGreaterThan(0);
    const top = Math.min(...weights.map((n) => n.at!.y)) - 1;
    const values = shown.filter((n) => n.source.tensor === `h.${layer}.attn.v` && n.at!.y >= top);
    const results = shown.filter((n) => n.source.tensor === `h.${layer}.attn.heads` && n.at!.y >= top);
    expect(results.length).toBeGreaterThan(1);
    const T = ex.tokens.length;
    const C = ex.config.nEmbd;
    // A long prompt writes out only the largest weights; the rows it leaves out are added
    // from the trace, so the written terms are still checked against the written result.
    const shownPositions = weights.map((w) => w.source.index % T);
    const omitted = Array.from({ length: T }, (_, s) => s).filter((s) => !shownPositions.includes(s));
    expect(omitted).toHaveLength(leftOut);
    const W = ex.trace.get(`h.${layer}.attn.weights`)!.data; // nHead × T × T
    const V = ex.trace.get(`h.${layer}.attn.v`)!.data; // T × C
    const wAt = (s: number) => W[(head * T + T - 1) * T + s];
    for (const s of omitted) expect(wAt(s), `left-out row ${s} outweighs a written one`).toBeLessThanOrEqual(Math.min(...shownPositions.map(wAt)));
    for (const res of results) {
      const col = res.source.index % Hs;
      let sum = 0;
      let slack = 0.005 + 1e-9;
      for (const w of weights) {
        const v = values.find((n) => near(n.at!.y, w.at!.y) && (n.source.index % C) - head * Hs === col);
        expect(v, `value in column ${col} on the line of ${w.text}`).toBeDefined();
        const [wv, vv] = [shownValue(w), shownValue(v!)];
        sum += wv * vv;
        slack += 0.5 * 10 ** -parseShown(w.text)!.decimals / 100 * Math.abs(vv) + wv * 0.005;
      }
      for (const s of omitted) sum += wAt(s) * V[s * C + head * Hs + col];
      expect(Math.abs(sum - shownValue(res)), `column ${col}: ${sum} vs ${res.text}`).toBeLessThanOrEqual(slack);
    }
  });

  it('embedding sum: the worked cell adds up', () => {
    const shown = endFrame(ex, 'embedding-sum');
    const y = Math.max(...shown.map((n) => n.at!.y));
    const line = shown.filter((n) => near(n.at!.y, y));
    const [a, b, c] = ['embed.token', 'embed.position', 'embed.sum'].map((t) => line.find((n) => n.source.tensor === t)!);
    expect(Math.abs(shownValue(a) + shownValue(b) - shownValue(c))).toBeLessThan(1e-9);
    expect(new Set([a, b, c].map((n) => n.source.index)).size).toBe(1);
  });

  it('mask and softmax: a row of weights sums to 1', () => {
    const shown = endFrame(ex, 'mask-softmax');
    const total = shown.find((n) => n.sumOf);
    expect(total?.text).toBe('1.00');
    // Every weight of the row is on screen: on the total's own line when it fits, else in
    // the matrix row above it; either way the shown two-decimal values add up to 1.
    const sameTensor = shown.filter((n) => n.source.tensor === total!.source.tensor && n !== total);
    const terms = total!.sumOf!.map((i) => {
      const candidates = sameTensor.filter((n) => n.source.index === i);
      return candidates.find((n) => near(n.at!.y, total!.at!.y)) ?? candidates[0];
    });
    expect(terms.every(Boolean), 'a weight of the summed row is not on screen').toBe(true);
    expect(terms).toHaveLength(ex.tokens.length);
    const sum = terms.reduce((acc, n) => acc + shownValue(n), 0);
    expect(Math.abs(sum - 1)).toBeLessThanOrEqual(terms.length * 0.005 + 1e-9);
  });
});

describe('the prediction scene on the embedded model', () => {
  it('says how many logits are exactly equal, and to what, as the trace has them; a model without such ties gets no such caption', async () => {
    const { config, weights } = await loadModelDir(fileURLToPath(new URL('../models/default', import.meta.url)));
    const model = new GPT(config, weights);
    const ex = explain(model, gpt2Tokenizer(), 'The robots will bring', { modelName: 'models/default', generateTokens: 1 });
    const V = config.vocabSize;
    const last = ex.trace.get('logits')!.data.subarray((ex.tokens.length - 1) * V);
    const caption = sceneByName('prediction')!.build(ex).beats!.find((b) => b.name === 'shared')?.caption ?? '';
    const [, countText, valueText] = /^([\d,]+) of these logits are one and the same number, (−?[\d.]+) /.exec(caption) ?? [];
    expect(countText, caption).toBeDefined();
    const value = Number(valueText.replace('−', '-'));
    const equal = last.filter((v) => v === last.find((w) => Math.abs(w - value) < 0.005));
    expect(Number(countText.replace(/,/g, ''))).toBe(equal.length);
    expect(equal.length).toBeGreaterThan(V / 2); // the 39,023 tokens Tiny Shakespeare never uses, and no others
    const noTies = sceneByName('prediction')!.build(sceneExplanation());
    expect(noTies.beats!.map((b) => b.name)).not.toContain('shared');
  });
});
