// The all-heads and logit-lens scenes in the real page: choosing a head's map (a click, or the
// arrow keys and Enter on the paused scene) makes the attention scenes follow that head and puts
// it in the URL; the lens's position picker, and a token chosen in the lens scene, change the
// position it reads, in the scene and in the URL.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';
import type { TransformerSceneElement } from '../../src/web/player.ts';
import { pageReady, viewScene } from './page-probe.ts';

let server: ViteDevServer;
let origin: string;
let browser: Browser;
let watched: WatchedPage;
let page: Page;

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

/** The block and head the mask-softmax scene (an attention scene) follows. */
const followed = () =>
  page.evaluate(() => {
    const ex = document.querySelector<TransformerSceneElement>('transformer-scene[scene="mask-softmax"]')!.explanation!;
    return [ex.layer, ex.head];
  });

/** Pauses a scene at its end and returns the page coordinates of the middle of a spot that chooses `choice`. */
async function spotOf(name: string, choice: { layer?: number; head?: number; position?: number }): Promise<{ x: number; y: number }> {
  await viewScene(page, name);
  const at = await page.locator(`transformer-scene[scene="${name}"]`).evaluate((el: TransformerSceneElement, wanted) => {
    el.pause();
    el.currentTime = el.duration;
    const rect = el.getBoundingClientRect();
    const spot = el.sceneObject!.spotsAt(el.currentTime, rect.width, rect.height).find(
      (s) => s.choose && s.choose.layer === wanted.layer && s.choose.head === wanted.head && s.choose.position === wanted.position,
    );
    return spot ? { x: rect.left + spot.x + spot.w / 2, y: rect.top + spot.y + spot.h / 2 } : null;
  }, choice);
  expect(at, `${name} shows nothing that chooses ${JSON.stringify(choice)}`).not.toBeNull();
  return at!;
}

describe('all heads at a glance', () => {
  it('a click on a map makes the attention scenes follow that head, with the pickers and the URL', async () => {
    expect(await followed()).toEqual([0, 0]);
    const { x, y } = await spotOf('all-heads', { layer: 1, head: 2 });
    await page.mouse.click(x, y);
    await expect.poll(followed).toEqual([1, 2]);
    expect(await page.locator('#layer').inputValue()).toBe('1');
    expect(await page.locator('#head').inputValue()).toBe('2');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('layer') === '1' && new URL(location.href).searchParams.get('head') === '2');
    // A click that chooses does not also start the paused scene.
    expect(await page.locator('transformer-scene[scene="all-heads"]').evaluate((el: TransformerSceneElement) => el.paused)).toBe(true);
    expect(watched.errors).toEqual([]);
  });

  it('with the keyboard: the arrow keys move between maps of the paused scene and Enter chooses one', async () => {
    const scene = page.locator('transformer-scene[scene="all-heads"]');
    await viewScene(page, 'all-heads');
    await scene.evaluate((el: TransformerSceneElement) => {
      el.pause();
      el.currentTime = el.duration;
    });
    // Start from a known head, whatever the tests before did.
    const start = await spotOf('all-heads', { layer: 1, head: 2 });
    await page.mouse.click(start.x, start.y);
    await expect.poll(followed).toEqual([1, 2]);
    await scene.evaluate((el: TransformerSceneElement) => el.pause());
    await scene.focus();
    const live = () => scene.evaluate((el) => el.shadowRoot!.querySelector('[role="status"][aria-live="polite"]')!.textContent ?? '');
    // The tapped map is where the keys start: the arrow goes to the map beside it.
    await page.keyboard.press('ArrowRight');
    await expect.poll(live).toBe('block 1, head 3: Enter makes the attention scenes follow this head');
    await page.keyboard.press('Enter');
    await expect.poll(followed).toEqual([1, 3]);
    await page.keyboard.press('ArrowUp');
    await expect.poll(live).toBe('block 0, head 3: Enter makes the attention scenes follow this head');
    await page.keyboard.press(' ');
    await expect.poll(followed).toEqual([0, 3]);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('layer') === null && new URL(location.href).searchParams.get('head') === '3');
    // Space chose rather than played; Escape leaves the maps, and Space plays again.
    expect(await scene.evaluate((el: TransformerSceneElement) => el.paused)).toBe(true);
    await page.keyboard.press('Escape');
    await page.keyboard.press(' ');
    expect(await scene.evaluate((el: TransformerSceneElement) => el.paused)).toBe(false);
  });
});

describe('the logit lens', () => {
  const lens = () =>
    page.evaluate(() => {
      const el = document.querySelector<TransformerSceneElement>('transformer-scene[scene="logit-lens"]')!;
      const rect = el.getBoundingClientRect();
      return {
        position: el.explanation!.lens.position,
        shown: el.sceneObject!.numbersAt(el.duration, rect.width, rect.height).map((n) => n.text).join(' '),
      };
    });

  it('reads the last token by default, and the position picker changes what it reads, in the scene and the URL', async () => {
    const before = await lens();
    const T = await page.evaluate(() => document.querySelector('transformer-scene')!.explanation!.tokens.length);
    expect(before.position).toBe(T - 1);
    expect(await page.locator('#lens-position option').count()).toBe(T);
    await page.locator('#lens-position').selectOption('1');
    await expect.poll(async () => (await lens()).position, { timeout: 30_000 }).toBe(1);
    expect((await lens()).shown).not.toBe(before.shown);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('position') === '1');
    expect(watched.errors).toEqual([]);
  });

  it('choosing a token in the scene reads the lens after it', async () => {
    const { x, y } = await spotOf('logit-lens', { position: 0 });
    await page.mouse.click(x, y);
    await expect.poll(async () => (await lens()).position, { timeout: 30_000 }).toBe(0);
    expect(await page.locator('#lens-position').inputValue()).toBe('0');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('position') === '0');
  });
});
