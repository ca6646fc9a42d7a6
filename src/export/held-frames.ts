// Held frames are sent to ffmpeg once. Scenes hold still between beats (about half of their
// frames repeat the one before), so the exporter sends only frames that changed and gives
// ffmpeg timestamps that put each one back at its place; ffmpeg then repeats a held frame
// itself (constant frame rate) or stores it once with a longer duration (variable).

/** Timestamp terms beyond this many gaps are not worth a longer expression; such frames are sent. */
const MAX_GAPS = 400;

export interface SendPlan {
  /** Frame indices (counted from the scene's start) to draw and send, in order. */
  indices: number[];
  /**
   * ffmpeg setpts expression giving the k-th frame sent its place in the clip, in frames;
   * null when every frame is sent. N is ffmpeg's count of frames received.
   */
  setpts: string | null;
}

/**
 * `changed[k]` says whether frame first + k differs from the frame before it. The first and
 * last frames are always sent, so the clip starts and ends where the scene does.
 */
export function planHeldFrames(changed: readonly boolean[], first: number, fps: number): SendPlan {
  const indices: number[] = [];
  const terms: string[] = [];
  let gap = 0;
  changed.forEach((isNew, k) => {
    const last = k === changed.length - 1;
    if (k > 0 && !isNew && !last && terms.length < MAX_GAPS) {
      gap++;
      return;
    }
    // From the `indices.length`-th frame sent on, everything sits `gap` frames later.
    if (gap > 0) terms.push(`${gap}*gte(N\\,${indices.length})`);
    gap = 0;
    indices.push(first + k);
  });
  const setpts = terms.length === 0 ? null : `(N+${terms.join('+')})/(${fps}*TB)`;
  return { indices, setpts };
}
