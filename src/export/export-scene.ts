// Exports one scene to an MP4, WebM or GIF file, or a folder of numbered PNG frames.
// Frames are drawn by FrameCanvas (the page's own drawing code) and either piped into
// ffmpeg or encoded to PNG; the output appears only when complete (see output.ts).

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Scene } from '../scenes/contract.ts';
import type { Theme } from '../render/theme.ts';
import { FrameCanvas } from './canvas-frames.ts';
import { ExportCancelled } from './errors.ts';
import { FfmpegEncoder } from './ffmpeg.ts';
import { encodeArgs, fitFrameRate, fitSize, formatOfPath, gifPaletteArgs, type ExportFormat } from './formats.ts';
import { planHeldFrames } from './held-frames.ts';
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
  /**
   * Repeat held frames in the file so it has a constant frame rate (default), or store each
   * held frame once with a longer duration: smaller and faster, but some video editors
   * prefer constant rates. GIFs always repeat them.
   */
  constantFrameRate?: boolean;
  /** Told of adjustments before drawing starts (an odd size rounded up, a GIF frame rate). */
  onNote?: (note: string) => void;
  /** Told after every frame. */
  onProgress?: (progress: ExportProgress) => void;
  signal?: AbortSignal;
}

export interface ExportProgress {
  /** 'held' while finding frames that repeat the one before, 'palette' while sampling a GIF's colours, then 'frames'. */
  stage: 'held' | 'palette' | 'frames';
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
  /** Frames drawn (held frames of a video are not drawn at all; the count includes a GIF's palette samples). */
  framesDrawn: number;
  /** Frames found identical to the one before, whose pixels were reused instead of drawn again. */
  framesReused: number;
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
  const job: Job = { frames, range, signal: options.signal, onProgress: options.onProgress, constantFrameRate: options.constantFrameRate ?? true };
  try {
    if (format === 'png') await writePngFrames(job, output.tempPath);
    else await encodeVideo(job, format, output.tempPath, output.scratchPath('.palette.png'));
    checkCancel(job.signal);
    await output.commit();
  } catch (error) {
    await output.discard();
    throw error;
  }
  return {
    out: options.out,
    format,
    width,
    height,
    fps: timed.fps,
    frames: range.count,
    durationSeconds: range.count / timed.fps,
    framesDrawn: frames.counts.drawn,
    framesReused: frames.counts.reused,
  };
}

interface Job {
  frames: FrameCanvas;
  range: FrameRange;
  constantFrameRate: boolean;
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

/**
 * Draws the frames in `indices` into an ffmpeg process writing with `outputArgs`; progress
 * counts frames of the clip (`total`), with `place` giving each sent frame's position.
 */
async function pipeFrames(
  job: Job,
  indices: readonly number[],
  stage: ExportProgress['stage'],
  total: number,
  place: (index: number, k: number) => number,
  outputArgs: string[],
  /** The frames are known to differ from the one before (all but possibly the last). */
  known = false,
) {
  const { frames, range } = job;
  const encoder = new FfmpegEncoder({ width: frames.width, height: frames.height, fps: range.fps }, outputArgs, job.signal);
  try {
    for (let k = 0; k < indices.length; k++) {
      checkCancel(job.signal);
      if (known && k < indices.length - 1) frames.drawChanged(indices[k], range.fps);
      else frames.draw(indices[k], range.fps);
      await encoder.write(frames.rgba());
      job.onProgress?.({ stage, done: place(indices[k], k), total });
    }
    await encoder.finish();
  } finally {
    await encoder.kill();
  }
}

async function encodeVideo(job: Job, format: Exclude<ExportFormat, 'png'>, tempPath: string, palette: string): Promise<void> {
  const { range, frames } = job;
  job.onProgress?.({ stage: 'held', done: 0, total: range.count });
  const plan = planHeldFrames(frames.changes(range.first, range.count, range.fps), range.first, range.fps);
  checkCancel(job.signal);
  const timing = { fps: range.fps, setpts: plan.setpts, constantFrameRate: job.constantFrameRate };
  const clipFrame = (index: number) => index - range.first + 1;
  if (format !== 'gif') {
    await pipeFrames(job, plan.indices, 'frames', range.count, clipFrame, encodeArgs(format, tempPath, timing), true);
    return;
  }
  // A GIF has 256 colours: choose them from frames sampled across the clip (cheap, and no
  // need to hold every frame in memory), then encode all frames with that palette.
  const samples = sampleFrames(range, PALETTE_SAMPLES);
  await pipeFrames(job, samples, 'palette', samples.length, (_, k) => k + 1, gifPaletteArgs(palette));
  await pipeFrames(job, plan.indices, 'frames', range.count, clipFrame, encodeArgs('gif', tempPath, timing, palette), true);
}
