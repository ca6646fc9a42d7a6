// Reading the article page from a test or script: waiting for the model, listing scenes,
// timing a prompt change, sampling a scene's canvas or its shown numbers at a given point of its timeline, and taking
// the page's explanation and what its scenes draw out to Node, to check them there.

import type { Locator, Page } from 'playwright-core';
import type { TransformerSceneElement } from '../../src/web/player.ts';
import type { Explanation } from '../../src/model/explanation.ts';
import type { TraceName } from '../../src/model/registry.ts';
import type { Trace } from '../../src/model/trace.ts';
import type { ShownNumber, Spot } from '../../src/render/frame.ts';
import type { DrawnText } from '../../src/render/said.ts';

/** Waits until the model has answered and every scene element it shows has a built scene (a scene of a step the model lacks is hidden). */
export async function pageReady(page: Page, timeoutMs = 110_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const scenes = [...document.querySelectorAll('transformer-scene')].filter((el) => !el.closest('[hidden]'));
      return scenes.length > 0 && scenes.every((el) => el.sceneObject !== null);
    },
    undefined,
    { timeout: timeoutMs },
  );
}

/**
 * Scrolls a scene into view and waits two frames, as a reader would look at it: sections out of
 * view are not laid out (content-visibility), so a scene learns its size only once it is near view.
 */
export async function viewScene(page: Page, name: string): Promise<void> {
  await page.locator(`transformer-scene[scene="${name}"]`).evaluate(async (el) => {
    el.scrollIntoView({ block: 'center' });
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  });
}

/** The scenes the page shows for its model, in order (a scene of a step the model lacks is hidden). */
export function sceneNames(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('transformer-scene')].filter((el) => !el.closest('[hidden]')).map((el) => el.sceneName));
}

export async function firstSceneName(page: Page): Promise<string> {
  const names = await sceneNames(page);
  if (names.length === 0) throw new Error('the page has no scenes');
  return names[0];
}

/**
 * Brings a scene into view, pauses it at `fraction` of its duration and reads its canvas: the share of pixels that
 * differ from the top-left (background) pixel, and a hash of all pixels.
 */
export async function scenePixels(page: Page, name: string, fraction: number): Promise<{ inked: number; hash: number }> {
  await viewScene(page, name);
  return page.evaluate(
    ({ name, fraction }) => {
      const el = document.querySelector<TransformerSceneElement>(`transformer-scene[scene="${name}"]`)!;
      el.pause();
      el.currentTime = el.duration * fraction;
      const canvas = el.shadowRoot!.querySelector('canvas')!;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let differ = 0;
      let hash = 2166136261;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2] || data[i + 3] !== data[3]) differ++;
        hash = Math.imul(hash ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16)), 16777619);
      }
      return { inked: differ / (data.length / 4), hash };
    },
    { name, fraction },
  );
}

/** The text of every number each scene shows at the end of its timeline, scene by scene. */
export function sceneNumbers(page: Page): Promise<string[][]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('transformer-scene')].map((el) => {
      const scene = el.sceneObject;
      if (!scene) return [];
      return scene.numbersAt(scene.durationSeconds, el.clientWidth, el.clientHeight).map((n) => n.text);
    }),
  );
}

/**
 * The article's text without the elements hidden for this model, read from the DOM rather than
 * innerText, which leaves out sections out of view (content-visibility).
 */
export function articleText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const copy = document.querySelector('main')!.cloneNode(true) as HTMLElement;
    for (const el of copy.querySelectorAll('[hidden]')) el.remove();
    return (copy.textContent ?? '').replace(/\s+/g, ' ');
  });
}

/** An explanation as it crosses from the page to a test: its arrays as base64 of their float32 bytes (its second prompt's too). */
export interface PageExplanation extends Omit<Explanation, 'trace' | 'sampledProbs' | 'piece' | 'compare'> {
  trace: { name: TraceName; shape: number[]; data: string }[];
  sampledProbs: string;
  compare?: PageExplanation;
}

