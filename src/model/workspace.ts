// Arrays an untraced forward pass reuses from one pass to the next. A traced pass hands every
// intermediate back in the trace, so each must be a fresh array; a pass that hands back only
// its logits need not allocate its intermediates afresh each time, and fresh memory is dear in a
// browser (a Web Worker gets new pages for it: about 4 ms per MB, bench/forward-chromium.ts).

/**
 * Two lists of arrays, one per parity of the block being computed: a block takes its arrays
 * from its list in order, starting from the first, so it reuses what the block before the last
 * used, while the last block's arrays (among them its output, this block's input) stay intact.
 */
export class Workspace {
  private readonly lists: Float32Array[][] = [[], []];
  private current = 0;
  private taken = 0;

  /** Moves to the other list, from its first array: call before each block and before the steps after the last. */
  nextBlock(): void {
    this.current ^= 1;
    this.taken = 0;
  }

  /** Starts a pass: the first list, from its first array. */
  startPass(): void {
    this.current = 0;
    this.taken = 0;
  }

  /** The next array of the current list, n long (its contents are whatever the last pass left). */
  take(n: number): Float32Array {
    const list = this.lists[this.current];
    let array = list[this.taken];
    if (!array || array.length < n) array = list[this.taken] = new Float32Array(n);
    this.taken++;
    return array.length === n ? array : array.subarray(0, n);
  }
}
