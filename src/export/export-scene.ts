// Exports one scene to an MP4, WebM or GIF file, or a folder of numbered PNG frames.
// Frames are drawn by FrameCanvas (the page's own drawing code) and either piped into
// ffmpeg or encoded to PNG; the output appears only when complete (see output.ts).

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Scene, Theme } from '../scenes/contract.ts';
import { FrameCanvas } from './canvas-frames.ts';
import { ExportCancelled } from './errors.ts';
import { FfmpegEncoder } from './ffmpeg.ts';
import { encodeArgs, fitFrameRate, fitSize, formatOfPath, gifPaletteArgs, type ExportFormat } from './formats.ts';
import { prepareOutput } from './output.ts';
import { frameRange, sampleFrames, type FrameRange } from './timing.ts';

export interface ExportOptions {
  /** A .mp4, .webm or .gif file, or a folder (no extension) for PNG frames. */
  out: string;
  /** Frame size in pixels; the scene lays itself out for exactly this size, as on a page this big. */
  width: number;
  height: number;
  /** Frames per second (GIFs round it to a rate they can show exactly). */
  fps: number;
  theme: Theme;
  /** Export only part of the scene: from this time (seconds)... */
  fromSeconds?: number;
  /** ...up to this time (seconds). */
  toSeconds?: number;
  /** Told of adjustments before drawing starts (an odd size rounded up, a GIF frame rate). */
  onNote?: (note: string) => void;
  /** Told after every frame. */
  onProgress?: (progress: ExportProgress) => void;
  signal?: AbortSignal;
}

export interface ExportProgress {
  /** 'palette' while sampling frames for a GIF's colours, then 'frames'. */
  stage: 'palette' | 'frames';
  done: number;
  total: number;
}

export interface ExportResult {
  out: string;
  format: ExportFormat;
  width: number;
  height: number;
  fps: number;
  frames: number;
  /** Length of the exported clip in seconds (frames / fps). */
  durationSeconds: number;
}

/** Frames sampled to choose a GIF's 256 colours: enough to see every colour a scene uses. */
const PALETTE_SAMPLES = 48;

export async function exportScene(scene: Scene, options: ExportOptions): Promise<ExportResult> {
  const format = formatOfPath(options.out);
  const sized = fitSize(format, { width: options.width, height: options.height });
  const timed = fitFrameRate(format, options.fps);
  for (const note of [sized.note, timed.note]) if (note) options.onNote?.(note);
  const { width, height } = sized.size;
  const range = frameRange(scene.durationSeconds, timed.fps, options.fromSeconds, options.toSeconds);
  const output = await prepareOutput(options.out, format === 'png' ? 'folder' : 'file');
  const frames = new FrameCanvas(scene, width, height, options.theme);
  const job: Job = { frames, range, signal: options.signal, onProgress: options.onProgress };
  try {
    if (format === 'png') await writePngFrames(job, output.tempPath);
    else await encodeVideo(job, format, output.tempPath, output.scratchPath('.palette.png'));
    checkCancel(job.signal);
    await output.commit();
  } catch (error) {
    await output.discard();
    throw error;
  }
  return { out: options.out, format, width, height, fps: timed.fps, frames: range.count, durationSeconds: range.count / timed.fps };
}

interface Job {
  frames: FrameCanvas;
  range: FrameRange;
  signal?: AbortSignal;
  onProgress?: (progress: ExportProgress) => void;
}

function checkCancel(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ExportCancelled();
}

/** PNG name of frame `index`, counted from the scene's start: frame-00000.png, frame-00001.png, ... */
export function pngName(index: number): string {
  return `frame-${String(index).padStart(5, '0')}.png`;
}

async function writePngFrames(job: Job, folder: string): Promise<void> {
  const { frames, range } = job;
  // PNG compression runs on libuv's threads; two at a time keeps both cores busy.
  const inFlight: Promise<void>[] = [];
  let stopped: unknown = null;
  try {
    for (let k = 0; k < range.count; k++) {
      checkCancel(job.signal);
      const index = range.first + k;
      frames.draw(index, range.fps);
      inFlight.push(frames.png().then((bytes) => writeFile(join(folder, pngName(index)), bytes)));
      if (inFlight.length >= 2) await inFlight.shift();
      job.onProgress?.({ stage: 'frames', done: k + 1, total: range.count });
    }
  } catch (error) {
    stopped = error;
  }
  // Let writes already started land (or fail) before the caller commits or removes the folder.
  const failed = (await Promise.allSettled(inFlight)).find((s) => s.status === 'rejected');
  if (stopped !== null) throw stopped;
  if (failed) throw failed.reason;
}

/** Draws the frames in `indices` into an ffmpeg process writing with `outputArgs`. */
async function pipeFrames(job: Job, indices: Iterable<number>, total: number, stage: ExportProgress['stage'], outputArgs: string[]) {
  const { frames, range } = job;
  const encoder = new FfmpegEncoder({ width: frames.width, height: frames.height, fps: range.fps }, outputArgs, job.signal);
  try {
    let done = 0;
    for (const index of indices) {
      checkCancel(job.signal);
      frames.draw(index, range.fps);
      await encoder.write(frames.rgba());
      job.onProgress?.({ stage, done: ++done, total });
    }
    await encoder.finish();
  } finally {
    await encoder.kill();
  }
}

function* indicesOf(range: FrameRange): Iterable<number> {
  for (let k = 0; k < range.count; k++) yield range.first + k;
}

async function encodeVideo(job: Job, format: Exclude<ExportFormat, 'png'>, tempPath: string, palette: string): Promise<void> {
  if (format !== 'gif') {
    await pipeFrames(job, indicesOf(job.range), job.range.count, 'frames', encodeArgs(format, tempPath));
    return;
  }
  // A GIF has 256 colours: choose them from frames sampled across the clip (cheap, and no
  // need to hold every frame in memory), then encode all frames with that palette.
  const samples = sampleFrames(job.range, PALETTE_SAMPLES);
  await pipeFrames(job, samples, samples.length, 'palette', gifPaletteArgs(palette));
  await pipeFrames(job, indicesOf(job.range), job.range.count, 'frames', encodeArgs('gif', tempPath, palette));
}