/** The explanation a scene element of the page holds (the worker's numbers, as the page received them). */
export function pageExplanation(page: Page, scene = 'prediction'): Promise<PageExplanation> {
  return page.evaluate((name) => {
    const base64 = (a: Float32Array) => {
      const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    };
    const bare = (ex: Explanation): PageExplanation => {
      const { trace, sampledProbs, piece: _piece, compare, ...rest } = ex;
      const data = { ...rest, sampledProbs: base64(sampledProbs), trace: [...trace].map(([n, t]) => ({ name: n, shape: t.shape, data: base64(t.data) })) };
      return compare ? { ...data, compare: bare(compare) } : data;
    };
    return bare(document.querySelector<TransformerSceneElement>(`transformer-scene[scene="${name}"]`)!.explanation!);
  }, scene);
}

/** The page's explanation (and its second prompt's) rebuilt in Node, its pieces from `piece` (the tokenizer's own, not the page's). */
export function explanationFromPage(data: PageExplanation, piece: (id: number) => string): Explanation {
  const floats = (b64: string) => {
    const bytes = Buffer.from(b64, 'base64');
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  };
  const { compare, ...own } = data;
  const trace: Trace = new Map(own.trace.map((t) => [t.name, { shape: t.shape, data: floats(t.data) }]));
  const ex: Explanation = { ...own, trace, sampledProbs: floats(own.sampledProbs), piece: (id) => ({ id, text: piece(id) }) };
  return compare ? { ...ex, compare: explanationFromPage(compare, piece) } : ex;
}

/** What every scene of the page draws at each beat's start, middle and end, at its size on the page: its numbers and texts. */
export function drawnRecords(page: Page): Promise<{ scene: string; time: number; numbers: ShownNumber[]; texts: DrawnText[] }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('transformer-scene')].flatMap((el) => {
      const scene = el.sceneObject;
      if (!scene) return [];
      const times = (scene.beats ?? []).flatMap((b) => [b.startSeconds + 0.01, (b.startSeconds + b.endSeconds) / 2, Math.max(0, b.endSeconds - 0.01)]);
      return times.map((time) => ({ scene: el.sceneName, time, numbers: scene.numbersAt(time, el.clientWidth, el.clientHeight), texts: scene.textAt(time, el.clientWidth, el.clientHeight) }));
    }),
  );
}

/**
 * The share of a spot's pixels that a scene element (a transformer-scene locator) draws in the
 * highlight's yellow (light theme: a #d4a600 stroke over a yellow wash).
 */
export function highlightShare(sceneElement: Locator, s: Spot): Promise<number> {
  return sceneElement.evaluate((el, s) => {
    const canvas = el.shadowRoot!.querySelector('canvas')!;
    const ratio = canvas.width / el.getBoundingClientRect().width;
    const { data } = canvas.getContext('2d')!.getImageData(Math.round(s.x * ratio), Math.round(s.y * ratio), Math.max(1, Math.round(s.w * ratio)), Math.max(1, Math.round(s.h * ratio)));
    let yellow = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 180 && data[i + 1] > 140 && data[i + 2] < 90) yellow++;
    return yellow / (data.length / 4);
  }, s);
}

/** Types a prompt and times until every scene holds the new numbers (the page's 'scenes-updated' mark). */
export async function measurePromptChange(page: Page, prompt: string): Promise<{ total: number; explain: number }> {
  return page.evaluate(async (text) => {
    const input = document.getElementById('prompt') as HTMLInputElement;
    const scenes = [...document.querySelectorAll('transformer-scene')];
    const started = performance.now();
    input.value = text;
    input.dispatchEvent(new Event('input'));
    for (;;) {
      if (scenes.every((el) => el.explanation?.prompt === text)) break;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const marks = performance.getEntriesByName('scenes-updated') as PerformanceMark[];
    const last = marks[marks.length - 1];
    return { total: last.startTime - started, explain: last.detail.explainMilliseconds as number };
  }, prompt);
}
