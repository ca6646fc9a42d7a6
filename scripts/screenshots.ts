// Saves PNGs of every scene of the article page, at a few points of its timeline, for a person to
// review: desktop scenes at 1280 × 720, phone scenes at 360 px wide, and the whole page at both widths.
// Usage: npx tsx scripts/screenshots.ts [out-folder]   (default out/screenshots/)
// Set PAGE_MODEL_DIR to use a model folder other than models/default/.

import { mkdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, startVite, watchedPage } from '../tests/browser/helpers.ts';
import { pageReady, sceneNames } from '../tests/browser/page-probe.ts';
import type { TransformerSceneElement } from '../src/web/player.ts';

const FRACTIONS = [0.1, 0.4, 0.7, 1];

/** Writes to a temporary name first, so a half-written PNG never sits under the final name. */
async function save(target: string, shoot: (path: string) => Promise<unknown>): Promise<void> {
  const temporary = `${target}.tmp.png`;
  await shoot(temporary);
  renameSync(temporary, target);
}

async function shootScenes(page: Page, folder: string, width: number, height: number, tag: string): Promise<number> {
  let count = 0;
  for (const [index, name] of (await sceneNames(page)).entries()) {
    const scene = page.locator(`transformer-scene[scene="${name}"]`);
    await scene.evaluate(
      (el: TransformerSceneElement, size) => {
        el.pause();
        el.style.width = `${size.width}px`;
        el.style.height = `${size.height}px`;
        el.style.aspectRatio = 'auto';
        // Sections skip painting while out of view (content-visibility), which also clips what
        // overflows them: a scene made wider than the text column must be painted whole.
        const section = el.closest('section');
        if (section) section.style.contentVisibility = 'visible';
      },
      { width, height },
    );
    await scene.scrollIntoViewIfNeeded();
    for (const fraction of FRACTIONS) {
      await scene.evaluate((el: TransformerSceneElement, f) => {
        el.currentTime = el.duration * f;
      }, fraction);
      const file = join(folder, `${String(index).padStart(2, '0')}-${name}-${tag}-${Math.round(fraction * 100)}.png`);
      await save(file, (path) => scene.screenshot({ path }));
      count++;
    }
  }
  return count;
}

/**
 * A screenshot of the whole page. Out of view, sections are not painted and scenes not drawn,
 * so every section is painted and every scene brought into view once, paused at 70 %.
 */
async function shootWholePage(page: Page, target: string): Promise<void> {
  await page.evaluate(async () => {
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    for (const section of document.querySelectorAll('section')) section.style.contentVisibility = 'visible';
    for (const scene of document.querySelectorAll('transformer-scene')) {
      scene.scrollIntoView();
      await frame();
      scene.pause();
      scene.currentTime = scene.duration * 0.7; // most of a scene's content is on screen by then
    }
    window.scrollTo(0, 0);
    await frame();
  });
  await save(target, (path) => page.screenshot({ path, fullPage: true }));
}

async function main(): Promise<void> {
  const folder = resolve(process.argv[2] ?? 'out/screenshots');
  mkdirSync(folder, { recursive: true });
  const { server, origin } = await startVite();
  const browser = await launchChromium();
  try {
    const desktop = await watchedPage(browser, { viewport: { width: 1340, height: 900 } });
    await desktop.page.goto(`${origin}/`);
    await pageReady(desktop.page);
    await shootWholePage(desktop.page, join(folder, 'page-desktop.png'));
    let count = await shootScenes(desktop.page, folder, 1280, 720, 'desktop');

    const phone = await watchedPage(browser, { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await phone.page.goto(`${origin}/`);
    await pageReady(phone.page);
    await shootWholePage(phone.page, join(folder, 'page-phone.png'));
    count += await shootScenes(phone.page, folder, 340, 510, 'phone');

    const errors = [...desktop.errors, ...phone.errors];
    console.log(`Saved ${count + 2} screenshots to ${folder}`);
    if (errors.length > 0) {
      console.error(`The page logged errors:\n${errors.join('\n')}`);
      process.exitCode = 1;
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
