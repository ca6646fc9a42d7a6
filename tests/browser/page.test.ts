// The article page in a real browser with the built-in model: it loads cleanly, every scene draws
// frames that are not blank and that change over time, the player controls work on a real scene,
// the prompt reruns the model, a link restores the state, the reader's text stays text, bad
// prompts get clear messages, and no request leaves the page's origin. Each test opens the page
// afresh in a context of its own, so none depends on another having run (check with
// `npx vitest run tests/browser --sequence.shuffle`).

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';
import type { TransformerSceneElement } from '../../src/web/player.ts';
import { fullPrecision } from '../../src/web/readout.ts';
import { articleText, firstSceneName, pageReady, sceneNames, sceneNumbers, scenePixels, viewScene } from './page-probe.ts';
import type { TraceName } from '../../src/model/registry.ts';

let server: ViteDevServer;
let origin: string;
let browser: Browser;
let watched: WatchedPage;
let page: Page;

beforeAll(async () => {
  ({ server, origin } = await startVite());
  browser = await launchChromium();
});

/** A fresh page on the default prompt, every scene built. */
async function openPage(): Promise<void> {
  watched = await watchedPage(browser);
  page = watched.page;
  await page.goto(`${origin}/`);
  await pageReady(page);
}

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the article page', () => {
  beforeEach(openPage);
  afterEach(() => page?.context().close());

  it('loads the built-in model with no console errors and builds every scene', async () => {
    const names = await sceneNames(page);
    expect(names.length).toBeGreaterThan(0);
    const missing = await page.evaluate(() =>
      [...document.querySelectorAll('transformer-scene')].filter((el) => !el.sceneObject && !el.closest('[hidden]')).map((el) => el.sceneName),
    );
    expect(missing).toEqual([]);
    // The one scene GPT-2 has no step for, RoPE, is hidden with its prose.
    expect(await page.evaluate(() => [...document.querySelectorAll('transformer-scene')].filter((el) => el.closest('[hidden]')).map((el) => el.sceneName))).toEqual(['rope']);
    expect(await page.locator('#s-rope').isHidden()).toBe(true);
    // And the prose written for the Llama family stays hidden: the article reads as before.
    const prose = await articleText(page);
    for (const llama of [/RMSNorm/, /grouped-query attention/, /gated feed-forward/, /The model loaded now is of the Llama family/, /rotary/]) expect(prose).not.toMatch(llama);
    expect(prose).toMatch(/GPT-2's non-linearity is GELU/);
    expect(await page.locator('#status').textContent()).toMatch(/tokens/);
    expect(watched.errors).toEqual([]);
  });

  it('a scene out of view gets its canvas pixels only when it first comes into view', async () => {
    // Runs before any test scrolls: on load only the scenes near the top have been seen.
    const names = await sceneNames(page);
    const last = page.locator(`transformer-scene[scene="${names[names.length - 1]}"]`);
    const canvasWidth = () => last.evaluate((el) => el.shadowRoot!.querySelector('canvas')!.width);
    const cssWidth = await last.evaluate((el) => Math.round(el.getBoundingClientRect().width * devicePixelRatio));
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect(await canvasWidth()).not.toBe(cssWidth); // still the bare default canvas
    await last.scrollIntoViewIfNeeded();
    await expect.poll(canvasWidth).toBe(cssWidth);
    await page.evaluate(() => window.scrollTo(0, 0));
  });

  it('every scene draws frames that are not blank and that change over time', async () => {
    for (const name of await sceneNames(page)) {
      const early = await scenePixels(page, name, 0.25);
      const late = await scenePixels(page, name, 0.75);
      expect(early.inked, `${name} at 25% is blank`).toBeGreaterThan(0.005);
      expect(late.inked, `${name} at 75% is blank`).toBeGreaterThan(0.005);
      expect(early.hash, `${name} does not change between 25% and 75%`).not.toBe(late.hash);
    }
  });

  it('a tap on a real scene pauses it: its clock stops', async () => {
    const name = await firstSceneName(page);
    const scene = page.locator(`transformer-scene[scene="${name}"]`);
    await scene.scrollIntoViewIfNeeded();
    await scene.evaluate((el: TransformerSceneElement) => {
      el.currentTime = 0;
      el.play();
    });
    await page.waitForFunction((n) => document.querySelector<TransformerSceneElement>(`transformer-scene[scene="${n}"]`)!.currentTime > 0.1, name);
    await scene.click();
    const stopped = await scene.evaluate((el: TransformerSceneElement) => el.currentTime);
    expect(await scene.evaluate((el: TransformerSceneElement) => el.paused)).toBe(true);
    await page.waitForTimeout(250);
    expect(await scene.evaluate((el: TransformerSceneElement) => el.currentTime)).toBe(stopped);
  });

  it('press-and-drag on a real scene seeks to the pointer', async () => {
    const name = await firstSceneName(page);
    const scene = page.locator(`transformer-scene[scene="${name}"]`);
    await scene.scrollIntoViewIfNeeded();
    const box = (await scene.boundingBox())!;
    const duration = await scene.evaluate((el: TransformerSceneElement) => el.duration);
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 6 });
    expect(await scene.evaluate((el: TransformerSceneElement) => el.currentTime)).toBeCloseTo(duration * 0.7, 0);
    await page.mouse.up();
  });

  it('resting the mouse on a value names its tensor, position and full-precision value from the trace', async () => {
    const scene = page.locator('transformer-scene[scene="mask-softmax"]');
    await viewScene(page, 'mask-softmax');
    const target = await scene.evaluate((el: TransformerSceneElement) => {
      el.pause();
      el.currentTime = el.duration * 0.8;
      const rect = el.getBoundingClientRect();
      const spot = el.sceneObject!.spotsAt(el.currentTime, rect.width, rect.height).find((s) => s.source.tensor.endsWith('attn.weights'));
      if (!spot) return null;
      const value = el.explanation!.trace.get(spot.source.tensor as TraceName)!.data[spot.source.index];
      return { x: rect.left + spot.x + spot.w / 2, y: rect.top + spot.y + spot.h / 2, tensor: spot.source.tensor, value };
    });
    expect(target, 'the scene shows no attention weight at 80%').not.toBeNull();
    const readout = () => scene.evaluate((el: TransformerSceneElement) => el.shadowRoot!.querySelector('.readout')!.textContent);
    await page.mouse.move(target!.x, target!.y);
    const text = await readout();
    expect(text).toContain(`${target!.tensor}[`);
    expect(text).toContain(`= ${fullPrecision(target!.value)}`);
    expect(text).toContain('after the causal mask and softmax');
    const box = (await scene.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height + 40);
    expect(await readout()).toBe('');
  });

  it('a playing scene out of view does not advance its clock', async () => {
    const names = await sceneNames(page);
    const last = names[names.length - 1];
    await page.evaluate(() => window.scrollTo(0, 0));
    const scene = page.locator(`transformer-scene[scene="${last}"]`);
    await scene.evaluate((el: TransformerSceneElement) => {
      el.currentTime = 1;
      el.play();
    });
    await page.waitForTimeout(300);
    expect(await scene.evaluate((el: TransformerSceneElement) => [el.paused, el.currentTime])).toEqual([false, 1]);
    await scene.scrollIntoViewIfNeeded();
    await page.waitForFunction((n) => document.querySelector<TransformerSceneElement>(`transformer-scene[scene="${n}"]`)!.currentTime > 1.05, last);
  });

  it('names any token once the reader pauses: the full piece table arrives in slices', async () => {
    // 31373 is GPT-2's "hello", which no explanation of these prompts brings with it.
    const pieceOf = () => page.evaluate(() => document.querySelector('transformer-scene')!.explanation!.piece(31373).text);
    await expect.poll(pieceOf, { timeout: 10_000 }).toBe('hello');
    const last = await page.evaluate(() => document.querySelector('transformer-scene')!.explanation!.piece(50256).text);
    expect(last).toBe('<|endoftext|>');
  });

  it('pausing records the scene and time in the URL', async () => {
    const name = await firstSceneName(page);
    await page.locator(`transformer-scene[scene="${name}"]`).evaluate((el: TransformerSceneElement) => {
      el.pause();
      el.currentTime = 1.5;
    });
    await page.waitForFunction(() => location.search.includes('t=1.50'));
    const query = new URL(page.url()).searchParams;
    expect(query.get('scene')).toBe(name);
  });

  it('changing the prompt reruns the model and changes the numbers on screen', async () => {
    const before = await sceneNumbers(page);
    const tokensBefore = await page.locator('#token-list').textContent();
    await page.locator('#prompt').fill('Once upon a time there was');
    await page.waitForFunction((old) => document.getElementById('token-list')!.textContent !== old, tokensBefore);
    const after = await sceneNumbers(page);
    expect(after).not.toEqual(before);
    expect(await page.locator('#token-list').textContent()).toContain('time');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('prompt') === 'Once upon a time there was');
    // Nobody paused anything: no scene or time goes into the link (scenes are built paused, and rebuilt, before they play).
    await page.waitForTimeout(400);
    expect(new URL(page.url()).searchParams.get('scene')).toBeNull();
  });

  it('draws the other scenes first and the generated tokens when they come, saying so meanwhile', async () => {
    await pageReady(page);
    await page.evaluate(() => {
      const watch = window as unknown as { generationMessages: string[] };
      watch.generationMessages = [];
      const el = document.querySelector('transformer-scene[scene="generation"]')!;
      const box = el.shadowRoot!.querySelector('.message')!;
      new MutationObserver(() => watch.generationMessages.push(box.textContent ?? '')).observe(box, { childList: true, characterData: true, subtree: true });
      performance.clearMarks('first-scenes');
      performance.clearMarks('scenes-updated');
    });
    const prompt = 'The king will bring';
    await page.locator('#prompt').fill(prompt);
    await page.waitForFunction((p) => document.querySelector<TransformerSceneElement>('transformer-scene[scene="generation"]')!.explanation?.prompt === p, prompt);
    const seen = await page.evaluate(() => {
      const scene = (name: string) => document.querySelector<TransformerSceneElement>(`transformer-scene[scene="${name}"]`)!;
      const first = performance.getEntriesByName('first-scenes').pop()!.startTime;
      const every = performance.getEntriesByName('scenes-updated').pop()!.startTime;
      return {
        firstBeforeEvery: first <= every,
        messages: (window as unknown as { generationMessages: string[] }).generationMessages,
        // Scenes that do not show the generated tokens were given the explanation without them.
        functionSteps: scene('function').explanation!.generation.length,
        generationSteps: scene('generation').explanation!.generation.length,
        predictionSteps: scene('prediction').explanation!.generation.length,
        generationBuilt: scene('generation').sceneObject !== null,
      };
    });
    expect(seen).toEqual({ firstBeforeEvery: true, messages: expect.arrayContaining(['Generating the next tokens…']), functionSteps: 0, generationSteps: 8, predictionSteps: 8, generationBuilt: true });
  });

  it('a prompt of HTML shows as text: no element is made and no script runs', async () => {
    const attack = '<img src=x onerror=alert(1)>';
    await page.locator('#prompt').fill(attack);
    await page.waitForFunction(() => document.getElementById('token-list')!.textContent!.includes('img'));
    expect(await page.locator('img').count()).toBe(0);
    const imagesInScenes = await page.evaluate(() =>
      [...document.querySelectorAll('transformer-scene')].reduce((n, el) => n + el.shadowRoot!.querySelectorAll('img').length, 0),
    );
    expect(imagesInScenes).toBe(0);
    await page.waitForTimeout(200);
    expect(watched.dialogs).toEqual([]);
    // The tokens of the text, shown as text (pieces such as "img" and "error" are separate tokens).
    expect(await page.locator('#token-list').textContent()).toMatch(/img.*src.*error/);
    expect(await page.evaluate(() => document.querySelector('transformer-scene')!.explanation!.prompt)).toBe(attack);
  });

  it('an empty prompt gets a clear message and the scenes keep their last numbers', async () => {
    await page.locator('#prompt').fill('');
    await page.waitForFunction(() => /empty/i.test(document.getElementById('messages')!.textContent ?? ''));
    const built = await page.evaluate(() => [...document.querySelectorAll('transformer-scene')].every((el) => el.sceneObject !== null || el.closest('[hidden]')));
    expect(built).toBe(true);
  });

  it('a prompt longer than the context keeps the last tokens and says so', async () => {
    const nPositions = await page.evaluate(() => document.querySelector('transformer-scene')!.explanation!.config.nPositions);
    const long = Array.from({ length: nPositions + 10 }, (_, i) => ` word${i % 7}`).join('');
    await page.locator('#prompt').fill(long);
    await page.waitForFunction(() => /left out/.test(document.getElementById('messages')!.textContent ?? ''));
    const T = await page.evaluate(() => document.querySelector('transformer-scene')!.explanation!.tokens.length);
    expect(T).toBe(nPositions);
  });

  it('emoji and non-Latin text run, with partial characters shown as bytes', async () => {
    await page.locator('#prompt').fill('Роботы 🤖 принесут');
    await page.waitForFunction(() => /bytes/.test(document.getElementById('messages')!.textContent ?? ''));
    expect(await page.locator('#token-list').textContent()).toContain('<0x');
    expect(watched.errors).toEqual([]);
  });

  it('a scene’s video export starts on request, reports progress and can be cancelled', async () => {
    const name = await firstSceneName(page);
    const tools = page.locator(`transformer-scene[scene="${name}"] + .scene-tools`);
    await tools.locator('button.download-video').click();
    await page.waitForFunction((n) => /\d+%/.test(document.querySelector(`transformer-scene[scene="${n}"] + .scene-tools .note`)!.textContent ?? ''), name);
    await tools.locator('button.download-video').click();
    await page.waitForFunction((n) => /Cancelled/.test(document.querySelector(`transformer-scene[scene="${n}"] + .scene-tools .note`)!.textContent ?? ''), name);
    expect(await tools.locator('button.download-video').textContent()).toBe('Download video');
  });

  it('"Download picture" saves the frame shown as an SVG whose numbers are text', async () => {
    const name = await firstSceneName(page);
    const scene = page.locator(`transformer-scene[scene="${name}"]`);
    await scene.evaluate((el: TransformerSceneElement) => {
      el.pause();
      el.currentTime = el.duration * 0.8;
    });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator(`transformer-scene[scene="${name}"] + .scene-tools button.download-picture`).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${name}-[\\d.]+s\\.svg$`));
    const svg = await new Promise<string>((resolve, reject) => {
      download.createReadStream().then((stream) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks).toString('utf8'))).on('error', reject);
      }, reject);
    });
    // The browser's own XML parser reads it, and every number the frame shows is a <text>.
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? null, texts: [...doc.querySelectorAll('text')].map((t) => t.textContent) };
    }, svg);
    expect(parsed.error).toBeNull();
    const shown = await scene.evaluate((el: TransformerSceneElement) => el.sceneObject!.numbersAt(el.currentTime, 1280, 720).map((n) => n.text));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.filter((t) => !parsed.texts.includes(t))).toEqual([]);
    expect(await page.locator(`transformer-scene[scene="${name}"] + .scene-tools .note`).textContent()).toMatch(/^Saved .*\.svg/);
  });

  it('no request has left the page’s origin, through a run with a new prompt', async () => {
    await page.locator('#prompt').fill('Once upon a time there was');
    await page.waitForFunction(() => document.getElementById('token-list')!.textContent!.includes('time'));
    const foreign = watched.requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:'));
    expect(foreign).toEqual([]);
  });
});

describe('a link restores what the reader saw', () => {
  it('prompt, scene, time, layer, head and sampling come back from the URL, on a 360-px phone that asks for less motion', async () => {
    const linked = await watchedPage(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, reducedMotion: 'reduce' });
    const name = 'function';
    const query = new URLSearchParams({ prompt: 'Hello there, robots', scene: name, t: '2.25', layer: '1', head: '1', temperature: '0', topk: '5', seed: '7' });
    await linked.page.goto(`${origin}/?${query}`);
    await pageReady(linked.page);
    expect(await linked.page.locator('#prompt').inputValue()).toBe('Hello there, robots');
    const scene = linked.page.locator(`transformer-scene[scene="${name}"]`);
    expect(await scene.evaluate((el: TransformerSceneElement) => el.paused)).toBe(true);
    expect(await scene.evaluate((el: TransformerSceneElement) => el.currentTime)).toBeCloseTo(2.25, 5);
    expect(await linked.page.locator('#layer').inputValue()).toBe('1');
    expect(await linked.page.locator('#head').inputValue()).toBe('1');
    expect(await linked.page.locator('#temperature').inputValue()).toBe('0');
    const shown = await scene.evaluate((el: TransformerSceneElement) => {
      const ex = el.explanation!;
      return { prompt: ex.prompt, layer: ex.layer, head: ex.head, sampling: ex.sampling };
    });
    expect(shown).toEqual({ prompt: 'Hello there, robots', layer: 1, head: 1, sampling: { temperature: 0, topK: 5, topP: 0.95, seed: 7 } });
    // The page fits the phone's width, and with reduced motion no scene plays by itself.
    const widths = await linked.page.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
    expect(widths.page).toBeLessThanOrEqual(widths.view);
    const playing = await linked.page.evaluate(() => [...document.querySelectorAll('transformer-scene')].filter((el) => !el.paused).length);
    expect(playing).toBe(0);
    expect(linked.errors).toEqual([]);
    await linked.page.context().close();
  });

  it('the control for the test above: without that preference, the same link plays the other scenes by themselves', async () => {
    const linked = await watchedPage(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, reducedMotion: 'no-preference' });
    await linked.page.goto(`${origin}/?${new URLSearchParams({ prompt: 'Hello there, robots', scene: 'function', t: '2.25' })}`);
    await pageReady(linked.page);
    const state = await linked.page.evaluate(() => {
      const scenes = [...document.querySelectorAll('transformer-scene')];
      return { linkedPaused: scenes.find((el) => el.sceneName === 'function')!.paused, playing: scenes.filter((el) => !el.paused).length, all: scenes.length };
    });
    expect(state).toEqual({ linkedPaused: true, playing: state.all - 1, all: state.all });
    expect(state.playing).toBeGreaterThan(0);
    await linked.page.context().close();
  });

  it('a scene works on its own in another page, from the sources (src/web/element.ts)', async () => {
    const embed = await watchedPage(browser);
    await embed.page.goto(`${origin}/tests/browser/pages/embed.html`);
    await pageReady(embed.page);
    const scene = embed.page.locator('transformer-scene');
    const before = await scene.evaluate((el: TransformerSceneElement) => el.explanation!.tokens.map((t) => t.text).join(''));
    expect(before).toBe('The␣robots␣will␣bring');
    await scene.evaluate((el) => el.setAttribute('prompt', 'Hello world'));
    await embed.page.waitForFunction(() => document.querySelector('transformer-scene')!.explanation?.prompt === 'Hello world', undefined, { timeout: 60_000 });
    expect((await scenePixels(embed.page, 'attention-scores', 0.5)).inked).toBeGreaterThan(0.005);
    expect(embed.errors).toEqual([]);
    await embed.page.context().close();
  });
});
