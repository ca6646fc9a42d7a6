// Two prompts side by side in the real page: the comparing scenes show the example second prompt
// from the start, follow the second prompt typed in its box and the first, put it in the URL
// (and take it from a link), say what they need when the box is emptied and what is wrong with a
// second prompt the model cannot read; the element takes its
// second prompt from its compare attribute; and a difference inspected by mouse or keyboard
// gives its formula from the two traces, outlining both cells.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';
import { highlightShare, pageReady, viewScene } from './page-probe.ts';
import type { TransformerSceneElement } from '../../src/web/player.ts';
import type { Spot } from '../../src/render/frame.ts';
import { readingLines } from '../../src/web/readout.ts';
import { modelToFiles } from '../../src/model/checkpoint.ts';
import { tokenizerDescriptionText } from '../../src/model/tokenizer-file.ts';
import { randomModel } from '../helpers/random-model.ts';

let server: ViteDevServer;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  ({ server, origin } = await startVite());
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** What a scene element holds: its explanation's two prompts, whether it is built, and its message. */
function held(page: Page, name: string) {
  return page.locator(`transformer-scene[scene="${name}"]`).evaluate((el: TransformerSceneElement) => ({
    prompts: [el.explanation?.prompt, el.explanation?.compare?.prompt],
    built: el.sceneObject !== null,
    message: el.shadowRoot!.textContent ?? '',
  }));
}

const COMPARING = ['compare-attention', 'compare-prediction', 'compare-lens'];

const search = (page: Page, key: string) => page.evaluate((k) => new URL(location.href).searchParams.get(k), key);

async function open(query = ''): Promise<WatchedPage> {
  const watched = await watchedPage(browser);
  await watched.page.goto(`${origin}/${query}`);
  await pageReady(watched.page);
  return watched;
}

