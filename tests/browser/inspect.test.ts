// Asking a number what it is made of, on the article page with the built-in model: a resting
// mouse shows the value's formula and outlines the cells it reads; a tap on a paused scene
// inspects a number and a tap elsewhere plays on; the arrow keys move from number to number in
// reading order, their words reaching the live region, and Escape leaves; the caption of the
// current beat is there for screen readers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';
import { highlightShare, pageReady, viewScene } from './page-probe.ts';
import type { TransformerSceneElement } from '../../src/web/player.ts';
import { fullPrecision, readingLines } from '../../src/web/readout.ts';
import { shownDigits } from '../../src/model/formula-expr.ts';
import { plainText } from '../../src/anim/label.ts';
import type { Spot } from '../../src/render/frame.ts';

let server: ViteDevServer;
let origin: string;
let browser: Browser;
let watched: WatchedPage;
let page: Page;

const SCENE = 'qkv';
const scene = (p: Page = page) => p.locator(`transformer-scene[scene="${SCENE}"]`);
/** The polite live region's words, and the visible readout's. */
const live = (p: Page = page) => scene(p).evaluate((el) => el.shadowRoot!.querySelector('[role="status"][aria-live="polite"]')!.textContent ?? '');
const readout = () => scene().evaluate((el) => el.shadowRoot!.querySelector('.readout')!.textContent ?? '');

/**
 * Pauses the scene at the first moment that shows both queries and their input (the layer norm),
 * and returns its spots there with a query whose input row is on screen.
 */
async function pauseWhereQueriesAndInputsShow(p: Page): Promise<{ spots: Spot[]; query: Spot; inputs: Spot[] }> {
  await viewScene(p, SCENE);
  const found = await scene(p).evaluate((el: TransformerSceneElement) => {
    el.pause();
    const { width, height } = el.getBoundingClientRect();
    for (let f = 0.2; f <= 1; f += 0.05) {
      const spots = el.sceneObject!.spotsAt(el.duration * f, width, height);
      const inputRow = (s: { source: { index: number } }) => Math.floor(s.source.index / el.explanation!.config.nEmbd);
      for (const query of spots.filter((s) => /^h\.\d+\.attn\.q$/.test(s.source.tensor))) {
        const inputs = spots.filter((s) => /^h\.\d+\.ln_1$/.test(s.source.tensor) && inputRow(s) === inputRow(query));
        if (inputs.length > 0) {
          el.currentTime = el.duration * f;
          return { spots, query, inputs };
        }
      }
    }
    return null;
  });
  expect(found, `${SCENE} never shows a query beside its input row`).not.toBeNull();
  return found!;
}


