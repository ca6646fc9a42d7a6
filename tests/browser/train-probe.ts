// Driving "Train your own" from a test or benchmark: a script that records every message the
// training worker sends the page (an independent record of what the page should show), typing
// the settings, and pressing Train.

import type { Page } from 'playwright-core';
import type { FromTrainer } from '../../src/web/train-protocol.ts';

/** Init script: every message a worker named "train" sends to the page goes to globalThis.__trainMessages. */
export const RECORD_TRAINING = `
  globalThis.__trainMessages = [];
  const PageWorker = globalThis.Worker;
  globalThis.Worker = class extends PageWorker {
    constructor(url, options) {
      super(url, options);
      if (options && options.name === 'train') this.addEventListener('message', (event) => globalThis.__trainMessages.push(event.data));
    }
  };`;

export function trainingMessages(page: Page): Promise<FromTrainer[]> {
  return page.evaluate(() => (globalThis as unknown as { __trainMessages: FromTrainer[] }).__trainMessages);
}

/** Brings the panel into view: the article's sections out of view are not laid out (content-visibility), so not editable. */
export async function showTrainPanel(page: Page): Promise<void> {
  await page.locator('#train-panel').scrollIntoViewIfNeeded();
}

/** Opens the settings and types each value (field flag → text, e.g. 'max-iters' → '24'). */
export async function typeSettings(page: Page, values: Record<string, string>): Promise<void> {
  if (!(await page.locator('#train-settings').evaluate((d: HTMLDetailsElement) => d.open))) await page.locator('#train-settings summary').click();
  for (const [flag, value] of Object.entries(values)) await page.locator(`#train-${flag}`).fill(value);
}

/** Waits until the panel's message matches `pattern`; returns it. */
export async function waitForTrainMessage(page: Page, pattern: RegExp, timeout = 400_000): Promise<string> {
  await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('train-message')!.textContent ?? ''), pattern.source, { timeout });
  return (await page.locator('#train-message').textContent())!;
}
