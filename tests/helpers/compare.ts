// Comparing numbers with a reference: the largest difference between two arrays and where it is,
// so a failure says which number went wrong; and the four sizes the layout tests draw at.

/** Largest |ours − theirs| over `theirs`' length, and its index (NaN counts as infinitely far). */
export function largestDifference(ours: ArrayLike<number>, theirs: ArrayLike<number>): { diff: number; at: number } {
  let diff = 0;
  let at = -1;
  for (let i = 0; i < theirs.length; i++) {
    const d = Math.abs(ours[i] - theirs[i]);
    // NaN never compares greater, so catch it explicitly.
    if (!(d <= diff)) {
      diff = Number.isNaN(d) ? Infinity : d;
      at = i;
    }
  }
  return { diff, at };
}

/** The sizes scenes are checked at: two phones, a small landscape and a desktop, in CSS px. */
export const LAYOUT_SIZES = [
  [340, 510],
  [360, 640],
  [640, 360],
  [1280, 720],
] as const;
