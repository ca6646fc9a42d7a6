// The page's "Compute on the GPU (WebGPU)" switch in headless Chromium: with SwiftShader's adapter
// it is offered (off by default), and turned on, every scene shows the numbers WebAssembly gave,
// to the digits shown; when the GPU is lost, the page says so and goes on with WebAssembly.
// With the usual flags (no adapter) it is disabled, with a note saying why.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage, WEBGPU_ARGS, type WatchedPage } from './helpers.ts';
import { pageReady } from './page-probe.ts';

let server: ViteDevServer;
let origin: string;

beforeAll(async () => {
  ({ server, origin } = await startVite());
});

afterAll(async () => {
  await server?.close();
});

/** Opens the article page in a new Chromium started with the usual flags and `extraArgs`, once every scene is built. */
async function openArticle(extraArgs: string[] = []): Promise<{ browser: Browser; watched: WatchedPage }> {
  const browser = await launchChromium(extraArgs);
  const watched = await watchedPage(browser);
  await watched.page.goto(`${origin}/`);
  await pageReady(watched.page);
  return { browser, watched };
}

/** A number a scene shows, at one of the times sampled. */
interface Shown {
  at: string;
  text: string;
  value: number;
  source: string;
}

/** Every number every scene shows at eight points of its timeline, laid out at 1280 × 720. */
function shownNumbers(page: Page): Promise<Shown[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('transformer-scene')].flatMap((el) => {
      const scene = el.sceneObject!;
      return [1, 2, 3, 4, 5, 6, 7, 8].flatMap((eighth) =>
        scene.numbersAt((scene.durationSeconds * eighth) / 8, 1280, 720).map((n) => ({
          at: `${el.sceneName} at ${eighth}/8`,
          text: n.text,
          value: n.value,
          source: `${n.source.tensor}[${n.source.index}]`,
        })),
      );
    }),
  );
}

/** Opens the model panel, which asks the worker whether the GPU can be used, and waits for the answer. */
async function openModelPanel(page: Page): Promise<string> {
  await page.locator('#model-panel summary').click();
  await page.waitForFunction(() => !/Checking|Opening/.test(document.getElementById('gpu-status')!.textContent!));
  return (await page.locator('#gpu-status').textContent())!;
}

/** Waits until the page has drawn every scene once more after `action`. */
async function afterRedraw(page: Page, action: () => Promise<void>): Promise<void> {
  const before = await page.evaluate(() => performance.getEntriesByName('scenes-updated').length);
  await action();
  await page.waitForFunction((n) => performance.getEntriesByName('scenes-updated').length > n, before, { timeout: 300_000 });
  await pageReady(page);
}

describe('the page with SwiftShader’s WebGPU adapter', () => {
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;

  beforeAll(async () => {
    ({ browser, watched } = await openArticle(WEBGPU_ARGS));
    page = watched.page;
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('offers the GPU once the model panel opens, off by default, and says its speed is unmeasured', async () => {
    expect(await openModelPanel(page)).toBe('Available: WebGPU offers google swiftshader.');
    const box = page.locator('#use-gpu');
    expect(await box.isEnabled()).toBe(true);
    expect(await box.isChecked()).toBe(false);
    expect(await page.locator('#gpu-note').textContent()).toMatch(/not yet been measured on a real GPU/);
  });

  it('with the GPU on, draws every scene with the numbers WebAssembly gave, to the digits shown', { timeout: 600_000 }, async () => {
    const before = await shownNumbers(page);
    await afterRedraw(page, () => page.locator('#use-gpu').check());
    expect(await page.locator('#gpu-status').textContent()).toBe('Computing on the GPU: google swiftshader.');
    expect(await page.evaluate(() => document.body.dataset.compute)).toBe('webgpu');
    const after = await shownNumbers(page);
    expect(after.map((n) => `${n.at}: ${n.source}`)).toEqual(before.map((n) => `${n.at}: ${n.source}`));
    // The values themselves differ by float32 rounding at most (tests/browser/webgpu.test.ts).
    const apart = after.filter((n, i) => !(Math.abs(n.value - before[i].value) <= 1e-5 * (1 + Math.abs(before[i].value))));
    expect(apart).toEqual([]);
    const differentText = after.flatMap((n, i) => (n.text === before[i].text ? [] : [`${n.at} ${n.source}: ${before[i].text} → ${n.text}`]));
    expect(differentText).toEqual([]);
    // And the GPU did compute them: some differ from WebAssembly's in their last bits.
    const differentBits = after.filter((n, i) => n.value !== before[i].value).length;
    expect(differentBits).toBeGreaterThan(0);
    console.log(`${after.length} numbers shown, the same to the digits shown with the GPU on; ${differentBits} differ from WebAssembly's in their last bits`);
    expect(watched.errors).toEqual([]);
  });

  it('when the GPU is lost, says so, computes with WebAssembly again, and the scenes go on', { timeout: 600_000 }, async () => {
    expect(await page.locator('#use-gpu').isChecked()).toBe(true);
    // The real thing: Chromium's GPU process, where SwiftShader's WebGPU runs, goes away.
    const cdp = await browser.newBrowserCDPSession();
    await cdp.send('Browser.crashGpuProcess').catch(() => {}); // the session may close with it
    await afterRedraw(page, () => page.locator('#prompt').fill('The king will bring'));
    await page.waitForFunction(() => document.body.dataset.compute === 'wasm');
    const status = (await page.locator('#gpu-status').textContent())!;
    expect(status).toMatch(/^The GPU stopped working: the GPU device was lost \(.+\)\. The model computes with WebAssembly again\.$/);
    console.log(status);
    expect(await page.locator('#use-gpu').isChecked()).toBe(false);
    expect(await page.locator('#token-list').textContent()).toContain('king');
    expect((await shownNumbers(page)).length).toBeGreaterThan(100);
  });
});

describe('the page with the usual flags (no WebGPU adapter)', () => {
  let browser: Browser;

  afterAll(async () => {
    await browser?.close();
  });

  it('disables the GPU option, with a note saying why', async () => {
    let watched: WatchedPage;
    ({ browser, watched } = await openArticle());
    const { page, errors } = watched;
    expect(await openModelPanel(page)).toBe('Not available here: WebGPU is there but offers no adapter (no GPU it can use, or the browser has GPU use switched off).');
    expect(await page.locator('#use-gpu').isDisabled()).toBe(true);
    expect(errors).toEqual([]);
  });
});
