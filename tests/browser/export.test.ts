// The exporter against the page, in Debian's chromium: frame N that Node exports equals frame
// N that the real <transformer-scene> player shows at the same size (for every scene), and the
// page's "Download video" encoder writes MP4 and WebM files that ffprobe accepts, with
// progress, cancel and even sizes.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameCanvas } from '../../src/export/canvas-frames.ts';
import { sceneByName, scenesFor } from '../../src/scenes/index.ts';
import { decodeFrame, differingPixels, meanDifference, probe } from '../export-probe.ts';
import { testScene } from '../export-test-scene.ts';
import { sceneExplanation } from '../helpers/scene-explanation.ts';
import { launchChromium, startVite, watchedPage, type WatchedPage } from './helpers.ts';

let server: ViteDevServer;
let origin: string;
let browser: Browser;
let watched: WatchedPage;
const dir = mkdtempSync(join(tmpdir(), 'export-browser-'));

const W = 320;
const H = 180;
const FPS = 10;

beforeAll(async () => {
  ({ server, origin } = await startVite());
  browser = await launchChromium();
  watched = await watchedPage(browser, { viewport: { width: 640, height: 400 }, deviceScaleFactor: 1 });
  await watched.page.goto(`${origin}/tests/browser/pages/export.html`);
  await watched.page.waitForFunction(() => (globalThis as { exportPageReady?: boolean }).exportPageReady === true);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface PageFrame {
  width: number;
  height: number;
  rgba: string;
}

interface Encoded {
  ok: boolean;
  file?: string;
  fileName?: string;
  type?: string;
  error?: string;
  progress: number[];
}

const playerFrame = (name: string, t: number) =>
  watched.page.evaluate(([n, time]) => (globalThis as unknown as { playerFrame(n: string, t: number): PageFrame }).playerFrame(n, time), [name, t] as const);

const encode = (format: 'mp4' | 'webm', width: number, height: number, fps: number, seconds: number, abortAtFrame = 0) =>
  watched.page.evaluate(
    (a) =>
      (globalThis as unknown as { encodeTestVideo(...x: unknown[]): Promise<Encoded> }).encodeTestVideo(a.format, a.width, a.height, a.fps, a.seconds, a.abortAtFrame),
    { format, width, height, fps, seconds, abortAtFrame },
  );

describe('an exported frame is the page\'s frame', () => {
  // The page's explanation is GPT-2's (sceneExplanation), so the scenes GPT-2 has.
  it.each(scenesFor(sceneExplanation().config).map((s) => s.name))('scene %s: frames drawn in Node match the player in chromium', async (name) => {
    const scene = sceneByName(name)!.build(sceneExplanation());
    const frames = new FrameCanvas(scene, W, H, 'light');
    const total = Math.round(scene.durationSeconds * FPS);
    for (const n of [Math.round(total * 0.3), Math.round(total * 0.7), total - 1]) {
      const page = await playerFrame(name, n / FPS);
      expect([page.width, page.height]).toEqual([W, H]);
      frames.draw(n, FPS);
      const pixels = Buffer.from(page.rgba, 'base64');
      // Allow only anti-aliasing: glyph edges of the smallest text (about 6 px at this size)
      // are smoothed a little differently; a moved glyph or shape would change far more pixels,
      // and by far more.
      expect(differingPixels(frames.rgba(), pixels, 24)).toBeLessThan(0.015);
      expect(differingPixels(frames.rgba(), pixels, 128)).toBeLessThan(0.001);
      expect(meanDifference(frames.rgba(), pixels)).toBeLessThan(1);
    }
  });
});

describe('"Download video" in the page', () => {
  const save = (name: string, encoded: Encoded) => {
    expect(encoded.error).toBeUndefined();
    const path = join(dir, name);
    writeFileSync(path, Buffer.from(encoded.file!, 'base64'));
    return path;
  };

  it('MP4: H.264 at the chosen size and rate, as long as the scene, frame N drawn at N / fps', async () => {
    const encoded = await encode('mp4', W, H, FPS, 1.5);
    expect(encoded).toMatchObject({ ok: true, fileName: 'test-scene.mp4', type: 'video/mp4' });
    const path = save('page.mp4', encoded);
    const p = probe(path);
    expect(p).toMatchObject({ codec: 'h264', width: W, height: H, fps: FPS, frames: 15 });
    expect(Math.abs(p.durationSeconds - 1.5)).toBeLessThanOrEqual(1 / FPS);
    // Progress rises to 1, one step per frame.
    expect(encoded.progress).toHaveLength(15);
    expect(encoded.progress.at(-1)).toBe(1);
    const node = new FrameCanvas(testScene(1.5), W, H, 'light');
    node.draw(7, FPS);
    expect(meanDifference(decodeFrame(path, 7, W, H), node.rgba())).toBeLessThan(3);
  });

  it('WebM: VP9 at the chosen size and rate', async () => {
    const path = save('page.webm', await encode('webm', W, H, 12, 1));
    const p = probe(path);
    expect(p).toMatchObject({ codec: 'vp9', width: W, height: H, frames: 12 });
    expect(Math.abs(p.durationSeconds - 1)).toBeLessThanOrEqual(1 / 12);
  });

  it('an odd size is rounded up to even for H.264', async () => {
    const path = save('odd.mp4', await encode('mp4', 161, 91, 5, 0.6));
    expect(probe(path)).toMatchObject({ width: 162, height: 92 });
  });

  it('cancel stops encoding with ExportCancelled', async () => {
    const encoded = await encode('mp4', W, H, FPS, 1.5, 3);
    expect(encoded.ok).toBe(false);
    expect(encoded.error).toMatch(/^ExportCancelled/);
    expect(encoded.progress).toHaveLength(3);
  });

  it('asks for nothing beyond the page itself and reports no errors', () => {
    expect(watched.requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:'))).toEqual([]);
    expect(watched.errors).toEqual([]);
  });
});
