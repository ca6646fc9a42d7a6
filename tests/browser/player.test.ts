// The <transformer-scene> player on its own, with a trivial scene: playing, tap to pause,
// press-and-drag to seek, keyboard, reduced motion, and high-DPI canvas sizing. Each test opens
// the page afresh (it starts playing), so none depends on another having run.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';

let server: ViteDevServer;
let origin: string;
let browser: Browser;
let watched: WatchedPage;

const currentTime = () => watched.page.evaluate(() => document.querySelector('transformer-scene')!.currentTime);
const isPaused = () => watched.page.evaluate(() => document.querySelector('transformer-scene')!.paused);
/** Waits until the scene's clock has moved past `after`, i.e. it is really playing. */
const waitForTimePast = (after: number) =>
  watched.page.waitForFunction((t) => document.querySelector('transformer-scene')!.currentTime > t, after);

beforeAll(async () => {
  ({ server, origin } = await startVite());
  browser = await launchChromium();
});

beforeEach(async () => {
  watched = await watchedPage(browser, { deviceScaleFactor: 2 });
  await watched.page.goto(`${origin}/tests/browser/pages/player.html`);
  await watched.page.waitForFunction(() => document.querySelector('transformer-scene')?.duration === 10);
});

afterEach(() => watched?.page.context().close());

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('<transformer-scene> player', () => {
  it('plays on its own and draws a sharp canvas at the device pixel ratio', async () => {
    const t0 = await currentTime();
    await waitForTimePast(t0 + 0.2);
    expect(await isPaused()).toBe(false);
    const size = await watched.page.evaluate(() => {
      const el = document.querySelector('transformer-scene')!;
      const canvas = el.shadowRoot!.querySelector('canvas')!;
      return { canvas: [canvas.width, canvas.height], css: [el.clientWidth, el.clientHeight] };
    });
    expect(size.canvas[0]).toBe(size.css[0] * 2);
    expect(size.canvas[1]).toBe(size.css[1] * 2);
    expect(watched.errors).toEqual([]);
  });

  it('a short tap pauses (the clock stops) and shows the pause mark; another tap resumes', async () => {
    const { page } = watched;
    const box = (await page.locator('transformer-scene').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    expect(await isPaused()).toBe(true);
    const stopped = await currentTime();
    await page.waitForTimeout(300);
    expect(await currentTime()).toBe(stopped);
    expect(await page.evaluate(() => document.querySelector('transformer-scene')!.hasAttribute('data-paused'))).toBe(true);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    expect(await isPaused()).toBe(false);
    await waitForTimePast(stopped + 0.1);
  });

  it('press, hold and drag seeks: the time follows the pointer across the scene', async () => {
    const { page } = watched;
    const box = (await page.locator('transformer-scene').boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.1, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, y, { steps: 5 });
    expect(await currentTime()).toBeCloseTo(5, 1);
    await page.mouse.move(box.x + box.width * 0.25, y, { steps: 5 });
    expect(await currentTime()).toBeCloseTo(2.5, 1);
    await page.mouse.up();
    // Releasing a drag keeps the playing state it had before.
    expect(await isPaused()).toBe(false);
  });

  it('a touch tap toggles pause too', async () => {
    const touch = await watchedPage(browser, { hasTouch: true, isMobile: true, viewport: { width: 360, height: 640 } });
    await touch.page.goto(`${origin}/tests/browser/pages/player.html`);
    await touch.page.waitForFunction(() => document.querySelector('transformer-scene')?.duration === 10);
    const box = (await touch.page.locator('transformer-scene').boundingBox())!;
    await touch.page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
    expect(await touch.page.evaluate(() => document.querySelector('transformer-scene')!.paused)).toBe(true);
    await touch.page.context().close();
  });

  it('keyboard: space toggles, Home and End jump, Shift+arrows step; paused, plain arrows look for numbers instead', async () => {
    const { page } = watched;
    await page.evaluate(() => document.querySelector('transformer-scene')!.pause());
    await page.locator('transformer-scene').focus();
    await page.keyboard.press('Home');
    expect(await currentTime()).toBe(0);
    await page.keyboard.press('Shift+ArrowRight');
    expect(await currentTime()).toBeCloseTo(0.5, 5);
    await page.keyboard.press('End');
    expect(await currentTime()).toBe(10);
    await page.keyboard.press('Shift+ArrowLeft');
    expect(await currentTime()).toBeCloseTo(9.5, 5);
    // This scene draws no numbers: a plain arrow leaves the time alone and says so.
    await page.keyboard.press('ArrowLeft');
    expect(await currentTime()).toBeCloseTo(9.5, 5);
    const said = await page.evaluate(() => document.querySelector('transformer-scene')!.shadowRoot!.querySelector('[role="status"][aria-live="polite"]')!.textContent);
    expect(said).toMatch(/No numbers are shown/);
    await page.keyboard.press(' ');
    expect(await isPaused()).toBe(false);
    // Playing, plain arrows step through time as before.
    await page.evaluate(() => (document.querySelector('transformer-scene')!.currentTime = 5));
    await page.keyboard.press('ArrowRight');
    expect(await currentTime()).toBeGreaterThanOrEqual(5.5);
    await page.keyboard.press(' ');
    expect(await isPaused()).toBe(true);
  });

  it('fires timeupdate, play and pause events like a media element', async () => {
    const events = await watched.page.evaluate(() => {
      const el = document.querySelector('transformer-scene')!;
      el.pause();
      const seen: string[] = [];
      for (const type of ['play', 'pause', 'timeupdate']) el.addEventListener(type, () => seen.push(type));
      el.play();
      el.pause();
      el.currentTime = 3;
      return seen;
    });
    expect(events).toEqual(['play', 'pause', 'timeupdate']);
  });

  it('reports its own reduced-motion preference, and its absence', async () => {
    for (const reducedMotion of ['reduce', 'no-preference'] as const) {
      const other = await watchedPage(browser, { reducedMotion });
      await other.page.goto(`${origin}/tests/browser/pages/player.html`);
      await other.page.waitForFunction(() => document.querySelector('transformer-scene')?.duration === 10);
      expect(await other.page.evaluate(() => document.querySelector('transformer-scene')!.prefersReducedMotion), reducedMotion).toBe(reducedMotion === 'reduce');
      await other.page.context().close();
    }
  });
});
