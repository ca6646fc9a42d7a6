// The all-heads and logit-lens scenes beyond what every scene is checked for (scenes.test.ts):
// what each head mostly looks at (heads.* in the registry) against the attention weights, the
// heads the scene names, every map's cells and the head they choose, a phone's pages, a long
// prompt's downsampled cells; the lens's rows filling in and its last row equal to probs; and
// the choices a reader makes with the keyboard (src/web/choices.ts).

import { describe, expect, it } from 'vitest';
import { FIRST_HABIT_ROW } from '../src/model/head-habits.ts';
import { namedValue, type ValueName } from '../src/model/registry.ts';
import type { Explanation } from '../src/model/explanation.ts';
import type { Spot } from '../src/render/frame.ts';
import { sceneByName } from '../src/scenes/index.ts';
import { describeChoice, isChoiceStop, isShown, keyStops } from '../src/web/choices.ts';
import { moveAmong, readingLines } from '../src/web/readout.ts';
import { fullContextExplanation, sceneExplanation } from './helpers/scene-explanation.ts';

const [W, H] = [1280, 720];

function weightAt(ex: Explanation, l: number, h: number, r: number, c: number): number {
  const T = ex.tokens.length;
  return ex.trace.get(`h.${l}.attn.weights`)!.data[(h * T + r) * T + c];
}

describe('what each head mostly looks at (heads.previous, heads.first, heads.self)', () => {
  const ex = sceneExplanation('The robots will bring the parcels');
  const { nLayer, nHead } = ex.config;
  const T = ex.tokens.length;
  const columns = { previous: (r: number) => r - 1, first: () => 0, self: (r: number) => r };

  it.each(Object.entries(columns))('heads.%s is the mean weight on that token over rows 2 … T − 1, for every block and head', (habit, column) => {
    const value = namedValue(ex, `heads.${habit}` as ValueName)!;
    expect(value.shape).toEqual([nLayer, nHead]);
    for (let l = 0; l < nLayer; l++) {
      for (let h = 0; h < nHead; h++) {
        let sum = 0;
        for (let r = FIRST_HABIT_ROW; r < T; r++) sum += weightAt(ex, l, h, r, column(r));
        expect(value.data[l * nHead + h]).toBeCloseTo(sum / (T - FIRST_HABIT_ROW), 6);
      }
    }
  });

  it('puts at most all of a head’s weight on the three together, and has no value for prompts under three tokens', () => {
    const habits = ['previous', 'first', 'self'].map((h) => namedValue(ex, `heads.${h}` as ValueName)!.data);
    for (let i = 0; i < nLayer * nHead; i++) expect(habits[0][i] + habits[1][i] + habits[2][i]).toBeLessThanOrEqual(1 + 1e-6);
    const short = sceneExplanation('The robots');
    expect(short.tokens.length).toBeLessThan(3);
    expect(Array.from(namedValue(short, 'heads.first')!.data).every(Number.isNaN)).toBe(true);
    const scene = sceneByName('all-heads')!.build(short);
    expect(scene.beats!.find((b) => b.name === 'look')!.caption).toMatch(/three tokens or more/);
    expect(scene.numbersAt(scene.durationSeconds, W, H).some((n) => n.source.tensor.startsWith('heads.'))).toBe(false);
  });

  it('the scene names, for each habit, the head with the largest mean, with its block, head and figure', () => {
    const scene = sceneByName('all-heads')!.build(ex);
    const shown = scene.numbersAt(scene.durationSeconds, W, H);
    for (const habit of ['previous', 'first', 'self']) {
      const values = Array.from(namedValue(ex, `heads.${habit}` as ValueName)!.data);
      const best = values.indexOf(Math.max(...values));
      const figure = shown.find((n) => n.source.tensor === `heads.${habit}`);
      expect(figure?.source.index, habit).toBe(best);
      // Its block and head are drawn on the same line, just before the figure.
      const line = shown.filter((n) => Math.abs(n.at!.y - figure!.at!.y) < 1 && n.at!.x < figure!.at!.x);
      const [blockShown, headShown] = [line.filter((n) => n.source.tensor === 'block').at(-1), line.filter((n) => n.source.tensor === 'head').at(-1)];
      expect([blockShown?.value, headShown?.value]).toEqual([Math.floor(best / nHead), best % nHead]);
    }
  });
});

