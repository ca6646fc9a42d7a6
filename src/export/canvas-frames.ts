// Draws a scene's frames in Node with @napi-rs/canvas, through the same Scene.draw the page
// calls, and hands them out as raw RGBA (for ffmpeg) or PNG bytes.
// Text uses the "system" renderer, which rasterises glyphs the way Chromium does on Linux,
// so an exported frame matches the page's pixels, not just its layout.

import { createCanvas, setTextRenderer, type Canvas } from '@napi-rs/canvas';
import type { Ctx2D, Scene, Theme } from '../scenes/contract.ts';
import { frameTime } from './timing.ts';

let rendererSet = false;

/** One off-screen canvas of the export's size that a scene draws into, frame by frame. */
export class FrameCanvas {
  readonly canvas: Canvas;
  private readonly ctx: Ctx2D;

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
  }

  /** Draws frame `index` (counted from the scene's start) at `fps`. */
  draw(index: number, fps: number): void {
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.clearRect(0, 0, this.width, this.height);
    this.scene.draw(this.ctx, frameTime(index, fps), this.width, this.height, this.theme);
  }

  /** The pixels drawn last: width × height × 4 bytes, RGBA, a fresh copy each call. */
  rgba(): Buffer {
    return this.canvas.data();
  }

  /** The pixels drawn last as a PNG file's bytes (encoded off the main thread). */
  png(): Promise<Buffer> {
    return this.canvas.encode('png');
  }
}
