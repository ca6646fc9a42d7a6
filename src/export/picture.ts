// One frame of a scene as a picture for a paper or a slide: a vector SVG (numbers and captions
// as real text, through svgcanvas) or a PNG, both drawn by the page's own scene code.

import { createCanvas } from '@napi-rs/canvas';
import { writeFile } from 'node:fs/promises';
import type { Ctx2D } from '../render/canvas.ts';
import type { Scene } from '../scenes/contract.ts';
import type { Theme } from '../render/theme.ts';
import { drawToSvg } from '../render/svg.ts';
import { FrameCanvas } from './canvas-frames.ts';
import { ExportError } from './errors.ts';
import { prepareOutput } from './output.ts';
import { withSvgDom } from './svg-dom.ts';

export type PictureFormat = 'svg' | 'png';

/** 'svg' or 'png' when `out` names a picture file, else null (a video, a GIF or a folder). */
export function pictureFormatOf(out: string): PictureFormat | null {
  const m = /\.(svg|png)$/i.exec(out);
  return m ? (m[1].toLowerCase() as PictureFormat) : null;
}

export interface PictureOptions {
  out: string;
  width: number;
  height: number;
  theme: Theme;
  /** The moment to draw, in seconds from the scene's start. */
  atSeconds: number;
}

/** The frame at `atSeconds` as an SVG document's text. */
export function sceneSvg(scene: Scene, atSeconds: number, width: number, height: number, theme: Theme): string {
  // Widths for rich labels come from @napi-rs/canvas, which has the same fonts as the PNG export.
  const measure = createCanvas(1, 1).getContext('2d') as unknown as Ctx2D;
  return withSvgDom(() => drawToSvg(width, height, (ctx) => scene.draw(ctx, atSeconds, width, height, theme), measure));
}

/** The frame at `atSeconds` as PNG bytes. */
export async function scenePng(scene: Scene, atSeconds: number, width: number, height: number, theme: Theme): Promise<Uint8Array> {
  const frames = new FrameCanvas(scene, width, height, theme);
  frames.drawAt(atSeconds);
  return frames.png();
}

/** Writes one frame to options.out (.svg or .png); the file appears only when complete. */
export async function exportPicture(scene: Scene, options: PictureOptions): Promise<{ out: string; format: PictureFormat; bytes: number }> {
  const format = pictureFormatOf(options.out);
  if (!format) throw new ExportError(`a picture is a .svg or .png file, got "${options.out}"`);
  if (!(options.atSeconds >= 0 && options.atSeconds <= scene.durationSeconds)) {
    throw new ExportError(`--at ${options.atSeconds} is outside the scene "${scene.name}", which lasts ${scene.durationSeconds.toFixed(1)} s`);
  }
  const { width, height, theme, atSeconds } = options;
  const output = await prepareOutput(options.out, 'file');
  try {
    const bytes: Uint8Array = format === 'svg' ? new TextEncoder().encode(sceneSvg(scene, atSeconds, width, height, theme)) : await scenePng(scene, atSeconds, width, height, theme);
    await writeFile(output.tempPath, bytes);
    await output.commit();
    return { out: options.out, format, bytes: bytes.length };
  } catch (error) {
    await output.discard();
    throw error;
  }
}
