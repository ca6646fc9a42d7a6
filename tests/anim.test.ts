// The animation core: staggering keeps the total time, the storyboard's beats tile the
// timeline, slot picking keeps what must be seen, numbers are formatted with a true minus,
// and the number checker itself catches a wrong number.

import fc from 'fast-check';
import type { ValueName } from '../src/model/registry.ts';
import { describe, expect, it } from 'vitest';
import { smooth, easeOut, thereAndBack, within } from '../src/anim/easing.ts';
import { MatrixView, pickSlots, wholeMatrix } from '../src/anim/matrix.ts';
import { Storyboard, stageAt, stagger } from '../src/anim/timeline.ts';
import { formatFixed } from '../src/render/frame.ts';
import { checkShown } from './helpers/shown-numbers.ts';
import { sceneExplanation } from './helpers/scene-explanation.ts';

describe('easing', () => {
  it('maps 0 to 0 and 1 to 1 and stays within [0, 1]', () => {
    for (const e of [smooth, easeOut]) {
      expect(e(0)).toBe(0);
      expect(e(1)).toBe(1);
      fc.assert(fc.property(fc.double({ min: -2, max: 3, noNaN: true }), (p) => e(p) >= 0 && e(p) <= 1));
    }
    expect(thereAndBack(0.5)).toBe(1);
    expect(thereAndBack(1)).toBe(0);
  });
});

describe('stagger', () => {
  it('starts the first item at 0, ends the last at 1, and never goes backwards', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, lag) => {
        expect(stagger(0, 0, n, lag)).toBe(0);
        expect(stagger(1, n - 1, n, lag)).toBe(1);
        for (let i = 0; i < n; i++) {
          let prev = 0;
          for (let k = 0; k <= 20; k++) {
            const v = stagger(k / 20, i, n, lag);
            expect(v).toBeGreaterThanOrEqual(prev);
            prev = v;
          }
        }
      }),
    );
  });
  it('runs items one after another at lag ratio 1', () => {
    expect(stagger(0.5, 0, 2, 1)).toBe(1);
    expect(stagger(0.5, 1, 2, 1)).toBe(0);
  });
});

describe('Storyboard', () => {
  it('tiles the timeline with beats and places tracks in order', () => {
    const s = new Storyboard();
    s.beat('a', 'first');
    const t1 = s.play(1);
    const t2 = s.alongside(2, 0.5);
    s.wait(1);
    s.beat('b', 'second');
    const t3 = s.play(1);
    expect([t1.start, t1.end, t2.start, t2.end, t3.start, t3.end]).toEqual([0, 1, 0.5, 2.5, 3.5, 4.5]);
    expect(s.duration).toBe(4.5);
    expect(s.beats.map((b) => [b.start, b.end])).toEqual([
      [0, 3.5],
      [3.5, 4.5],
    ]);
    expect(s.beatAt(3.6).name).toBe('b');
    expect(t3.at(3)).toBe(0);
    expect(t3.at(5)).toBe(1);
  });

  it('says which stage is on: the last track started, a track\'s part, a stretch of progress', () => {
    const s = new Storyboard();
    s.beat('a', 'first');
    const one = s.play(1, (p) => p);
    const two = s.play(2, (p) => p);
    expect([-1, 0, 0.99, 1, 2.5, 9].map((t) => stageAt(t, [one, two]))).toEqual([0, 0, 0, 1, 1, 1]);
    expect([0, 1.2, 1.5, 2.1, 3].map((t) => two.part(t, 4))).toEqual([-1, 0, 1, 2, 3]);
    expect([0, 0.25, 0.5, 0.75, 1].map((p) => within(p, 0.5, 1))).toEqual([0, 0, 0, 0.5, 1]);
    expect(within(0.2, 0, 0.25)).toBeCloseTo(0.8, 12);
    expect(s.beatIndexAt(99)).toBe(0);
  });
});

describe('pickSlots', () => {
  it('shows all when they fit, else first ones, a gap, kept ones and the last', () => {
    expect(pickSlots(4, 6)).toEqual([0, 1, 2, 3]);
    expect(pickSlots(768, 5)).toEqual([0, 1, 2, 'gap', 767]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 3, max: 20 }), fc.nat(), (total, room, k) => {
        const keep = k % total;
        const slots = pickSlots(total, room, [keep]);
        const nums = slots.filter((x): x is number => x !== 'gap');
        expect(nums).toContain(0);
        expect(nums).toContain(total - 1);
        expect(nums).toContain(keep);
        if (total > room) expect(slots.length).toBeLessThanOrEqual(Math.max(room, 5));
        for (let i = 1; i < slots.length; i++) {
          const [a, b] = [slots[i - 1], slots[i]];
          if (a !== 'gap' && b !== 'gap') expect(b).toBe(a + 1);
          if (a === 'gap') expect(b).not.toBe('gap');
        }
      }),
    );
  });
});

describe('MatrixView', () => {
  it('walks its visible cells row after row and fills them in that order', () => {
    const ex = sceneExplanation();
    const m = new MatrixView(wholeMatrix(ex.trace, 'embed.sum'), { size: 19, maxWidth: 400, maxRows: 4, maxCols: 4 });
    const cells = m.visibleCells();
    const rows = m.rowSlots.filter((r) => r !== 'gap');
    const cols = m.colSlots.filter((c) => c !== 'gap');
    expect(cells).toEqual(rows.flatMap((r) => cols.map((c) => ({ r, c }))));
    const alpha = m.cellByCell(0.5);
    const seen = cells.map(({ r, c }) => alpha(r, c));
    expect(seen[0]).toBe(1);
    expect(seen.at(-1)).toBe(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeLessThanOrEqual(seen[i - 1]);
  });
});

describe('formatFixed', () => {
  it('uses a true minus sign and never shows −0.00', () => {
    expect(formatFixed(-0.4251)).toBe('\u22120.43');
    expect(formatFixed(-0.001)).toBe('0.00');
    expect(formatFixed(1.005, 1)).toBe('1.0');
    expect(formatFixed(-Infinity)).toBe('−∞');
  });
});

describe('checkShown', () => {
  const ex = sceneExplanation();
  const v = ex.trace.get('embed.sum')!.data[5];
  it('accepts a true number and rejects a wrong one, a wrong source and a hyphen', () => {
    expect(checkShown(ex, [{ text: formatFixed(v), value: v, source: { tensor: 'embed.sum', index: 5 } }])).toEqual([]);
    expect(checkShown(ex, [{ text: formatFixed(v + 0.02), value: v, source: { tensor: 'embed.sum', index: 5 } }])).toHaveLength(1);
    expect(checkShown(ex, [{ text: formatFixed(v), value: v, source: { tensor: 'embed.sum', index: 10 ** 9 } }])).toHaveLength(1);
    expect(checkShown(ex, [{ text: formatFixed(v), value: v, source: { tensor: 'nope' as ValueName, index: 0 } }])).toHaveLength(1);
    expect(checkShown(ex, [{ text: '-1.00', value: -1, source: { tensor: 'tokens', index: 1 } }]).length).toBeGreaterThan(0);
  });
});
