// Draws a display list on any Canvas 2D context: a browser canvas or @napi-rs/canvas in Node.
// No DOM and no node: imports here, so the page and the video exporter share every pixel.

import type { Theme } from './theme.ts';
import type { Frame, Item } from './frame.ts';
import { MONO, SANS } from './text.ts';
import { resolvePaint } from './theme.ts';

/** The 2-D drawing calls we use: a browser CanvasRenderingContext2D, or @napi-rs/canvas in Node. */
export type Ctx2D = CanvasRenderingContext2D;

/** Paints the background and every item of the frame; the caller has set any DPR transform. */
export function renderFrame(ctx: Ctx2D, frame: Frame, theme: Theme): void {
  ctx.save();
  ctx.globalAlpha = 1;
  ctx.fillStyle = resolvePaint('bg', theme);
  ctx.fillRect(0, 0, frame.width, frame.height);
  ctx.textBaseline = 'middle';
  let font = '';
  for (const item of drawingOrder(frame.items)) {
    ctx.globalAlpha = item.alpha;
    if (item.kind === 'text') {
      const f = item.mono ? `${item.italic ? 'italic ' : ''}${item.bold ? 'bold ' : ''}${item.size.toFixed(1)}px ${MONO}` : fontOf(item.size, item.bold, item.italic);
      if (f !== font) {
        ctx.font = f;
        font = f;
      }
      ctx.textAlign = item.align;
      ctx.fillStyle = resolvePaint(item.paint, theme);
      ctx.fillText(item.text, item.x, item.y);
    } else if (item.kind === 'rich') {
      font = '';
      drawRich(ctx, item, theme);
    } else if (item.kind === 'rect') {
      drawRect(ctx, item, theme);
    } else if (item.kind === 'cells') {
      drawCells(ctx, item, theme);
    } else {
      drawPath(ctx, item, theme);
    }
  }
  ctx.restore();
}

/**
 * Shapes first in their own order, then plain text grouped by font, then rich labels.
 * Setting ctx.font is the costliest call here (a CSS parse each time), and text is never
 * meant to be hidden under a later shape, so grouping it changes no picture worth keeping.
 */
function drawingOrder(items: Item[]): Item[] {
  const shapes: Item[] = [];
  const texts = new Map<string, Item[]>();
  const rich: Item[] = [];
  for (const item of items) {
    if (item.kind === 'text') {
      const key = `${item.mono}${item.bold}${item.italic}${item.size}`;
      let list = texts.get(key);
      if (!list) texts.set(key, (list = []));
      list.push(item);
    } else if (item.kind === 'rich') rich.push(item);
    else shapes.push(item);
  }
  for (const list of texts.values()) shapes.push(...list);
  return shapes.concat(rich);
}

function fontOf(size: number, bold: boolean, italic: boolean): string {
  return `${italic ? 'italic ' : ''}${bold ? 'bold ' : ''}${size.toFixed(1)}px ${SANS}`;
}

function drawRich(ctx: Ctx2D, r: Extract<Item, { kind: 'rich' }>, theme: Theme): void {
  const widths = r.runs.map((run) => {
    ctx.font = fontOf(run.size, r.bold, r.italic);
    return ctx.measureText(run.text).width;
  });
  const total = widths.reduce((a, b) => a + b, 0);
  let x = r.align === 'center' ? r.x - total / 2 : r.align === 'right' ? r.x - total : r.x;
  ctx.textAlign = 'left';
  ctx.fillStyle = resolvePaint(r.paint, theme);
  r.runs.forEach((run, i) => {
    ctx.font = fontOf(run.size, r.bold, r.italic);
    ctx.fillText(run.text, x, r.y + run.dy);
    x += widths[i];
  });
}

function drawRect(ctx: Ctx2D, r: Extract<Item, { kind: 'rect' }>, theme: Theme): void {
  if (r.radius > 0) {
    ctx.beginPath();
    ctx.roundRect(r.x, r.y, r.w, r.h, Math.min(r.radius, r.w / 2, r.h / 2));
    if (r.fill) {
      ctx.fillStyle = resolvePaint(r.fill, theme);
      ctx.fill();
    }
    if (r.stroke) {
      ctx.lineWidth = r.lineWidth;
      ctx.strokeStyle = resolvePaint(r.stroke, theme);
      ctx.stroke();
    }
    return;
  }
  if (r.fill) {
    ctx.fillStyle = resolvePaint(r.fill, theme);
    ctx.fillRect(r.x, r.y, r.w, r.h);
  }
  if (r.stroke) {
    ctx.lineWidth = r.lineWidth;
    ctx.strokeStyle = resolvePaint(r.stroke, theme);
    ctx.strokeRect(r.x, r.y, r.w, r.h);
  }
}

function drawCells(ctx: Ctx2D, c: Extract<Item, { kind: 'cells' }>, theme: Theme): void {
  ctx.fillStyle = resolvePaint(c.fill, theme);
  for (let i = 0; i < c.rows; i++) {
    for (let j = 0; j < c.cols; j++) {
      const a = c.opacity[i * c.cols + j];
      if (a <= 0) continue;
      ctx.globalAlpha = c.alpha * Math.min(1, a);
      ctx.fillRect(c.x + j * c.cellW, c.y + i * c.cellH, c.cellW, c.cellH);
    }
  }
}

function drawPath(ctx: Ctx2D, p: Extract<Item, { kind: 'path' }>, theme: Theme): void {
  if (p.points.length < 4) return;
  ctx.beginPath();
  ctx.moveTo(p.points[0], p.points[1]);
  for (let i = 2; i < p.points.length; i += 2) ctx.lineTo(p.points[i], p.points[i + 1]);
  if (p.closed) ctx.closePath();
  if (p.fill) {
    ctx.fillStyle = resolvePaint(p.fill, theme);
    ctx.fill();
  }
  if (p.stroke) {
    ctx.setLineDash(p.dashed ? [5, 4] : []);
    ctx.lineWidth = p.lineWidth;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.strokeStyle = resolvePaint(p.stroke, theme);
    ctx.stroke();
    if (p.dashed) ctx.setLineDash([]);
  }
}
