// Placing several boxes (matrix views, operators) in a row when they fit, or in a column
// when they do not (phones), centred in the area either way.

import type { Area } from './area.ts';
import { MatrixView } from './matrix.ts';

export interface Placeable {
  width: number;
  height: number;
  at(x: number, y: number): unknown;
}

/** A fixed-size box, e.g. for a "+" or "=" between matrices. */
export class Spacer implements Placeable {
  x = 0;
  y = 0;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {}
  at(x: number, y: number): this {
    this.x = x;
    this.y = y;
    return this;
  }
  get cx(): number {
    return this.x + this.width / 2;
  }
  get cy(): number {
    return this.y + this.height / 2;
  }
}

/**
 * Row when the items fit the area's width (aligned on their vertical centres, or on
 * alignY(item) when given), else a column. Returns which one it chose.
 */
function arrange(
  items: Placeable[],
  area: Pick<Area, 'x' | 'y' | 'w' | 'h'>,
  gap: number,
  alignY?: (item: Placeable) => number,
  force?: 'row' | 'column',
): 'row' | 'column' {
  const totalW = rowWidth(items, gap);
  if (force === 'row' || (force === undefined && totalW <= area.w)) {
    const anchor = Math.max(...items.map((i) => (alignY ? alignY(i) : i.height / 2)));
    const below = Math.max(...items.map((i) => i.height - (alignY ? alignY(i) : i.height / 2)));
    const top = area.y + Math.max(0, (area.h - anchor - below) / 2);
    let x = area.x + (area.w - totalW) / 2;
    for (const item of items) {
      item.at(x, top + anchor - (alignY ? alignY(item) : item.height / 2));
      x += item.width + gap;
    }
    return 'row';
  }
  const totalH = items.reduce((a, b) => a + b.height, 0) + gap * 0.3 * (items.length - 1);
  let y = area.y + Math.max(0, (area.h - totalH) / 2);
  for (const item of items) {
    item.at(area.x + Math.max(0, (area.w - item.width) / 2), y);
    y += item.height + gap * 0.3;
  }
  return 'column';
}

function rowWidth(items: Placeable[], gap: number): number {
  return items.reduce((a, b) => a + b.width, 0) + gap * (items.length - 1);
}

/**
 * Builds the items for a row (stacked = false) and places them so when they fit the area,
 * trying narrower widths (widthFactor < 1: fewer visible columns) before giving up;
 * otherwise (always on portrait areas) builds them again for a column and stacks them.
 * The builder sizes things (rows that fit, widths) for the arrangement it is asked for.
 */
export function arrangeBest<T extends Placeable[]>(
  area: Area,
  gap: number,
  alignY: ((item: Placeable) => number) | undefined,
  build: (stacked: boolean, widthFactor: number) => T,
): { items: T; mode: 'row' | 'column' } {
  if (!area.portrait) {
    for (const factor of [1, 0.85, 0.7, 0.55]) {
      const items = build(false, factor);
      if (rowWidth(items, gap) <= area.w) return { items, mode: arrange(items, area, gap, alignY, 'row') };
    }
  }
  const items = build(true, 1);
  return { items, mode: arrange(items, area, gap, alignY, 'column') };
}

/** Aligns matrix views on the middle of their grids, and other boxes on their middle. */
export function gridMiddle(item: Placeable): number {
  return item instanceof MatrixView ? item.headerH + item.colLabelH + item.gridH / 2 : item.height / 2;
}
