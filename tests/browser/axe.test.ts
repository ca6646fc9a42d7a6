// The article page checked by axe-core, a well-kept accessibility checker: no violations at the
// top of the page, with each scene scrolled into view (sections out of view are not laid out
// until the reader nears them, so each is checked once it is), and with a number inspected.

import axe from 'axe-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage } from './helpers.ts';
import { pageReady, sceneNames, viewScene } from './page-probe.ts';
import type { TransformerSceneElement } from '../../src/web/player.ts';


let server: ViteDevServer;
let browser: Browser;
let page: Page;

/** axe's violations on the whole page as it stands, one line each: rule, how many nodes, an example. */
async function violations(): Promise<string[]> {
  return page.evaluate(async () => {
    const checker = (window as unknown as { axe: typeof axe }).axe;
    const result = await checker.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.help}; e.g. ${JSON.stringify(v.nodes[0]?.target)}`);
  });
}

beforeAll(async () => {
  let origin: string;
  ({ server, origin } = await startVite());
  browser = await launchChromium();
  page = (await watchedPage(browser)).page;
  await page.goto(`${origin}/`);
  await pageReady(page);
  await page.addScriptTag({ content: axe.source }); // axe's own script, run in the page
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('accessibility (axe-core)', () => {
  it('finds no violations at the top of the page', async () => {
    expect(await violations()).toEqual([]);
  });

  it('finds no violations with each scene in view', async () => {
    for (const name of await sceneNames(page)) {
      await viewScene(page, name);
      expect(await violations(), `with ${name} in view`).toEqual([]);
    }
  });

  it('finds no violations while a number is inspected with the keyboard (readout and live region filled)', async () => {
    const scene = page.locator('transformer-scene[scene="attention-scores"]');
    await viewScene(page, 'attention-scores');
    await scene.evaluate((el: TransformerSceneElement) => {
      el.pause();
      el.currentTime = el.duration;
    });
    await scene.focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => scene.evaluate((el) => el.shadowRoot!.querySelector('.readout')!.textContent)).not.toBe('');
    expect(await violations()).toEqual([]);
  });
});
