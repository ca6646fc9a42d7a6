// Which frames an export holds and when each is drawn. Frame i is the scene at time i / fps,
// the same clock the page's player uses, so frame N of an export is frame N of the page.
// A clip of D seconds at F fps has round(D·F) frames and so lasts D seconds to within a frame.

import { ExportError } from './errors.ts';

export interface FrameRange {
  /** Index of the first frame (its time is first / fps). */
  first: number;
  /** Number of frames. */
  count: number;
  fps: number;
}

/** The frames of a scene of `durationSeconds`, optionally only those from `fromSeconds` up to `toSeconds`. */
export function frameRange(durationSeconds: number, fps: number, fromSeconds?: number, toSeconds?: number): FrameRange {
  const total = Math.max(1, Math.round(durationSeconds * fps));
  const from = fromSeconds ?? 0;
  const to = toSeconds ?? durationSeconds;
  if (from < 0 || from >= durationSeconds) {
    throw new ExportError(`--from must be at least 0 and less than the scene's ${durationSeconds.toFixed(2)} s, got ${from}`);
  }
  if (to <= from) throw new ExportError(`--to (${to}) must be later than --from (${from})`);
  const first = Math.min(total - 1, Math.round(from * fps));
  const end = Math.min(total, Math.max(first + 1, Math.round(to * fps)));
  return { first, count: end - first, fps };
}

/** Time in seconds at which frame `index` (counted from the scene's start) is drawn. */
export function frameTime(index: number, fps: number): number {
  return index / fps;
}

/** The indices of at most `max` frames spread evenly over a range (for a GIF palette). */
export function sampleFrames(range: FrameRange, max: number): number[] {
  const n = Math.min(range.count, max);
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(range.first + Math.floor(((k + 0.5) * range.count) / n));
  return out;
}
