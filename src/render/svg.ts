// One frame as an SVG document: the same drawing calls as on a canvas, made on svgcanvas's
// Canvas 2D context, which turns each into an SVG element. Text stays text (<text> with its
// font), so a figure's numbers and captions can be selected, searched and edited.
// svgcanvas needs a DOM (document, XMLSerializer, DOMMatrix, DOMPoint): the browser's, or in Node the
// small one in src/export/svg-dom.ts.

import { Context } from 'svgcanvas';
import type { Ctx2D } from './canvas.ts';

/**
 * Runs `draw` on a width × height SVG context and returns the SVG file's text. `measure` is a
 * real canvas context of the same fonts: rich labels place their runs by measured widths.
 */
export function drawToSvg(width: number, height: number, draw: (ctx: Ctx2D) => void, measure: Ctx2D): string {
  const ctx = new Context({ width, height, ctx: measure });
  draw(ctx as unknown as Ctx2D);
  const svg = ctx.getSerializedSvg(true);
  // A viewBox lets the figure scale in a paper or on a slide instead of being cropped; spaces
  // are kept because a rich label's runs (" = Q", "0") are placed side by side by their widths.
  const root = `<svg viewBox="0 0 ${width} ${height}" xml:space="preserve" `;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svg.replace('<svg ', root)}\n`;
}