describe('two prompts side by side', () => {
  it('shows the example pair at once, and follows a second prompt typed in its box and the first prompt, in the URL too', async () => {
    const { page, errors } = await open();
    expect(await page.locator('#compare-prompt').inputValue()).toBe('The robots will destroy');
    for (const name of COMPARING) expect((await held(page, name)).prompts, name).toEqual(['The robots will bring', 'The robots will destroy']);
    expect(await search(page, 'compare')).toBeNull();

    await page.locator('#compare-prompt').fill('The robots will carry');
    for (const name of COMPARING) await expect.poll(async () => (await held(page, name)).prompts, { timeout: 30_000 }).toEqual(['The robots will bring', 'The robots will carry']);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('compare') === 'The robots will carry');
    // Its numbers are drawn from its own trace: the attention scene shows the second prompt's weights.
    const sources = await page.locator('transformer-scene[scene="compare-attention"]').evaluate((el: TransformerSceneElement) =>
      [...new Set(el.sceneObject!.numbersAt(el.duration, 1280, 720).map((n) => n.source.tensor))].sort(),
    );
    expect(sources).toEqual(['compare.h.0.attn.weights', 'diff.h.0.attn.weights', 'h.0.attn.weights']);

    await page.locator('#prompt').fill('Once upon a time');
    await expect.poll(async () => (await held(page, 'compare-prediction')).prompts, { timeout: 30_000 }).toEqual(['Once upon a time', 'The robots will carry']);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('an emptied box compares nothing: the comparing scenes say what they need, the others carry on, and a link says so', async () => {
    const { page, errors } = await open();
    await page.locator('#compare-prompt').fill('');
    for (const name of COMPARING) {
      await expect.poll(async () => (await held(page, name)).built, { timeout: 30_000 }).toBe(false);
      expect((await held(page, name)).message).toContain('give it a second prompt');
    }
    expect((await held(page, 'prediction')).built).toBe(true);
    await expect.poll(() => search(page, 'compare')).toBe('');
    // Typing one again brings them back.
    await page.locator('#compare-prompt').fill('The robots will go');
    for (const name of COMPARING) await expect.poll(async () => (await held(page, name)).built, { timeout: 30_000 }).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a second prompt the model cannot read is said to be the problem, and the first prompt’s scenes carry on', async () => {
    // A character-level model of 12 characters, which has no capital letters for “The robots will destroy”.
    const vocabulary = 'abcdefghij !';
    const config = { nLayer: 1, nHead: 2, nEmbd: 8, vocabSize: vocabulary.length, nPositions: 16, layerNormEpsilon: 1e-5, tieWordEmbeddings: true };
    const { configJsonText, safetensorsBytes } = modelToFiles(config, randomModel(config, 3, 0.4).weights);
    const dir = mkdtempSync(join(tmpdir(), 'compare-chars-'));
    writeFileSync(join(dir, 'config.json'), configJsonText);
    writeFileSync(join(dir, 'model.safetensors'), safetensorsBytes);
    writeFileSync(join(dir, 'animated-transformer.json'), tokenizerDescriptionText({ tokenizer: 'char', vocabulary }));
    const { page, errors } = await open();
    await page.locator('#prompt').fill('bad cab');
    await page.locator('#model-files').setInputFiles(['config.json', 'model.safetensors', 'animated-transformer.json'].map((f) => join(dir, f)));
    await expect.poll(async () => (await held(page, 'prediction')).prompts, { timeout: 60_000 }).toEqual(['bad cab', undefined]);
    const problem = 'Second prompt: character "T" (U+0054) at position 0 is not in this model\'s vocabulary';
    for (const name of COMPARING) expect((await held(page, name)).message, name).toContain(problem);
    expect((await held(page, 'prediction')).built).toBe(true);
    expect(await page.locator('#messages').textContent()).toContain(problem);
    // A second prompt it can read brings the comparison back.
    await page.locator('#compare-prompt').fill('bad dab!');
    await expect.poll(async () => (await held(page, 'compare-lens')).prompts, { timeout: 60_000 }).toEqual(['bad cab', 'bad dab!']);
    expect((await held(page, 'compare-lens')).built).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a link brings the second prompt back, with the scene and time it was paused on', async () => {
    const link = `?${new URLSearchParams({ compare: 'The robots will sleep', scene: 'compare-lens', t: '3.00' })}`;
    const { page, errors } = await open(link);
    expect(await page.locator('#compare-prompt').inputValue()).toBe('The robots will sleep');
    expect((await held(page, 'compare-lens')).prompts).toEqual(['The robots will bring', 'The robots will sleep']);
    const lens = page.locator('transformer-scene[scene="compare-lens"]');
    expect(await lens.evaluate((el: TransformerSceneElement) => [el.paused, el.currentTime])).toEqual([true, 3]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the element on another page takes its second prompt from its compare attribute, and says it needs one without it', async () => {
    const { page, errors } = await watchedPage(browser);
    await page.goto(`${origin}/tests/browser/pages/embed.html`);
    await pageReady(page);
    const scene = page.locator('transformer-scene');
    await scene.evaluate((el) => el.setAttribute('scene', 'compare-prediction'));
    await expect.poll(() => scene.evaluate((el) => el.shadowRoot!.textContent ?? ''), { timeout: 60_000 }).toContain('give it a second prompt');
    await scene.evaluate((el) => el.setAttribute('compare', 'The robots will carry'));
    await page.waitForFunction(() => document.querySelector('transformer-scene')!.sceneObject !== null, undefined, { timeout: 60_000 });
    expect(await scene.evaluate((el: TransformerSceneElement) => [el.explanation!.prompt, el.explanation!.compare?.prompt])).toEqual(['The robots will bring', 'The robots will carry']);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a difference inspected with the mouse or the keys gives B − A from the two traces and outlines both cells', async () => {
    const { page, errors } = await open();
    const scene = page.locator('transformer-scene[scene="compare-attention"]');
    await viewScene(page, 'compare-attention');
    // The last row of the difference, where the prompts differ.
    const target = await scene.evaluate((el: TransformerSceneElement) => {
      el.pause();
      el.currentTime = el.duration;
      const rect = el.getBoundingClientRect();
      const spots = el.sceneObject!.spotsAt(el.duration, rect.width, rect.height);
      const T = el.explanation!.tokens.length;
      const spot = spots.filter((s) => s.source.tensor === 'diff.h.0.attn.weights' && s.source.index === T * T - 1)[0];
      return { x: rect.left + spot.x + spot.w / 2, y: rect.top + spot.y + spot.h / 2, spot };
    });
    await page.mouse.move(target.x, target.y);
    const readout = () => scene.evaluate((el) => el.shadowRoot!.querySelector('.readout')!.textContent ?? '');
    await expect.poll(readout).toContain('= compare.h.0.attn.weights[0, 3, 3] − h.0.attn.weights[0, 3, 3]');
    expect(await readout()).toContain("diff.h.0.attn.weights[0, 3, 3] = ");
    expect(await readout()).toContain('The second prompt’s value (“The robots will destroy”) minus the first’s (“The robots will bring”)');
    // Both cells it subtracts are outlined in yellow, over what the scene draws itself.
    const [a, b] = await scene.evaluate((el: TransformerSceneElement) => {
      const rect = el.getBoundingClientRect();
      const spots = el.sceneObject!.spotsAt(el.duration, rect.width, rect.height);
      return ['h.0.attn.weights', 'compare.h.0.attn.weights'].map((t) => spots.find((s: Spot) => s.source.tensor === t && s.source.index === 3 * 4 + 3)!);
    });
    for (const cell of [a, b]) await expect.poll(() => highlightShare(scene, cell)).toBeGreaterThan(0.1);
    await page.mouse.move(target.x, target.y + 2000); // away: the outlines go
    await expect.poll(() => highlightShare(scene, a)).toBeLessThan(0.05);

    // A second prompt's own value, reached with the keys: its formula comes from its own trace, said to be the second prompt's.
    const spots = await scene.evaluate((el: TransformerSceneElement) => {
      const rect = el.getBoundingClientRect();
      return el.sceneObject!.spotsAt(el.currentTime, rect.width, rect.height);
    });
    const steps = readingLines(spots).flat().findIndex((s) => s.source.tensor === 'compare.h.0.attn.weights') + 1;
    expect(steps).toBeGreaterThan(0);
    await scene.focus();
    for (let i = 0; i < steps; i++) await page.keyboard.press('ArrowRight');
    const live = () => scene.evaluate((el) => el.shadowRoot!.querySelector('[role="status"][aria-live="polite"]')!.textContent ?? '');
    await expect.poll(live).toContain('Every number here is the second prompt’s (“The robots will destroy”), from its own forward pass.');
    expect(await live()).toMatch(/^compare\.h\.0\.attn\.weights\[0, \d, \d\] = .*, for the second prompt/);
    await page.keyboard.press('Escape');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