/** The spots of the head maps at time t: their choices, grouped. */
function mapsAt(ex: Explanation, t: number, w: number, h: number): Map<string, Spot[]> {
  const spots = sceneByName('all-heads')!.build(ex).spotsAt(t, w, h);
  const maps = new Map<string, Spot[]>();
  for (const s of spots) {
    if (!s.choose) continue;
    const key = `${s.choose.layer}/${s.choose.head}`;
    maps.set(key, [...(maps.get(key) ?? []), s]);
  }
  return maps;
}

describe('the all-heads scene', () => {
  const ex = sceneExplanation('The robots will bring the parcels');
  const { nLayer, nHead } = ex.config;
  const T = ex.tokens.length;
  const end = sceneByName('all-heads')!.build(ex).durationSeconds;

  it('draws every block × head map, every weight of it a spot that chooses that block and head', () => {
    const maps = mapsAt(ex, end, W, H);
    expect(maps.size).toBe(nLayer * nHead);
    for (const [key, spots] of maps) {
      const [l, h] = key.split('/').map(Number);
      expect(spots).toHaveLength(T * T);
      for (const s of spots) {
        expect(s.source.tensor).toBe(`h.${l}.attn.weights`);
        expect(Math.floor(s.source.index / (T * T))).toBe(h);
        expect(s.note).toBeUndefined();
      }
    }
  });

  it('on a phone, shows one block at a time and turns the pages as it plays, ending on the block followed', () => {
    const scene = sceneByName('all-heads')!.build(ex);
    const seen = new Set<string>();
    for (let i = 0; i <= 60; i++) {
      const maps = mapsAt(ex, (scene.durationSeconds * i) / 60, 360, 640);
      if (maps.size === 0) continue;
      const blocks = new Set([...maps.keys()].map((k) => k.split('/')[0]));
      expect(blocks.size).toBe(1);
      expect(maps.size).toBe(nHead);
      seen.add([...blocks][0]);
    }
    expect(seen.size).toBe(nLayer);
    expect([...mapsAt(ex, scene.durationSeconds, 360, 640).keys()][0].split('/')[0]).toBe(String(ex.layer));
    // The page line says which block is shown.
    const shown = scene.numbersAt(scene.durationSeconds, 360, 640);
    expect(shown.find((n) => n.source.tensor === 'block')?.value).toBe(ex.layer);
  });

  it('with a prompt as long as the context, each cell covers several tokens, shows the largest weight among them and says so', () => {
    const long = fullContextExplanation();
    const L = long.tokens.length;
    expect(L).toBe(long.config.nPositions);
    const scene = sceneByName('all-heads')!.build(long);
    const spots = scene.spotsAt(scene.durationSeconds, W, H).filter((s) => s.choose);
    const G = Math.sqrt(spots.length / (long.config.nLayer * long.config.nHead));
    expect(Number.isInteger(G) && G < L).toBe(true);
    for (const s of spots.filter((_, i) => i % 97 === 0)) {
      const [, r0, r1, c0, c1] = /covers rows (\d+)–(\d+) and columns (\d+)–(\d+)/.exec(s.note ?? '')!.map(Number);
      const { layer, head } = s.choose!;
      let largest = -Infinity;
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) largest = Math.max(largest, weightAt(long, layer!, head!, r, c));
      expect(s.value).toBe(largest);
    }
  });
});

