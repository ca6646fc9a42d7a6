// "Download picture" on the page: the frame the player shows, as a vector SVG (numbers and
// captions as text), drawn by the same Scene.draw as the player on svgcanvas's SVG context.
// Imported only when the reader presses the button.

import type { Scene } from '../scenes/contract.ts';
import type { Theme } from '../render/theme.ts';
import { drawToSvg } from '../render/svg.ts';

export interface ScenePicture {
  blob: Blob;
  /** e.g. "qkv-4.50s.svg" */
  fileName: string;
}

/** The frame at `t` seconds, laid out for width × height, as an SVG file. */
export function scenePicture(scene: Scene, t: number, width: number, height: number, theme: Theme): ScenePicture {
  const measure = document.createElement('canvas').getContext('2d');
  if (!measure) throw new Error('this browser has no Canvas 2D context to measure text with');
  const svg = drawToSvg(width, height, (ctx) => scene.draw(ctx, t, width, height, theme), measure);
  return { blob: new Blob([svg], { type: 'image/svg+xml' }), fileName: `${scene.name}-${t.toFixed(2)}s.svg` };
}
