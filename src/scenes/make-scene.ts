// Turns a storyboard plus two functions — layout (once per size) and frame (per time) —
// into a Scene. Adds what every scene shares: the title, the caption of the current beat,
// and the caching of layout by size so a frame only reads precomputed positions.

import type { Ctx2D } from '../render/canvas.ts';
import type { Scene } from './contract.ts';
import type { ShownNumber, Spot } from '../render/frame.ts';
import type { Theme } from '../render/theme.ts';
import { Frame } from '../render/frame.ts';
import { renderFrame } from '../render/canvas.ts';
import { wrapPhrase } from '../render/text.ts';
import { phraseText, type DrawnText, type Part, type Phrase } from '../render/said.ts';
import type { Storyboard } from '../anim/timeline.ts';
import { label } from '../anim/label.ts';
import { baseSize, type Area } from '../anim/area.ts';
import { SPACE, TEXT } from '../anim/metrics.ts';

export interface SceneSpec<L> {
  name: string;
  title: string;
  /** What the scene is of, drawn above its content: which block (and head) it follows. */
  subtitle?: Phrase;
  story: Storyboard;
  layout(area: Area): L;
  frame(f: Frame, t: number, layout: L, area: Area): void;
}

/**
 * Where a scene of size w × h may draw its content: below the title and above the captions,
 * whose lines (wrapped to the width) are returned too. Room is kept for the longest caption,
 * so the content does not move from beat to beat.
 */
export function sceneArea(captionTexts: readonly Phrase[], w: number, h: number): { area: Area; captions: Part[][][] } {
  const size = baseSize(w, h);
  const pad = size * SPACE.pad;
  const capSize = size * TEXT.caption;
  const captions = captionTexts.map((text) => wrapPhrase(text, capSize, w - 2 * pad));
  const maxLines = Math.max(1, ...captions.map((c) => c.length));
  const top = pad + size * 1.6;
  const bottom = h - pad - maxLines * capSize * SPACE.captionLine - size * 0.4;
  const area: Area = { x: pad, y: top, w: w - 2 * pad, h: Math.max(40, bottom - top), size, portrait: h > w * 1.05 };
  return { area, captions };
}

interface Chrome<L> {
  key: string;
  area: Area;
  captions: Part[][][];
  layout: L;
}

export function makeScene<L>(spec: SceneSpec<L>): Scene {
  const { story } = spec;
  const duration = story.duration;
  let cached: Chrome<L> | null = null;

  const chromeFor = (w: number, h: number): Chrome<L> => {
    const key = `${w}x${h}`;
    if (cached && cached.key === key) return cached;
    const { area, captions } = sceneArea(story.beats.map((b) => b.caption), w, h);
    cached = { key, area, captions, layout: spec.layout(area) };
    return cached;
  };

  const frameAt = (time: number, w: number, h: number, recordSpots = true): Frame => {
    const t = Math.max(0, Math.min(duration, time));
    const c = chromeFor(w, h);
    const f = new Frame(w, h, recordSpots);
    const size = c.area.size;
    f.text(size * SPACE.pad, size * 1.3, spec.title, { size: size * TEXT.title, bold: true, paint: 'muted' });
    if (spec.subtitle) label(f, c.area.x + c.area.w / 2, c.area.y + size * 0.3, spec.subtitle, { size: size * TEXT.label, paint: 'muted', align: 'center' });
    spec.frame(f, t, c.layout, c.area);
    const i = story.beatIndexAt(t);
    const beat = story.beats[i];
    const fadeIn = i === 0 ? 1 : Math.min(1, (t - beat.start) / 0.35);
    const capSize = size * TEXT.caption;
    const lineH = capSize * SPACE.captionLine;
    const lines = c.captions[i] ?? [];
    const y0 = h - size * SPACE.pad - (lines.length - 0.5) * lineH;
    f.fade(fadeIn, () => lines.forEach((line, k) => label(f, w / 2, y0 + k * lineH, line, { size: capSize, align: 'center' })));
    return f;
  };

  return {
    name: spec.name,
    title: spec.title,
    durationSeconds: duration,
    draw(ctx: Ctx2D, time: number, w: number, h: number, theme: Theme): void {
      renderFrame(ctx, frameAt(time, w, h, false), theme);
    },
    numbersAt(time: number, w: number, h: number): ShownNumber[] {
      return frameAt(time, w, h).shown;
    },
    spotsAt(time: number, w: number, h: number): Spot[] {
      return frameAt(time, w, h).spots;
    },
    textAt(time: number, w: number, h: number): DrawnText[] {
      return frameAt(time, w, h).texts();
    },
    beats: story.beats.map((b) => ({ name: b.name, caption: phraseText(b.caption), startSeconds: b.start, endSeconds: b.end })),
  };
}