describe('the logit-lens scene', () => {
  const ex = sceneExplanation('The robots will bring the parcels', { lensPosition: 2 });
  const scene = sceneByName('logit-lens')!.build(ex);
  const V = ex.config.vocabSize;
  const S = ex.lens.stages.length;

  it('fills in depth by depth, every figure from lens.probs, and its last row is probs at that position', () => {
    const fill = scene.beats!.find((b) => b.name === 'fill')!;
    const counted = (t: number) => scene.numbersAt(t, W, H).filter((n) => n.source.tensor === 'lens.probs');
    const mid = counted(fill.startSeconds + 0.8).length;
    const all = counted(scene.durationSeconds);
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(all.length);
    expect(new Set(all.map((n) => Math.floor(n.source.index / V))).size).toBe(S);
    const probs = ex.trace.get('probs')!.data;
    const last = all.filter((n) => Math.floor(n.source.index / V) === S - 1);
    expect(last.length).toBeGreaterThan(0);
    for (const n of last) expect(n.value / 100).toBe(probs[2 * V + (n.source.index % V)]);
    expect(scene.beats!.find((b) => b.name === 'last')!.caption).toMatch(/model’s own prediction/);
  });

  it('names the position it reads, and each prompt token chooses its position', () => {
    const shown = scene.numbersAt(scene.durationSeconds, W, H);
    expect(shown.find((n) => n.source.tensor === 'position')?.value).toBe(2);
    const chips = scene.spotsAt(scene.durationSeconds, W, H).filter((s) => s.choose?.position !== undefined);
    expect(chips.map((s) => s.choose!.position)).toEqual(ex.tokens.map((_, i) => i));
    for (const s of chips) expect(s.source).toEqual({ tensor: 'tokens', index: s.choose!.position });
  });
});

describe('choosing with the keyboard', () => {
  const ex = sceneExplanation();
  const box = (x: number, y: number, layer: number, head: number): Spot => ({ x, y, w: 10, h: 10, value: 0, source: { tensor: 'tokens', index: 0 }, choose: { layer, head } });
  // Two maps side by side over two rows, each of two spots; and a spot that chooses nothing.
  const plain: Spot = { x: 80, y: 80, w: 10, h: 10, value: 0.5, source: { tensor: 'probs', index: 3 } };
  const spots = [box(0, 0, 0, 0), box(10, 0, 0, 0), box(40, 0, 0, 1), box(0, 40, 1, 0), box(40, 40, 1, 1), plain];
  const stops = keyStops(spots);

  it('makes one stop per choice, around all of its spots, and keeps every spot that chooses nothing', () => {
    expect(stops.map((t) => [t.choose, t.x, t.y, t.w, t.h])).toEqual([
      [{ layer: 0, head: 0 }, 0, 0, 20, 10], [{ layer: 0, head: 1 }, 40, 0, 10, 10], [{ layer: 1, head: 0 }, 0, 40, 10, 10], [{ layer: 1, head: 1 }, 40, 40, 10, 10],
      [undefined, 80, 80, 10, 10],
    ]);
    expect(stops.map(isChoiceStop)).toEqual([true, true, true, true, false]);
    expect(spots.some(isChoiceStop)).toBe(false);
  });

  it('moves between stops like between numbers: sideways in reading order, up and down by line', () => {
    const lines = readingLines(stops);
    const [a, b, c, d] = stops;
    expect(moveAmong(lines, a, 'next')).toBe(b);
    expect(moveAmong(lines, a, 'down')).toBe(c);
    expect(moveAmong(lines, d, 'previous')).toBe(c);
    expect(moveAmong(lines, d, 'up')).toBe(b);
    expect(moveAmong(lines, a, 'previous')).toBe(a);
  });

  it('knows the choice already shown, and says what Enter does', () => {
    expect(isShown({ layer: ex.layer, head: ex.head }, ex)).toBe(true);
    expect(isShown({ layer: ex.layer, head: (ex.head + 1) % ex.config.nHead }, ex)).toBe(false);
    expect(describeChoice({ layer: 0, head: 1 }, ex)).toBe('block 0, head 1: Enter makes the attention scenes follow this head');
    expect(describeChoice({ position: 0 }, ex)).toContain('position 0 (“');
  });
});
