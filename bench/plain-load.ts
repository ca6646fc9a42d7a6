// The page's load as a reader's browser does it: no DevTools domain enabled in the page.
// Playwright turns on DevTools' domains (network, runtime, page) in every page it drives, and
// with them on this page loads about a tenth slower. So bench/page.ts also starts a chromium
// of its own, driven over --remote-debugging-pipe only to open and close tabs, which loads a
// copy of the page that posts its performance marks back to the server. Loads alternate
// between a tab left alone and one with the domains on, so the two are compared in one run,
// and a third kind loaded before chromium has settled after opening its window (settle.ts).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/browser/helpers.ts';
import { chromiumSettled } from './settle.ts';

/** Milliseconds after navigation. */
export interface PlainLoad {
  domContentLoaded: number;
  fetched: number;
  build: number;
  explain: number;
  model: number;
  /** The first scenes drawn (all but those showing the generated tokens), then every scene. */
  scenes: number;
  everyScene: number;
}

const REPORT_PATH = '/__bench-load-report';
export const REPORT_PAGE = 'bench-load.html';

let deliver: ((body: string) => void) | null = null;

/** A preview-server plugin that receives the marks the report page posts. */
export function loadReportPlugin(): Plugin {
  return {
    name: 'bench-load-report',
    configurePreviewServer(server) {
      server.middlewares.use(REPORT_PATH, (request, response) => {
        let body = '';
        request.on('data', (chunk) => (body += chunk));
        request.on('end', () => {
          response.end('ok');
          deliver?.(body);
        });
      });
    },
  };
}

/** Writes the report page beside the build's index.html: the page itself, plus a script that posts its marks. */
export function writeReportPage(outDir: string, headScript: string): void {
  const report = `<script>
(function report() {
  const every = performance.getEntriesByName('scenes-updated')[0];
  if (!every) return setTimeout(report, 20);
  const scenes = performance.getEntriesByName('first-scenes')[0] || every;
  const model = performance.getEntriesByName('model-loaded')[0];
  const t = model.detail, origin = performance.timeOrigin;
  fetch('${REPORT_PATH}', { method: 'POST', body: JSON.stringify({
    domContentLoaded: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
    fetched: t.fetchedAt - origin, build: t.build, explain: scenes.detail.explainMilliseconds,
    model: model.startTime, scenes: scenes.startTime, everyScene: every.startTime }) });
})();
</script>`;
  const html = readFileSync(join(outDir, 'index.html'), 'utf8')
    .replace('<head>', `<head>${headScript ? `<script>${headScript}</script>` : ''}`)
    .replace('</body>', `${report}</body>`);
  writeFileSync(join(outDir, REPORT_PAGE), html);
}

/** The minimum of a DevTools protocol client over chromium's pipe (fds 3 and 4, messages end in NUL). */
class PipeClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (result: Record<string, string>) => void>();
  private buffer = '';

  constructor(
    private readonly toBrowser: NodeJS.WritableStream,
    fromBrowser: NodeJS.ReadableStream,
  ) {
    fromBrowser.on('data', (data: Buffer) => {
      this.buffer += data.toString();
      for (let end = this.buffer.indexOf('\0'); end >= 0; end = this.buffer.indexOf('\0')) {
        const message = JSON.parse(this.buffer.slice(0, end));
        this.buffer = this.buffer.slice(end + 1);
        this.waiting.get(message.id)?.(message.result ?? {});
        this.waiting.delete(message.id);
      }
    });
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<Record<string, string>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId && { sessionId }) }) + '\0');
    });
  }
}

/** The three kinds of tab loaded, in turn. */
const KINDS = [
  { name: 'plain', devTools: false, settle: true },
  { name: 'withDevTools', devTools: true, settle: true },
  { name: 'unsettled', devTools: false, settle: false },
] as const;

export type LoadKind = (typeof KINDS)[number]['name'];

/**
 * `runs` loads of each kind after one of each to warm up, in turn: each in a fresh browser
 * context (an empty cache, as playwright's), at 1280 × 900. A plain tab is navigated once
 * chromium has settled after opening its window (settle.ts; `settleWaits` says how long that
 * took); so is one with DevTools' domains enabled (as playwright's); an unsettled tab is
 * navigated at once, beside chromium's own start-up. Every tab is attached to, to navigate and
 * set its size.
 */
export async function plainLoads(origin: string, runs: number): Promise<{ loads: Record<LoadKind, PlainLoad[]>; settleWaits: number[] }> {
  const profile = mkdtempSync(join(tmpdir(), 'bench-chromium-'));
  const browser = spawn(CHROMIUM_PATH, [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
  });
  const cdp = new PipeClient(browser.stdio[3] as NodeJS.WritableStream, browser.stdio[4] as NodeJS.ReadableStream);
  const loads: Record<LoadKind, PlainLoad[]> = { plain: [], withDevTools: [], unsettled: [] };
  const settleWaits: number[] = [];
  try {
    for (let i = 0; i < KINDS.length * (runs + 1); i++) {
      const kind = KINDS[i % KINDS.length];
      const { browserContextId } = await cdp.send('Target.createBrowserContext');
      const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank', browserContextId });
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
      if (kind.devTools) for (const domain of ['Network', 'Runtime', 'Page']) await cdp.send(`${domain}.enable`, {}, sessionId);
      await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
      if (kind.settle) settleWaits.push(await chromiumSettled());
      const reported = new Promise<string>((resolve, reject) => {
        deliver = resolve;
        setTimeout(() => reject(new Error(`the page at ${origin}/${REPORT_PAGE} did not report its load within 60 s`)), 60_000).unref();
      });
      await cdp.send('Page.navigate', { url: `${origin}/${REPORT_PAGE}` }, sessionId);
      const load = JSON.parse(await reported) as PlainLoad;
      await cdp.send('Target.closeTarget', { targetId });
      await cdp.send('Target.disposeBrowserContext', { browserContextId });
      if (i >= KINDS.length) loads[kind.name].push(load);
    }
  } finally {
    deliver = null;
    // Closed through the protocol, chromium ends its helper processes too (a kill would leave
    // them writing into the profile while it is removed).
    const exited = new Promise((resolve) => browser.once('exit', resolve));
    const closing = cdp.send('Browser.close');
    const late = setTimeout(() => browser.kill('SIGKILL'), 5000);
    await Promise.race([closing, exited]);
    await exited;
    clearTimeout(late);
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    } catch (error) {
      console.warn(`   (could not remove the temporary profile ${profile}: ${(error as Error).message})`);
    }
  }
  return { loads, settleWaits };
}
