// Draws a scene's frames in Node with @napi-rs/canvas, through the same Scene.draw the page
// calls, and hands them out as raw RGBA (for ffmpeg) or PNG bytes.
// Text uses the "system" renderer, which rasterises glyphs the way Chromium does on Linux,
// so an exported frame matches the page's pixels, not just its layout. A frame whose drawing
// calls equal the previous frame's is not drawn again: its pixels are reused.

import { createCanvas, setTextRenderer, type Canvas } from '@napi-rs/canvas';
import type { Ctx2D } from '../render/canvas.ts';
import type { Scene } from '../scenes/contract.ts';
import type { Theme } from '../render/theme.ts';
import { DrawRecorder, replay } from './draw-recorder.ts';
import { frameTime } from './timing.ts';

let rendererSet = false;

/** One off-screen canvas of the export's size that a scene draws into, frame by frame. */
export class FrameCanvas {
  readonly canvas: Canvas;
  private readonly ctx: Ctx2D;
  private readonly recorder: DrawRecorder;
  private lastKey: string | null = null;
  private pixels: Buffer | null = null;
  private pngBytes: Promise<Buffer> | null = null;
  /** Frames drawn, and frames found equal to the one before and so reused. */
  readonly counts = { drawn: 0, reused: 0 };

  constructor(
    private readonly scene: Scene,
    readonly width: number,
    readonly height: number,
    private readonly theme: Theme,
  ) {
    if (!rendererSet) {
      setTextRenderer('system'); // process-wide; must precede the first canvas
      rendererSet = true;
    }
    this.canvas = createCanvas(width, height);
    // The two contexts implement the same Canvas 2D calls; the scene code uses only those.
    this.ctx = this.canvas.getContext('2d') as unknown as Ctx2D;
    this.recorder = new DrawRecorder(createCanvas(1, 1).getContext('2d') as unknown as Ctx2D);
  }

  /**
   * Makes frame `index` (counted from the scene's start, at `fps`) current. Returns false when
   * it is identical to the frame made current before it, whose pixels then stand for it.
   */
  draw(index: number, fps: number): boolean {
    return this.drawAt(frameTime(index, fps));
  }

  /** Makes the frame at `t` seconds current; false when identical to the frame current before. */
  drawAt(t: number): boolean {
    const recording = this.recorder.record((ctx) => this.scene.draw(ctx, t, this.width, this.height, this.theme));
    if (recording.key !== null && recording.key === this.lastKey) {
      this.counts.reused++;
      return false;
    }
    this.lastKey = recording.key;
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.clearRect(0, 0, this.width, this.height);
    replay(recording, this.ctx);
    this.pixels = null;
    this.pngBytes = null;
    this.counts.drawn++;
    return true;
  }

  /**
   * Draws frame `index` straight onto the canvas, without comparing it to the frame before:
   * for callers that already know it changed (see changes()).
   */
  drawChanged(index: number, fps: number): void {
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.clearRect(0, 0, this.width, this.height);
    this.scene.draw(this.ctx, frameTime(index, fps), this.width, this.height, this.theme);
    this.lastKey = null;
    this.pixels = null;
    this.pngBytes = null;
    this.counts.drawn++;
  }

  /**
   * For frames first … first + count − 1: whether each one's drawing differs from the frame
   * before it (the first always counts as changed). Records the drawing calls only; nothing
   * is rasterised, so this costs a small part of drawing the frames.
   */
  changes(first: number, count: number, fps: number): boolean[] {
    const changed: boolean[] = [];
    let previous: string | null = null;
    for (let k = 0; k < count; k++) {
      const t = frameTime(first + k, fps);
      const { key } = this.recorder.record((ctx) => this.scene.draw(ctx, t, this.width, this.height, this.theme));
      changed.push(k === 0 || key === null || key !== previous);
      previous = key;
    }
    return changed;
  }

  /** The current frame's pixels: width × height × 4 bytes, RGBA; not to be modified. */
  rgba(): Buffer {
    this.pixels ??= this.canvas.data();
    return this.pixels;
  }

  /** The current frame as a PNG file's bytes (encoded off the main thread). */
  png(): Promise<Buffer> {
    this.pngBytes ??= this.canvas.encode('png');
    return this.pngBytes;
  }
}
