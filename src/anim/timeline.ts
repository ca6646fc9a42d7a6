// The storyboard: a scene is written as beats of play / wait, like a Manim construct(), and
// compiles to fixed tracks (start, end, easing). A frame at time t asks each track for its
// progress at t directly; nothing accumulates, so seeking either way is instant.

import { clamp01, smooth, type Easing } from './easing.ts';
import type { Phrase } from '../render/said.ts';

/** One animation's slot on the timeline. */
export class Track {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly ease: Easing,
  ) {}

  /** Eased progress in [0, 1] at time t (0 before the start, 1 after the end). */
  at(t: number): number {
    if (t <= this.start) return 0;
    if (t >= this.end || this.end <= this.start) return 1;
    return this.ease((t - this.start) / (this.end - this.start));
  }

  /** Whether t lies within [start, end). */
  active(t: number): boolean {
    return t >= this.start && t < this.end;
  }

  /** Which of n equal parts of this track's (eased) progress t is in: −1 before it starts, n − 1 from its end on. */
  part(t: number, n: number): number {
    const p = this.at(t);
    return p <= 0 ? -1 : Math.min(n - 1, Math.floor(p * n));
  }
}

/** Which of several stages is on at t: the last whose track has started (the first before any has). */
export function stageAt(t: number, starts: readonly Track[]): number {
  let stage = 0;
  starts.forEach((track, i) => {
    if (t >= track.start) stage = i;
  });
  return stage;
}

/** A named stretch of the scene with the caption shown during it (numbers in it declared: said.ts). */
export interface Beat {
  name: string;
  caption: Phrase;
  start: number;
  end: number;
}

/**
 * Staggered progress of item i of n inside one animation at progress p, with Manim's
 * lag_ratio: each item runs for a share L = 1 / (1 + (n − 1)·lag) of the time, and item i
 * starts at i·lag·L. The whole still takes exactly the animation's duration.
 */
export function stagger(p: number, i: number, n: number, lagRatio: number): number {
  if (n <= 1 || p >= 1 || p <= 0) return clamp01(p);
  // (p − start_i) / L with start_i = i·lag·L, written without dividing by L.
  return clamp01(p * (1 + (n - 1) * lagRatio) - i * lagRatio);
}

export class Storyboard {
  readonly beats: Beat[] = [];
  private cursor = 0;
  private lastStart = 0;

  /** Starts a new beat at the current time; the previous beat ends here. */
  beat(name: string, caption: Phrase): this {
    const prev = this.beats[this.beats.length - 1];
    if (prev) prev.end = this.cursor;
    this.beats.push({ name, caption, start: this.cursor, end: this.cursor });
    return this;
  }

  /** An animation of the given length starting now; the clock moves to its end. */
  play(seconds: number, ease: Easing = smooth): Track {
    const track = new Track(this.cursor, this.cursor + seconds, ease);
    this.lastStart = this.cursor;
    this.cursor += seconds;
    this.closeBeat();
    return track;
  }

  /** An animation starting with the previous play (offset by delay); the clock moves to the later end. */
  alongside(seconds: number, delay = 0, ease: Easing = smooth): Track {
    const track = new Track(this.lastStart + delay, this.lastStart + delay + seconds, ease);
    this.cursor = Math.max(this.cursor, track.end);
    this.closeBeat();
    return track;
  }

  /** Holds still so the reader can look. */
  wait(seconds: number): this {
    this.cursor += seconds;
    this.closeBeat();
    return this;
  }

  get duration(): number {
    return this.cursor;
  }

  /** The beat at time t (the last one at or after the end). */
  beatAt(t: number): Beat {
    return this.beats[this.beatIndexAt(t)];
  }

  /** The index of the beat at time t (the last one at or after the end). */
  beatIndexAt(t: number): number {
    const i = this.beats.findIndex((b) => t < b.end);
    return i < 0 ? this.beats.length - 1 : i;
  }

  private closeBeat(): void {
    const b = this.beats[this.beats.length - 1];
    if (b) b.end = this.cursor;
  }
}
