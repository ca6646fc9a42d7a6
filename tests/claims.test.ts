// What the scenes claim about the model, checked against it by other means than the scenes'
// own: the next token shown is the argmax of the last row of probabilities, the table's "most
// likely tokens" are the largest in order, greedy picks the argmax and a seeded draw picks what
// generation draws, the "strongest colour" is the largest value, a heatmap's min and max are the
// extremes, and the parameter count is the number of numbers in the weight files (a tied head
// once). And where rounding breaks a sum the screen states, the screen says so.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { sceneByName } from '../src/scenes/index.ts';
import type { Explanation } from '../src/model/explanation.ts';
import { explain } from '../src/model/explain.ts';
import { generate } from '../src/model/generate.ts';
import { loadModelDir } from '../src/model/checkpoint-node.ts';
import { parameterCount } from '../src/model/config.ts';
import { parseSafetensors } from '../src/model/safetensors.ts';
import { ROW_TOKENS, SHARED_ROWS } from '../src/model/checkpoint-read.ts';
import { GPT } from '../src/model/gpt.ts';
import { HeatmapView } from '../src/anim/heatmap.ts';
import { oneRow } from '../src/anim/matrix.ts';
import { Frame, formatFixed } from '../src/render/frame.ts';
import { gpt2Tokenizer } from '../src/tokenizer/index.ts';
import type { ShownNumber } from '../src/render/frame.ts';
import type { DrawnText } from '../src/render/said.ts';
import { sceneExplanation } from './helpers/scene-explanation.ts';
import { parseShown } from './helpers/shown-numbers.ts';
import { checkText } from './helpers/drawn-text.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const [W, H] = [1280, 720];

/** The numbers and texts a scene draws at the end of its timeline. */
function endFrame(ex: Explanation, name: string): { shown: ShownNumber[]; texts: DrawnText[] } {
  const scene = sceneByName(name)!.build(ex);
  return { shown: scene.numbersAt(scene.durationSeconds, W, H), texts: scene.textAt(scene.durationSeconds, W, H) };
}

