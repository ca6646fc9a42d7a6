// "Download video" on the page: encodes a scene to MP4 (H.264) or WebM (VP9) in the browser
// with WebCodecs through mediabunny, at the size and frame rate the reader picks, with
// progress and cancel. Frames are drawn by the same Scene.draw as the player and as the
// command-line exporter, frame i at time i / fps. Browser-only; no network requests.

import { BufferTarget, CanvasSource, canEncodeVideo, Mp4OutputFormat, Output, Quality, WebMOutputFormat } from 'mediabunny';
import type { Scene } from '../scenes/contract.ts';
import type { Theme } from '../render/theme.ts';
import { ExportCancelled, ExportError } from '../export/errors.ts';
import { fitSize } from '../export/formats.ts';
import { frameRange, frameTime } from '../export/timing.ts';
import { saveFile } from './save-file.ts';

export type VideoFormat = 'mp4' | 'webm';

export interface SceneVideoOptions {
  scene: Scene;
  format: VideoFormat;
  /** Frame size in pixels; the scene lays itself out for this size. Odd sides are rounded up to even. */
  width: number;
  height: number;
  /** Frames per second (1 to 120). */
  fps: number;
  theme: Theme;
  /** Called after each frame is handed to the encoder. */
  onProgress?: (framesDone: number, framesTotal: number) => void;
  /** Aborting stops encoding; the promise then rejects with ExportCancelled. */
  signal?: AbortSignal;
}

export interface SceneVideo {
  blob: Blob;
  /** e.g. "qkv.mp4" */
  fileName: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
}

const CODEC = { mp4: 'avc', webm: 'vp9' } as const;
const CODEC_NAME = { mp4: 'H.264', webm: 'VP9' } as const;

/** True when this browser can encode the format at this size (WebCodecs present and the codec offered). */
async function canEncodeSceneVideo(format: VideoFormat, width: number, height: number): Promise<boolean> {
  if (typeof VideoEncoder === 'undefined') return false;
  const { size } = fitSize(format, { width, height });
  return canEncodeVideo(CODEC[format], { width: size.width, height: size.height });
}

/**
 * Encodes the whole scene and resolves with the finished file. Throws ExportError with a
 * readable message when the browser cannot encode it, ExportCancelled when aborted.
 */
export async function encodeSceneVideo(options: SceneVideoOptions): Promise<SceneVideo> {
  const { scene, format, theme, signal } = options;
  if (!Number.isInteger(options.fps) || options.fps < 1 || options.fps > 120) {
    throw new ExportError(`frame rate must be a whole number from 1 to 120, got ${options.fps}`);
  }
  const { width, height } = fitSize(format, { width: options.width, height: options.height }).size;
  if (!(await canEncodeSceneVideo(format, width, height))) {
    throw new ExportError(
      `this browser cannot encode ${CODEC_NAME[format]} video at ${width}×${height}; try ${format === 'mp4' ? 'WebM' : 'MP4'} or a smaller size`,
    );
  }
  const range = frameRange(scene.durationSeconds, options.fps);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new ExportError('this browser cannot draw off screen (no OffscreenCanvas 2D context)');

  const output = new Output({
    format: format === 'mp4' ? new Mp4OutputFormat({ fastStart: 'in-memory' }) : new WebMOutputFormat(),
    target: new BufferTarget(),
  });
  const source = new CanvasSource(canvas, {
    codec: CODEC[format],
    // Matrices of small digits need a generous bitrate to stay sharp.
    quality: new Quality('very-high'),
    contentHint: 'text',
  });
  output.addVideoTrack(source, { frameRate: options.fps });
  try {
    await output.start();
    for (let i = 0; i < range.count; i++) {
      if (signal?.aborted) throw new ExportCancelled();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, width, height);
      scene.draw(ctx as unknown as CanvasRenderingContext2D, frameTime(i, options.fps), width, height, theme);
      await source.add(frameTime(i, options.fps), 1 / options.fps);
      options.onProgress?.(i + 1, range.count);
    }
    if (signal?.aborted) throw new ExportCancelled();
    await output.finalize();
  } catch (error) {
    if (output.state !== 'finalized' && output.state !== 'canceled') await output.cancel();
    throw error;
  }
  const bytes = (output.target as BufferTarget).buffer;
  if (!bytes) throw new ExportError('the encoder produced no file');
  return {
    blob: new Blob([bytes], { type: format === 'mp4' ? 'video/mp4' : 'video/webm' }),
    fileName: `${scene.name}.${format}`,
    width,
    height,
    fps: options.fps,
    frames: range.count,
  };
}

/** Offers the finished video to the reader as a download. */
export function saveSceneVideo(video: SceneVideo): void {
  saveFile(video);
}
