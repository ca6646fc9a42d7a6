// Annotation marks: braces that state a shape ("C = 768"), arrows, and highlight boxes.

import type { Frame } from '../render/frame.ts';
import type { Paint } from '../render/theme.ts';
import { label } from './label.ts';
import type { Phrase } from '../render/said.ts';

function quad(out: number[], x0: number, y0: number, cx: number, cy: number, x1: number, y1: number): void {
  for (let i = 1; i <= 6; i++) {
    const u = i / 6;
    const a = (1 - u) * (1 - u);
    const b = 2 * (1 - u) * u;
    const c = u * u;
    out.push(a * x0 + b * cx + c * x1, a * y0 + b * cy + c * y1);
  }
}

/**
 * A curly brace along a span, with its text beyond the tip. side "below" spans x0…x1 at y
 * with the tip pointing down; "right" spans y0…y1 at x with the tip pointing right.
 */
export function brace(
  f: Frame,
  side: 'below' | 'right' | 'above' | 'left',
  a0: number,
  a1: number,
  at: number,
  text: Phrase,
  o: { size: number; paint?: Paint; progress?: number },
): void {
  const p = o.progress ?? 1;
  if (p <= 0) return;
  const paint = o.paint ?? 'muted';
  const d = Math.min(o.size * 0.45, Math.abs(a1 - a0) / 4); // depth of the curl
  const sign = side === 'below' || side === 'right' ? 1 : -1;
  const m = (a0 + a1) / 2;
  const half = ((a1 - a0) / 2) * p;
  const s0 = m - half;
  const s1 = m + half;
  // Points along the span axis (u) and across it (v), mapped to x/y by side.
  const uv: number[] = [s0, at];
  quad(uv, s0, at, s0, at + sign * d, s0 + d, at + sign * d);
  uv.push(m - d, at + sign * d);
  quad(uv, m - d, at + sign * d, m, at + sign * d, m, at + sign * 2 * d);
  quad(uv, m, at + sign * 2 * d, m, at + sign * d, m + d, at + sign * d);
  uv.push(s1 - d, at + sign * d);
  quad(uv, s1 - d, at + sign * d, s1, at + sign * d, s1, at);
  const horizontal = side === 'below' || side === 'above';
  const pts: number[] = [];
  for (let i = 0; i < uv.length; i += 2) {
    if (horizontal) pts.push(uv[i], uv[i + 1]);
    else pts.push(uv[i + 1], uv[i]);
  }
  f.path(pts, { stroke: paint, lineWidth: 1.4 });
  f.fade(p, () => {
    const gap = 2 * d + o.size * 0.75;
    if (side === 'below') label(f, m, at + gap, text, { size: o.size, paint, align: 'center' });
    else if (side === 'above') label(f, m, at - gap, text, { size: o.size, paint, align: 'center' });
    else if (side === 'right') label(f, at + 2 * d + o.size * 0.4, m, text, { size: o.size, paint, align: 'left' });
    else label(f, at - 2 * d - o.size * 0.4, m, text, { size: o.size, paint, align: 'right' });
  });
}

/** A straight arrow from (x0, y0) towards (x1, y1), drawn up to progress p. */
export function arrow(
  f: Frame,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  o: { paint?: Paint; progress?: number; lineWidth?: number; head?: number; dashed?: boolean } = {},
): void {
  const p = o.progress ?? 1;
  if (p <= 0) return;
  const paint = o.paint ?? 'muted';
  const ex = x0 + (x1 - x0) * p;
  const ey = y0 + (y1 - y0) * p;
  f.path([x0, y0, ex, ey], { stroke: paint, lineWidth: o.lineWidth ?? 1.6, dashed: o.dashed });
  const len = Math.hypot(ex - x0, ey - y0);
  if (len < 1) return;
  const ux = (ex - x0) / len;
  const uy = (ey - y0) / len;
  const hs = Math.min(o.head ?? 8, len / 2);
  f.path([ex - ux * hs - uy * hs * 0.55, ey - uy * hs + ux * hs * 0.55, ex, ey, ex - ux * hs + uy * hs * 0.55, ey - uy * hs - ux * hs * 0.55], {
    stroke: paint,
    fill: paint,
    lineWidth: o.lineWidth ?? 1.6,
    closed: true,
  });
}

