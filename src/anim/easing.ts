// Rate functions: each maps progress in [0, 1] to [0, 1], as Manim's rate functions do.

export type Easing = (p: number) => number;

export const clamp01 = (p: number): number => (p <= 0 ? 0 : p >= 1 ? 1 : p);

/**
 * Progress through the stretch [from, to] of a progress p: 0 before it, 1 after it. A track
 * that does two things in turn fades one in within(p, 0, 0.5) and the next within(p, 0.5, 1).
 */
export const within = (p: number, from: number, to: number): number => clamp01((p - from) / (to - from));

/** Slow in, slow out (cubic); the default for most moves. */
export const smooth: Easing = (p) => {
  const x = clamp01(p);
  return x < 0.5 ? 4 * x * x * x : 1 - (-2 * x + 2) ** 3 / 2;
};

/** Fast start, gentle landing. */
export const easeOut: Easing = (p) => 1 - (1 - clamp01(p)) ** 3;

/** Goes 0 → 1 → 0: for a pulse that comes and goes within one track. */
export const thereAndBack: Easing = (p) => smooth(clamp01(p) < 0.5 ? 2 * clamp01(p) : 2 - 2 * clamp01(p));

/** Linear interpolation. */
export const lerp = (a: number, b: number, p: number): number => a + (b - a) * p;