beforeAll(async () => {
  ({ server, origin } = await startVite());
  browser = await launchChromium();
  watched = await watchedPage(browser);
  page = watched.page;
  await page.goto(`${origin}/`);
  await pageReady(page);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('what a number is made of, in the page', () => {
  it('a resting mouse shows the value, its formula with real inputs, and outlines the cells it reads', async () => {
    const { query, inputs } = await pauseWhereQueriesAndInputsShow(page);
    // The scene may mark a row in yellow itself: the outlines add to what it draws.
    const before = await Promise.all(inputs.map((s) => highlightShare(scene(), s)));
    const box = (await scene().boundingBox())!;
    await page.mouse.move(box.x + query.x + query.w / 2, box.y + query.y + query.h / 2);
    await expect.poll(readout).toContain('Σₖ');
    const text = await readout();
    expect(text).toContain(`= ${fullPrecision(query.value)} (queries, before splitting into heads)`);
    expect(text).toContain(`= ${shownDigits(query.value)}`);
    expect(text).toMatch(/the other \d+ terms/);
    // The live region has the same words once the formula is in.
    await expect.poll(live).toBe(text.split('\n').join(' '));
    // Every input cell on screen is outlined; the mouse leaving ends it all.
    for (const [i, input] of inputs.entries()) await expect.poll(() => highlightShare(scene(), input)).toBeGreaterThan(before[i] + 0.1);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height + 40);
    expect(await readout()).toBe('');
    expect(await highlightShare(scene(), inputs[0])).toBe(before[0]);
    expect(watched.errors).toEqual([]);
  });

  it('the arrow keys move from number to number in reading order on a paused scene; Escape leaves', async () => {
    const { spots } = await pauseWhereQueriesAndInputsShow(page);
    const order = readingLines(spots).flat();
    const shapes = await scene().evaluate((el: TransformerSceneElement) => Object.fromEntries([...el.explanation!.trace].map(([name, t]) => [name, t.shape])));
    const named = (s: Spot) => {
      const shape = shapes[s.source.tensor];
      const at = shape.map((_, d) => Math.floor(s.source.index / shape.slice(d + 1).reduce((a, b) => a * b, 1)) % shape[d]);
      return `${s.source.tensor}[${at.join(', ')}] = ${fullPrecision(s.value)}`;
    };
    await scene().focus();
    const time = await scene().evaluate((el: TransformerSceneElement) => el.currentTime);
    await page.keyboard.press('ArrowRight');
    await expect.poll(live).toContain(named(order[0]));
    const first = await live();
    expect(first).toContain(`= ${shownDigits(order[0].value)}`); // its formula's result, not just its name
    await page.keyboard.press('ArrowRight');
    await expect.poll(live).toContain(named(order[1]));
    expect(await live()).not.toBe(first);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(live).toBe(first);
    // The arrows did not move the time, and the scene is still paused.
    expect(await scene().evaluate((el: TransformerSceneElement) => [el.currentTime, el.paused])).toEqual([time, true]);
    await page.keyboard.press('Escape');
    expect(await readout()).toBe('');
    // After Escape, ← starts again from the last number.
    await page.keyboard.press('ArrowLeft');
    await expect.poll(live).toContain(named(order[order.length - 1]));
    await page.keyboard.press('Escape');
  });

  it('the caption of the current beat reaches screen readers, announced while the scene has focus', async () => {
    await scene().focus();
    const caption = await scene().evaluate((el: TransformerSceneElement) => {
      const box = [...el.shadowRoot!.querySelectorAll('.sr')].find((e) => e.getAttribute('aria-live') === 'polite' && !e.getAttribute('role'))!;
      const beat = el.sceneObject!.beats!.find((b) => el.currentTime < b.endSeconds) ?? el.sceneObject!.beats!.at(-1)!;
      return { shown: box.textContent, expected: beat.caption };
    });
    expect(caption.shown).toBe(plainText(caption.expected));
    // Stepping into another beat changes it.
    const other = await scene().evaluate((el: TransformerSceneElement) => {
      el.currentTime = el.sceneObject!.beats![0].startSeconds;
      return el.sceneObject!.beats![0].caption;
    });
    const said = () => scene().evaluate((el) => [...el.shadowRoot!.querySelectorAll('.sr')].map((e) => e.textContent));
    await expect.poll(said).toContain(plainText(other));
    await page.locator('#prompt').focus();
    const quiet = await scene().evaluate((el) => [...el.shadowRoot!.querySelectorAll('.sr[aria-live]')].map((e) => e.getAttribute('aria-live')));
    expect(quiet).toEqual(['off', 'polite']); // the caption goes quiet; the inspection's live region stays
  });

  it('touch: a tap on a number of a paused scene inspects it; a tap elsewhere plays on', async () => {
    const touch = await watchedPage(browser, { hasTouch: true, isMobile: true, viewport: { width: 412, height: 820 } });
    await touch.page.goto(`${origin}/`);
    await pageReady(touch.page);
    const { query } = await pauseWhereQueriesAndInputsShow(touch.page);
    const box = (await scene(touch.page).boundingBox())!;
    await touch.page.touchscreen.tap(box.x + query.x + query.w / 2, box.y + query.y + query.h / 2);
    await expect.poll(() => live(touch.page)).toContain('Σₖ');
    expect(await live(touch.page)).toContain(`= ${fullPrecision(query.value)}`);
    expect(await scene(touch.page).evaluate((el: TransformerSceneElement) => el.paused)).toBe(true);
    // The top-left corner holds the scene's title, which is no number.
    await touch.page.touchscreen.tap(box.x + 3, box.y + 3);
    expect(await scene(touch.page).evaluate((el: TransformerSceneElement) => el.paused)).toBe(false);
    expect(touch.errors).toEqual([]);
    await touch.page.context().close();
  });
});
