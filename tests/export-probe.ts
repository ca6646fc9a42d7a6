// Test helpers for exported files: what ffprobe says about a video, a decoded frame's pixels,
// a GIF's loop count, and how far apart two RGBA images are.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Probe {
  codec: string;
  width: number;
  height: number;
  /** r_frame_rate as a number (e.g. 10 for "10/1"). */
  fps: number;
  pixFmt: string;
  /** Container duration in seconds. */
  durationSeconds: number;
  /** Frames counted by decoding the whole stream. */
  frames: number;
}

const ratio = (text: string) => {
  const [a, b] = text.split('/').map(Number);
  return b ? a / b : a;
};

export function probe(path: string): Probe {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries',
      'stream=codec_name,width,height,r_frame_rate,pix_fmt,nb_read_frames:format=duration', '-of', 'json', path],
    { encoding: 'utf8' },
  );
  const json = JSON.parse(out) as { streams: Record<string, string | number>[]; format: { duration: string } };
  const s = json.streams[0];
  return {
    codec: String(s.codec_name),
    width: Number(s.width),
    height: Number(s.height),
    fps: ratio(String(s.r_frame_rate)),
    pixFmt: String(s.pix_fmt),
    durationSeconds: Number(json.format.duration),
    frames: Number(s.nb_read_frames),
  };
}

/** Frame `index` of a video decoded to RGBA (width × height × 4 bytes). */
export function decodeFrame(path: string, index: number, width: number, height: number): Buffer {
  const raw = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-i', path, '-vf', `select=eq(n\\,${index})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'],
    { maxBuffer: 1 << 28 },
  );
  if (raw.length !== width * height * 4) throw new Error(`frame ${index} of ${path}: got ${raw.length} bytes`);
  return raw;
}

/**
 * The loop count in a GIF's NETSCAPE2.0 application extension (0 = forever), or null when the
 * file has none and so plays once.
 */
export function gifLoopCount(path: string): number | null {
  const bytes = readFileSync(path);
  const at = bytes.indexOf('NETSCAPE2.0', 0, 'latin1');
  if (at < 0) return null;
  // "NETSCAPE2.0", then a sub-block: size 3, id 1, loop count as 16-bit little-endian.
  const sub = at + 11;
  if (bytes[sub] !== 3 || bytes[sub + 1] !== 1) return null;
  return bytes.readUInt16LE(sub + 2);
}

/** Mean absolute difference per colour channel (alpha ignored), 0–255. */
export function meanDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`images differ in size: ${a.length} and ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i += 4) {
    sum += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
  }
  return sum / ((a.length / 4) * 3);
}

/** Share of pixels whose largest channel difference exceeds `tolerance`. */
export function differingPixels(a: Uint8Array, b: Uint8Array, tolerance: number): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 4) {
    const d = Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
    if (d > tolerance) n++;
  }
  return n / (a.length / 4);
}
