// Output formats and the rules each imposes: which format a path asks for, H.264's even
// sides, GIF's timing in hundredths of a second, and the ffmpeg arguments that encode it.
// Pure functions, no I/O, so the rules are easy to test and to read in one place.

import { ExportError } from './errors.ts';

/** A video file, an animated GIF, or a folder of numbered PNG frames. */
export type ExportFormat = 'mp4' | 'webm' | 'gif' | 'png';

export const FORMATS: readonly ExportFormat[] = ['mp4', 'webm', 'gif', 'png'];

/** The format a --out path asks for: its extension, or a folder of PNG frames when it has none. */
export function formatOfPath(out: string): ExportFormat {
  const base = out.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
  if (out.endsWith('/') || out.endsWith('\\')) return 'png';
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return 'png';
  const ext = base.slice(dot + 1).toLowerCase();
  if (ext === 'mp4' || ext === 'webm' || ext === 'gif') return ext;
  throw new ExportError(
    `unknown output type ".${ext}" in "${out}": use a .mp4, .webm or .gif file, or a folder name (no extension) for PNG frames`,
  );
}

/** File extension for one scene's output inside a folder (`render --scene all`); '' for a PNG folder. */
export function extensionOf(format: ExportFormat): string {
  return format === 'png' ? '' : `.${format}`;
}

export interface Size {
  width: number;
  height: number;
}

/** Parses "1280x720" (or "1280×720"). */
export function parseSize(text: string): Size {
  const m = /^\s*(\d+)\s*[x×X]\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ExportError(`size must look like 1280x720, got "${text}"`);
  const size = { width: Number(m[1]), height: Number(m[2]) };
  if (size.width < 16 || size.height < 16 || size.width > 7680 || size.height > 4320) {
    throw new ExportError(`size must be between 16x16 and 7680x4320, got "${text}"`);
  }
  return size;
}

/**
 * H.264 and VP9 with 4:2:0 colour need even sides; returns the size rounded up to even
 * and a note saying so when it changed (null when it did not).
 */
export function fitSize(format: ExportFormat, size: Size): { size: Size; note: string | null } {
  if (format !== 'mp4' && format !== 'webm') return { size, note: null };
  const even = { width: size.width + (size.width % 2), height: size.height + (size.height % 2) };
  if (even.width === size.width && even.height === size.height) return { size, note: null };
  const codec = format === 'mp4' ? 'H.264' : 'VP9';
  return {
    size: even,
    note: `${codec} needs even sides: using ${even.width}x${even.height} instead of ${size.width}x${size.height}`,
  };
}

/** Frame rates a GIF can show exactly: each frame lasts a whole number of hundredths of a second. */
const GIF_RATES = [1, 2, 4, 5, 10, 20, 25, 50];

/** The frame rate to use for a format, with a note when it had to change (GIFs only). */
export function fitFrameRate(format: ExportFormat, fps: number): { fps: number; note: string | null } {
  if (format !== 'gif' || GIF_RATES.includes(fps)) return { fps, note: null };
  let best = GIF_RATES[0];
  for (const r of GIF_RATES) if (Math.abs(r - fps) < Math.abs(best - fps)) best = r;
  return { fps: best, note: `GIF frames last whole hundredths of a second: using ${best} fps instead of ${fps}` };
}

/** Frames per second used when the user gives none. */
export function defaultFrameRate(format: ExportFormat): number {
  return format === 'gif' ? 25 : 30;
}

/** How the frames sent to ffmpeg map onto the clip's frames (see held-frames.ts). */
export interface EncodeTiming {
  fps: number;
  /** setpts expression putting each frame sent at its place; null when every frame is sent. */
  setpts: string | null;
  /**
   * True: ffmpeg repeats held frames, so the file has every frame at a constant rate (what
   * video editors expect). False: a held frame is stored once and lasts longer (smaller and
   * faster; players are fine with it). GIFs always repeat them.
   */
  constantFrameRate: boolean;
}

/**
 * ffmpeg arguments after the input, for one format, writing to `outPath`.
 * MP4: H.264 at CRF 18 keeps the anti-aliased edges of small digits clean. The "ultrafast"
 * preset keeps the same quantiser but skips the slower analysis: on these flat synthetic
 * frames files come out about twice as large as with "superfast" (still about 1 MB for 10 s
 * of 1080p60) for a quarter less encoder time, which 1080p60 export on two cores needs.
 * Colour is converted with the BT.709 matrix and tagged so players show the page's colours. WebM: VP9 at constant quality, realtime speed settings for the same reason.
 * GIF: `palettePath` holds a palette made from sample frames (see gifPaletteArgs).
 */
export function encodeArgs(format: Exclude<ExportFormat, 'png'>, outPath: string, timing: EncodeTiming, palettePath?: string): string[] {
  const place = timing.setpts ? `setpts=${timing.setpts},` : '';
  const rate = timing.constantFrameRate || format === 'gif' ? ['-fps_mode', 'cfr', '-r', String(timing.fps)] : ['-fps_mode', 'vfr'];
  const bt709 = ['-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv'];
  const toYuv = ['-vf', `${place}scale=out_color_matrix=bt709:out_range=tv,format=yuv420p`];
  if (format === 'mp4') {
    return [
      ...toYuv, ...rate,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18',
      ...bt709, '-movflags', '+faststart', '-f', 'mp4', outPath,
    ];
  }
  if (format === 'webm') {
    return [
      ...toYuv, ...rate,
      '-c:v', 'libvpx-vp9', '-crf', '24', '-b:v', '0', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1',
      ...bt709, '-f', 'webm', outPath,
    ];
  }
  if (!palettePath) throw new Error('a GIF needs a palette');
  return [
    '-i', palettePath,
    '-lavfi', `[0:v]${place}null[v];[v][1:v]paletteuse=dither=none:diff_mode=rectangle`,
    ...rate, '-loop', '0', '-f', 'gif', outPath,
  ];
}

/** ffmpeg arguments after the input that make a 256-colour palette image from the frames piped in. */
export function gifPaletteArgs(palettePath: string): string[] {
  return ['-vf', 'palettegen=stats_mode=full', '-frames:v', '1', '-update', '1', '-f', 'image2', palettePath];
}