/** The last row of probabilities, ranked by a plain sort (most likely first, ties by id). */
function ranked(ex: Explanation): number[] {
  const V = ex.config.vocabSize;
  const row = ex.trace.get('probs')!.data.subarray((ex.tokens.length - 1) * V);
  return Array.from({ length: V }, (_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
}

/** The token ids whose pieces a frame draws from a source, in drawing order. */
function piecesFrom(texts: DrawnText[], tensor: string): { id: number; index: number }[] {
  return texts.flatMap((t) => t.said.filter((p) => p.claim.kind === 'piece' && p.claim.source?.tensor === tensor)).map((p) => {
    const claim = p.claim as { id: number; source: { index: number } };
    return { id: claim.id, index: claim.source.index };
  });
}

let builtIn: { model: GPT; ex: Explanation };

beforeAll(async () => {
  const { config, weights } = await loadModelDir(join(REPO, 'models/default'));
  const model = new GPT(config, weights);
  builtIn = { model, ex: explain(model, gpt2Tokenizer(), 'The robots will bring', { modelName: 'built-in model' }) };
});

describe('the extremes a scene names are the extremes', () => {
  const cases = () => [builtIn.ex, sceneExplanation(), sceneExplanation('Once upon a time there was a robot', { layer: 2, head: 1 })];

  it('the function scene’s next token is the argmax of the last row of probabilities, with its own piece and id', () => {
    for (const ex of cases()) {
      const best = ranked(ex)[0];
      const { shown, texts } = endFrame(ex, 'function');
      const id = shown.find((n) => n.source.tensor === 'topTokens' && n.source.index === 0);
      expect(parseShown(id!.text)!.value).toBe(best);
      expect(new Set(piecesFrom(texts, 'topTokens').map((p) => p.id))).toEqual(new Set([best])); // the chip and the caption
      expect(checkText(ex, texts)).toEqual([]); // the piece drawn is that id's piece
    }
  });

  it('the prediction table’s most likely tokens are the five largest probabilities, in order', () => {
    for (const ex of cases()) {
      const rows = piecesFrom(endFrame(ex, 'prediction').texts, 'topTokens');
      expect(rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
      expect(rows.map((r) => r.id)).toEqual(ranked(ex).slice(0, 5));
    }
  });

  it('greedy picks the argmax, and a seeded draw picks what generation draws with that seed', () => {
    const { model, ex } = builtIn;
    const ids = ex.tokens.map((t) => t.id);
    const greedy = explain(model, gpt2Tokenizer(), ex.prompt, { modelName: 'built-in model', sampling: { temperature: 0, topK: 0, topP: 1, seed: 1 }, generateTokens: 1 });
    expect(piecesFrom(endFrame(greedy, 'prediction').texts, 'generation.chosen')[0].id).toBe(ranked(greedy)[0]);
    for (const seed of [1, 42, 7]) {
      const sampling = { temperature: 1.2, topK: 0, topP: 1, seed };
      const sampled = explain(model, gpt2Tokenizer(), ex.prompt, { modelName: 'built-in model', sampling, generateTokens: 1 });
      const [drawn] = [...generate(model, ids, { ...sampling, maxNewTokens: 1 })];
      const picked = piecesFrom(endFrame(sampled, 'prediction').texts, 'generation.chosen');
      expect(picked.length).toBeGreaterThan(0);
      expect(picked.every((p) => p.id === drawn.id)).toBe(true);
      expect(sampled.sampledProbs[drawn.id]).toBeGreaterThan(0);
    }
  });

  it('going deeper’s “strongest colour” is the value of largest size in the last row of every block', () => {
    for (const ex of cases()) {
      const { shown, texts } = endFrame(ex, 'going-deeper');
      const note = texts.find((t) => t.text.includes('strongest colour'))!;
      const strongest = shown.find((n) => /^h\.\d+\.out$/.test(n.source.tensor) && Math.abs(n.at!.y - note.y) < 1)!;
      const C = ex.config.nEmbd;
      const r = ex.tokens.length - 1;
      let largest = 0;
      for (let l = 0; l < ex.config.nLayer; l++) {
        const out = ex.trace.get(`h.${l}.out`)!.data;
        for (let c = 0; c < C; c++) largest = Math.max(largest, Math.abs(out[r * C + c]));
      }
      expect(Math.abs(strongest.value)).toBe(largest);
    }
  });

  it('a heatmap’s min and max are the extremes of its rows, and each strip shows the largest of its columns', () => {
    const ex = sceneExplanation();
    const src = oneRow(ex.trace, 'h.1.mlp.fc', 2);
    const view = new HeatmapView(src, [0], 60, 10, 19).at(0, 0);
    const f = new Frame(640, 360);
    view.draw(f);
    const row = Array.from({ length: src.cols }, (_, c) => src.data[src.index(0, c)]);
    const [lo, hi] = f.shown; // drawn beside "min", then beside "max"
    expect([lo.value, hi.value]).toEqual([Math.min(...row), Math.max(...row)]);
    const strips = f.spots.filter((spot) => spot.h === 10); // the legend's numbers have spots of their own
    expect(strips).toHaveLength(view.strips);
    for (const spot of strips) {
      const k = Math.round(spot.x / (60 / view.strips));
      const [c0, c1] = [Math.floor((k * src.cols) / view.strips), Math.max(Math.floor((k * src.cols) / view.strips) + 1, Math.floor(((k + 1) * src.cols) / view.strips))];
      expect(Math.abs(spot.value)).toBe(Math.max(...row.slice(c0, c1).map(Math.abs)));
    }
  });
});

describe('the parameter count', () => {
  it('is the number of numbers in the weight files, a tied head counted once', async () => {
    for (const folder of ['models/default', 'tests/fixtures/tiny-tied', 'tests/fixtures/tiny-untied-f16', 'tests/fixtures/hf-tied', 'tests/fixtures/hf-untied-bf16', 'tests/fixtures/hf-base-6layer']) {
      const file = parseSafetensors(new Uint8Array(readFileSync(join(REPO, folder, 'model.safetensors'))));
      const { config } = await loadModelDir(join(REPO, folder));
      let numbers = 0;
      for (const [name, entry] of file.entries) {
        // Some checkpoints carry the causal mask as a buffer; it is not a parameter.
        if (/(^|\.)attn\.(masked_)?bias$/.test(name)) continue;
        // The shared-row layout's list of tokens is not a parameter; its rows stand for V × C.
        if (name === ROW_TOKENS) continue;
        numbers += name === SHARED_ROWS ? config.vocabSize * entry.shape[1] : entry.shape.reduce((a, b) => a * b, 1);
      }
      const tiedHeadInFile = config.tieWordEmbeddings && [...file.entries.keys()].some((n) => n.endsWith('lm_head.weight'));
      if (tiedHeadInFile) numbers -= config.vocabSize * config.nEmbd;
      expect(parameterCount(config), folder).toBe(numbers);
    }
    expect(builtIn.ex.parameterCount).toBe(parameterCount(builtIn.ex.config));
  });
});

describe('rounding that breaks a sum the screen states is said on screen', () => {
  it('the embedding sum’s worked cell adds up, or is written with ≈ and a note when no visible cell does', () => {
    const ex = sceneExplanation();
    const exact = endFrame(ex, 'embedding-sum').texts.map((t) => t.text).join(' ');
    expect(exact).toContain(' = ');
    expect(exact).not.toContain('rounded on its own');
    // Every cell 0.004 + 0.004 = 0.008: each part rounds to 0.00 and the sum to 0.01.
    const trace = new Map(ex.trace);
    for (const [name, value] of [['embed.token', 0.004], ['embed.position', 0.004], ['embed.sum', 0.008]] as const) {
      const t = ex.trace.get(name)!;
      trace.set(name, { shape: t.shape, data: new Float32Array(t.data.length).fill(value) });
    }
    const broken = { ...ex, trace };
    const { shown, texts } = endFrame(broken, 'embedding-sum');
    const words = texts.map((t) => t.text).join(' ');
    expect(words).toContain(' ≈ ');
    expect(words).toContain('each rounded on its own');
    const y = Math.max(...shown.map((n) => n.at!.y));
    const line = shown.filter((n) => Math.abs(n.at!.y - y) < 0.5).map((n) => n.text);
    expect(line).toEqual([formatFixed(0.004), formatFixed(0.004), formatFixed(0.008)]);
  });

  it('the prediction captions say so exactly when a column’s percentages, as drawn, miss a hundred', () => {
    const seen = { adds: 0, misses: 0 };
    const prompts = ['The robots will bring', 'Once upon a time', 'ROMEO:', 'First Citizen:'];
    // The built-in model is so sure after "ROMEO:" that its rule keeps one token: 100.0% and zeros add up.
    for (const ex of [...prompts.map((p) => sceneExplanation(p)), ...prompts.map((p) => explain(builtIn.model, gpt2Tokenizer(), p, { modelName: 'built-in model' }))]) {
      const scene = sceneByName('prediction')!.build(ex);
      const shown = scene.numbersAt(scene.durationSeconds, W, H);
      for (const [tensor, beat] of [['probs', 'softmax'], ['sampledProbs', 'rule']] as const) {
        const column = shown.filter((n) => n.source.tensor === tensor && n.scale === 100);
        expect(column.length).toBeGreaterThan(1);
        const total = column.reduce((sum, n) => sum + parseShown(n.text)!.value, 0);
        const adds = Math.abs(total - 100) < 1e-9;
        seen[adds ? 'adds' : 'misses']++;
        const caption = scene.beats!.find((b) => b.name === beat)!;
        const drawn = scene.textAt((caption.startSeconds + caption.endSeconds) / 2, W, H).map((t) => t.text).join(' ');
        expect(drawn.includes('Each is rounded'), `${ex.prompt}, ${tensor}: the column adds to ${total}`).toBe(!adds);
      }
    }
    expect(seen.adds).toBeGreaterThan(0);
    expect(seen.misses).toBeGreaterThan(0);
  });
});
