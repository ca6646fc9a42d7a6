// "How it learned" in a real browser, with a tiny training run made here as the built-in model
// and its history: nothing of the history is fetched until the reader opens the chapter, which
// then loads every snapshot; the plot's points are the log's; moving the slider changes the
// model every scene shows (checked against the same snapshot run in Node); and the table of
// predictions holds each snapshot's own numbers.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../../src/model/checkpoint-node.ts';
import { explain } from '../../src/model/explain.ts';
import { GPT } from '../../src/model/gpt.ts';
import { nextTokenGuess } from '../../src/model/next-token.ts';
import { readTrainingLog, TRAINING_LOG_FILE, type TrainingLog } from '../../src/train/log.ts';
import { markerText } from '../../src/web/history-plot.ts';
import { lossPlot } from '../../src/web/loss-plot.ts';
import type { TransformerSceneElement } from '../../src/web/player.ts';
import { trainTinyHistory } from '../helpers/tiny-history.ts';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';
import { pageReady, sceneNumbers } from './page-probe.ts';

const dir = mkdtempSync(join(tmpdir(), 'history-page-'));
let server: ViteDevServer;
let origin: string;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
let log: TrainingLog;
const PROMPT = 'The robots will bring';

/**
 * Requests for the history's files (the log, or any snapshot folder). The development server
 * also answers the page's module for each shipped file's URL ("?import&url"); those carry
 * only a URL, not the file.
 */
const historyRequests = () => watched.requests.filter((url) => (url.includes(TRAINING_LOG_FILE) || url.includes('/snapshots/')) && !url.includes('?import'));

