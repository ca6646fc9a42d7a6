// The exporter on a small test scene: what ffprobe reports for MP4, WebM and GIF files, that
// PNG frames and decoded video frames are the frames the scene code draws, that odd sizes and
// GIF frame rates are adjusted out loud, and that failures and cancels leave nothing behind.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { afterAll, describe, expect, it } from 'vitest';
import { FrameCanvas } from '../src/export/canvas-frames.ts';
import { ExportCancelled, ExportError } from '../src/export/errors.ts';
import { exportScene, pngName } from '../src/export/export-scene.ts';
import { FFMPEG_MISSING } from '../src/export/ffmpeg.ts';
import { planHeldFrames } from '../src/export/held-frames.ts';
import { decodeFrame, differingPixels, gifLoopCount, meanDifference, probe } from './export-probe.ts';
import { testScene } from './export-test-scene.ts';

const dir = mkdtempSync(join(tmpdir(), 'export-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 320;
const H = 180;
const FPS = 10;
const scene = testScene(1.5); // 15 frames at 10 fps
const base = { width: W, height: H, fps: FPS, theme: 'light' as const };

/** What the scene code draws for frame `index`, as RGBA. */
function drawn(index: number, width = W, height = H, fps = FPS): Buffer {
  const frames = new FrameCanvas(scene, width, height, 'light');
  frames.draw(index, fps);
  return frames.rgba();
}

async function pngPixels(path: string): Promise<Buffer> {
  const image = await loadImage(path);
  const canvas = createCanvas(image.width, image.height);
  canvas.getContext('2d').drawImage(image, 0, 0);
  return canvas.data();
}

/** Files left in a folder whose names mark an unfinished export. */
const leftovers = (folder: string) => readdirSync(folder).filter((f) => f.includes('.part'));

describe('video files, as ffprobe sees them', () => {
  it('MP4 is H.264, yuv420p, at the asked size and rate, and lasts the scene to within a frame', async () => {
    const out = join(dir, 'clip.mp4');
    const result = await exportScene(scene, { ...base, out });
    const p = probe(out);
    expect(p).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', width: W, height: H, fps: FPS, frames: 15 });
    expect(Math.abs(p.durationSeconds - scene.durationSeconds)).toBeLessThanOrEqual(1 / FPS);
    expect(result.frames).toBe(15);
    expect(leftovers(dir)).toEqual([]);
  });

  it('MP4 frame N is the scene drawn at N / fps (close to it, and not to its neighbours)', async () => {
    const out = join(dir, 'frames-check.mp4');
    await exportScene(scene, { ...base, out });
    for (const n of [0, 7, 14]) {
      const video = decodeFrame(out, n, W, H);
      const own = meanDifference(video, drawn(n));
      expect(own).toBeLessThan(2.5);
      // The scene moves every frame, so a frame off by one would be further away.
      const neighbour = meanDifference(video, drawn(n === 14 ? 13 : n + 1));
      expect(neighbour).toBeGreaterThan(own * 1.5);
    }
  });

  it('WebM is VP9 at the asked size and rate, lasting the scene to within a frame', async () => {
    const out = join(dir, 'clip.webm');
    await exportScene(scene, { ...base, out });
    const p = probe(out);
    expect(p).toMatchObject({ codec: 'vp9', width: W, height: H, fps: FPS, frames: 15 });
    expect(Math.abs(p.durationSeconds - scene.durationSeconds)).toBeLessThanOrEqual(1 / FPS);
  });

  it('GIF loops forever, keeps its size and rate, and lasts the scene to within a frame', async () => {
    const out = join(dir, 'clip.gif');
    await exportScene(scene, { ...base, out });
    const p = probe(out);
    expect(p).toMatchObject({ codec: 'gif', width: W, height: H, fps: FPS, frames: 15 });
    expect(Math.abs(p.durationSeconds - scene.durationSeconds)).toBeLessThanOrEqual(1 / FPS);
    expect(gifLoopCount(out)).toBe(0);
    // 256 colours chosen from the scene's own: a decoded frame stays close to the drawing.
    expect(meanDifference(decodeFrame(out, 5, W, H), drawn(5))).toBeLessThan(3);
  });

  it('a GIF frame rate it cannot show exactly is rounded, and said so', async () => {
    const out = join(dir, 'rate.gif');
    const notes: string[] = [];
    const result = await exportScene(scene, { ...base, fps: 30, out, onNote: (n) => notes.push(n) });
    expect(result.fps).toBe(25);
    expect(notes.join(' ')).toMatch(/25 fps instead of 30/);
    expect(probe(out).fps).toBe(25);
  });

  it('an odd size for H.264 is rounded up to even, and said so', async () => {
    const out = join(dir, 'odd.mp4');
    const notes: string[] = [];
    const result = await exportScene(scene, { ...base, width: 321, height: 181, out, onNote: (n) => notes.push(n) });
    expect(notes.join(' ')).toMatch(/even sides: using 322x182 instead of 321x181/);
    expect(result).toMatchObject({ width: 322, height: 182 });
    expect(probe(out)).toMatchObject({ width: 322, height: 182 });
  });
});

describe('held frames (a scene holding still) are sent to ffmpeg once', () => {
  const holding = testScene(2, 1); // moves for 1 s, then holds for 1 s: frames 11..19 repeat frame 10

  it('plans which frames to send and where each one goes', () => {
    const plan = planHeldFrames([true, true, false, false, true, false, false], 10, 10);
    expect(plan.indices).toEqual([10, 11, 14, 16]); // the last frame is always sent
    expect(plan.setpts).toBe('(N+2*gte(N\\,2)+1*gte(N\\,3))/(10*TB)');
    expect(planHeldFrames([true, true, true], 0, 30)).toEqual({ indices: [0, 1, 2], setpts: null });
  });

  it('MP4 at a constant rate still has every frame, each the right picture', async () => {
    const out = join(dir, 'held.mp4');
    const result = await exportScene(holding, { ...base, out });
    // Held frames are not even drawn: frames 0..10, and the last one, which is always sent.
    expect(result.framesDrawn).toBe(12);
    const p = probe(out);
    expect(p).toMatchObject({ codec: 'h264', fps: FPS, frames: 20 });
    expect(Math.abs(p.durationSeconds - 2)).toBeLessThanOrEqual(1 / FPS);
    const frames = new FrameCanvas(holding, W, H, 'light');
    for (const n of [4, 10, 15, 19]) {
      frames.draw(n, FPS);
      expect(meanDifference(decodeFrame(out, n, W, H), frames.rgba())).toBeLessThan(2.5);
    }
  });

  it('MP4 at a variable rate stores the held frame once and still lasts the whole scene', async () => {
    const out = join(dir, 'held-vfr.mp4');
    await exportScene(holding, { ...base, out, constantFrameRate: false });
    const p = probe(out);
    expect(p).toMatchObject({ codec: 'h264', fps: FPS, frames: 12 }); // frames 0..10, and the last
    expect(Math.abs(p.durationSeconds - 2)).toBeLessThanOrEqual(1 / FPS);
  });

  it('a GIF keeps every frame at its rate', async () => {
    const out = join(dir, 'held.gif');
    await exportScene(holding, { ...base, out, constantFrameRate: false });
    const p = probe(out);
    expect(p).toMatchObject({ codec: 'gif', fps: FPS, frames: 20 });
    expect(Math.abs(p.durationSeconds - 2)).toBeLessThanOrEqual(1 / FPS);
  });
});

describe('PNG frames', () => {
  it('are numbered from frame-00000.png and hold exactly the pixels the scene code draws', async () => {
    const out = join(dir, 'pngs');
    await exportScene(scene, { ...base, out });
    const files = readdirSync(out).sort();
    expect(files).toEqual(Array.from({ length: 15 }, (_, i) => pngName(i)));
    for (const n of [0, 6, 14]) {
      expect(differingPixels(await pngPixels(join(out, pngName(n))), drawn(n), 0)).toBe(0);
    }
  });

  it('a time range exports only those frames, named by their frame number in the scene', async () => {
    const out = join(dir, 'range');
    const result = await exportScene(scene, { ...base, out, fromSeconds: 0.5, toSeconds: 0.8 });
    expect(result.frames).toBe(3);
    expect(readdirSync(out).sort()).toEqual([pngName(5), pngName(6), pngName(7)]);
    expect(differingPixels(await pngPixels(join(out, pngName(6))), drawn(6), 0)).toBe(0);
  });

  it('an odd size is kept for PNG frames (no codec needs even sides)', async () => {
    const out = join(dir, 'odd-pngs');
    const result = await exportScene(scene, { ...base, width: 161, height: 91, out, toSeconds: 0.1 });
    expect(result).toMatchObject({ width: 161, height: 91 });
    const image = await loadImage(join(out, pngName(0)));
    expect([image.width, image.height]).toEqual([161, 91]);
  });

  it('refuses a folder that already holds files, and leaves it alone', async () => {
    const out = join(dir, 'full');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    await expect(exportScene(scene, { ...base, out })).rejects.toThrow(/already exists and is not empty/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
  });
});

describe('bad input and interruptions leave no half-written output', () => {
  it('an unknown extension is named, with the ones that work', async () => {
    const out = join(dir, 'clip.avi');
    await expect(exportScene(scene, { ...base, out })).rejects.toThrow(/unknown output type "\.avi".*\.mp4, \.webm or \.gif/);
    expect(readdirSync(dir)).not.toContain('clip.avi');
  });

  it('a folder that does not exist, or a file in the way, is an error before any drawing', async () => {
    await expect(exportScene(scene, { ...base, out: join(dir, 'missing', 'clip.mp4') })).rejects.toThrow(
      /folder ".*missing" does not exist/,
    );
    writeFileSync(join(dir, 'a-file'), '');
    await expect(exportScene(scene, { ...base, out: join(dir, 'a-file', 'clip.mp4') })).rejects.toThrow(/is not a folder/);
    await expect(exportScene(scene, { ...base, out: dir })).rejects.toThrow(ExportError); // a non-empty folder
    expect(leftovers(dir)).toEqual([]);
  });

  it('a cancel stops the export and removes the temporary file', async () => {
    const out = join(dir, 'cancelled.mp4');
    const controller = new AbortController();
    const export_ = exportScene(scene, {
      ...base,
      out,
      onProgress: (p) => {
        if (p.done === 4) controller.abort();
      },
      signal: controller.signal,
    });
    await expect(export_).rejects.toBeInstanceOf(ExportCancelled);
    expect(readdirSync(dir)).not.toContain('cancelled.mp4');
    expect(leftovers(dir)).toEqual([]);
  });

  it('a cancelled PNG export removes its temporary folder', async () => {
    const out = join(dir, 'cancelled-pngs');
    const controller = new AbortController();
    const run = exportScene(scene, { ...base, out, signal: controller.signal, onProgress: (p) => p.done === 3 && controller.abort() });
    await expect(run).rejects.toBeInstanceOf(ExportCancelled);
    expect(readdirSync(dir)).not.toContain('cancelled-pngs');
    expect(leftovers(dir)).toEqual([]);
  });

  it('without ffmpeg on the PATH, the message names the Debian package and nothing is written', async () => {
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'no-programs-here');
    try {
      await expect(exportScene(scene, { ...base, out: join(dir, 'no-ffmpeg.mp4') })).rejects.toThrow(FFMPEG_MISSING);
    } finally {
      process.env.PATH = path;
    }
    expect(FFMPEG_MISSING).toMatch(/apt-get install ffmpeg/);
    expect(readdirSync(dir)).not.toContain('no-ffmpeg.mp4');
    expect(leftovers(dir)).toEqual([]);
  });
});
