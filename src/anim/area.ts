// The part of a frame a scene's content may use, and the base font size every length there is
// measured in, so shapes can lay themselves out without knowing about scenes.

/** The drawing area left for a scene's content, and the base font size for this size. */
export interface Area {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Base font size in px (about 19 at 1280 × 720, at least 11 on a phone). */
  size: number;
  /** True when the area is taller than wide: stack things instead of setting them side by side. */
  portrait: boolean;
}

export function baseSize(width: number, height: number): number {
  return Math.max(11, Math.min(26, Math.min(width / 66, height / 37)));
}