beforeAll(async () => {
  await trainTinyHistory(dir);
  log = readTrainingLog(readFileSync(join(dir, TRAINING_LOG_FILE), 'utf8'), dir);
  ({ server, origin } = await startVite([dir]));
  browser = await launchChromium();
  watched = await watchedPage(browser);
  page = watched.page;
  const folder = JSON.stringify(`/@fs${dir}/`);
  await page.addInitScript(`globalThis.ANIMATED_TRANSFORMER_DEFAULT_MODEL = ${folder}; globalThis.ANIMATED_TRANSFORMER_HISTORY = ${folder};`);
  await page.goto(`${origin}/`);
  await pageReady(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every scene element's model name. */
const sceneModels = () => page.evaluate(() => [...document.querySelectorAll<TransformerSceneElement>('transformer-scene')].map((el) => el.explanation?.modelName));

describe('How it learned', () => {
  it('fetches nothing of the history until the reader opens the chapter, then loads every snapshot with progress', async () => {
    await page.locator('#s-history').scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    expect(historyRequests()).toEqual([]);
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { statusSeen: string[] }).statusSeen = seen;
      new MutationObserver(() => seen.push(document.getElementById('history-status')!.textContent ?? '')).observe(document.getElementById('history-status')!, { childList: true, characterData: true, subtree: true });
    });
    await page.locator('#history summary').click();
    await page.locator('#history-body').waitFor({ state: 'visible', timeout: 60_000 });
    const requested = historyRequests();
    expect(requested.filter((u) => u.endsWith(TRAINING_LOG_FILE))).toHaveLength(1);
    for (const s of log.snapshots) expect(requested.some((u) => u.endsWith(`${s.dir}/model.safetensors`)), s.dir).toBe(true);
    // The snapshots, and the built-in model at its best step (not a snapshot step here).
    expect(log.snapshots.some((s) => s.step === log.best!.step)).toBe(false);
    const stops = log.snapshots.length + 1;
    expect(await page.locator('#history-status').textContent()).toBe(`Loaded the model at ${stops} points of its training.`);
    const seen = await page.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen);
    expect(seen.some((text) => /^Loading built-in model at step 0: model\.safetensors: [\d.]+ of [\d.]+ MB$/.test(text))).toBe(true);
    expect(await page.locator('#history-step').getAttribute('max')).toBe(String(stops - 1));
    expect(watched.errors).toEqual([]);
  });

  it('plots the log\'s points: every step\'s training loss and every evaluation\'s validation loss, at any width', async () => {
    const viewBox = async () => (await page.locator('#history-plot svg').getAttribute('viewBox'))!.split(' ').slice(2).map(Number);
    const check = async () => {
      const [width, height] = await viewBox();
      const plot = lossPlot(log, { unit: 'token', width, height });
      const drawn = (selector: string) => page.locator(`#history-plot ${selector}`).getAttribute('points');
      const parse = (points: string | null) => (points ?? '').split(' ').map((p) => p.split(',').map(Number));
      const train = parse(await drawn('polyline.train-loss'));
      expect(train).toHaveLength(log.loss.length);
      train.forEach(([x, y], i) => {
        expect(x).toBeCloseTo(plot.train[i].x, 2);
        expect(y).toBeCloseTo(plot.train[i].y, 2);
      });
      const val = parse(await drawn('polyline.val-loss'));
      expect(val.map(([x, y]) => [x, y].map((v) => v.toFixed(1)))).toEqual(plot.val.map((p) => [p.x, p.y].map((v) => v.toFixed(1))));
      expect(await page.locator('#history-plot circle.val-point').count()).toBe(log.evaluations.length);
      // The marker stands at the built-in model's step, labelled with the log's numbers.
      expect(await page.locator('#history-plot g.marker').getAttribute('data-step')).toBe(String(log.best!.step));
      expect(await page.locator('#history-plot .marker-label').textContent()).toBe(markerText(log, log.best!.step));
      return width;
    };
    const wide = await check();
    expect(await page.locator('#history-step-text').textContent()).toBe(`${markerText(log, log.best!.step)} (the built-in model)`);
    // On a narrow screen the plot is drawn again at its new width, from the same log.
    await page.setViewportSize({ width: 380, height: 800 });
    await expect.poll(async () => (await viewBox())[0], { timeout: 10_000 }).toBeLessThan(wide);
    await check();
    await page.setViewportSize({ width: 1100, height: 800 });
  });

  it('moving the slider changes the model every scene shows, to that snapshot\'s numbers', async () => {
    const before = await sceneNumbers(page);
    const snapshot = log.snapshots[0];
    await page.locator('#history-step').evaluate((el: HTMLInputElement) => {
      el.value = '0';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('built-in model at step 0:'), undefined, { timeout: 60_000 });
    await pageReady(page);
    // The scenes that show generated tokens get them last.
    await expect.poll(async () => new Set(await sceneModels()), { timeout: 60_000 }).toEqual(new Set(['built-in model at step 0']));
    expect(await sceneNumbers(page)).not.toEqual(before);
    expect(await page.locator('#history-plot g.marker').getAttribute('data-step')).toBe('0');

    // The page's numbers are the snapshot's: its next-token probabilities as Node computes them.
    const { config, weights, tokenizer } = await loadModelDir(join(dir, snapshot.dir));
    const ex = explain(new GPT(config, weights), tokenizer, PROMPT, { modelName: 'node' });
    const V = config.vocabSize;
    const T = ex.tokens.length;
    const expected = Array.from(ex.trace.get('probs')!.data.subarray((T - 1) * V, T * V));
    const shown = await page.evaluate(() => {
      const el = document.querySelector<TransformerSceneElement>('transformer-scene[scene="prediction"]')!;
      const probs = el.explanation!.trace.get('probs')!;
      const V = el.explanation!.config.vocabSize;
      return Array.from(probs.data.subarray(probs.data.length - V));
    });
    expect(shown).toHaveLength(V);
    let worst = 0;
    for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(shown[i] - expected[i]));
    expect(worst).toBeLessThan(1e-6);

    // And back to the built-in model at the slider's end.
    await page.locator('#history-step').evaluate((el: HTMLInputElement) => {
      el.value = el.max;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('built-in model:'), undefined, { timeout: 60_000 });
    expect(watched.errors).toEqual([]);
  });

  it('sets every snapshot\'s own next-token prediction side by side, and follows the prompt', async () => {
    const columns = async () => page.locator('#history-guesses tr').first().locator('th').allTextContents();
    const steps = [...log.snapshots.map((s) => s.step), log.best!.step];
    await expect.poll(columns, { timeout: 30_000 }).toEqual(['step', ...steps.map(String)]);
    const check = async (prompt: string) => {
      for (const [column, step] of steps.entries()) {
        const folder = log.snapshots.find((s) => s.step === step)?.dir;
        const { config, weights, tokenizer } = await loadModelDir(folder ? join(dir, folder) : dir);
        const guess = nextTokenGuess(new GPT(config, weights), tokenizer, prompt, 5);
        const cell = page.locator('#history-guesses tr').nth(1).locator('td').nth(column);
        expect(Number(await cell.getAttribute('data-token')), `step ${step}`).toBe(guess.top[0].id);
        expect(Number(await cell.locator('.probability').getAttribute('data-value'))).toBeCloseTo(guess.top[0].probability, 6);
        const entropy = page.locator('#history-guesses tr.entropy td').nth(column);
        expect(await entropy.textContent()).toBe(`${guess.entropy.toFixed(2)} nats`);
      }
    };
    await check(PROMPT);
    // The random start spreads its bet almost evenly over GPT-2's 50,257 tokens.
    expect(Number((await page.locator('#history-guesses tr.entropy td').first().textContent())!.split(' ')[0])).toBeGreaterThan(10.7);
    await page.locator('#prompt').fill('JULIET:');
    await expect.poll(async () => page.locator('#history-guesses tr').nth(1).locator('td').last().getAttribute('data-token'), { timeout: 30_000 })
      .toBe(String(nextTokenGuess(new GPT((await loadModelDir(dir)).config, (await loadModelDir(dir)).weights), (await loadModelDir(dir)).tokenizer, 'JULIET:', 1).top[0].id));
    await check('JULIET:');
  });
});
