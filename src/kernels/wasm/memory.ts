// Bookkeeping for the WebAssembly kernels' linear memory: a first-fit allocator for resident
// (long-lived) blocks, and growth of the memory when a call needs more room. Everything past
// the last resident block is scratch space, reused by every call.

const PAGE = 65536; // bytes in one WebAssembly memory page
/** The most a 32-bit WebAssembly memory can hold: 65,536 pages, 4 GiB. */
export const WASM32_MAX_BYTES = 65536 * PAGE;
const ALIGN = 64; // every block starts on a cache line
/** The first page stays unused, so address 0 never holds data. */
const HEAP_START = PAGE;

export const alignUp = (bytes: number): number => Math.ceil(bytes / ALIGN) * ALIGN;

export class LinearMemory {
  /** Free gaps between resident blocks, sorted by address. */
  private free: { ptr: number; bytes: number }[] = [];
  /** End of the resident blocks: scratch space starts here. */
  top = HEAP_START;
  /** Bytes in resident blocks. */
  allocated = 0;
  private view: Float32Array;
  private halves: Uint16Array;

  constructor(
    readonly memory: WebAssembly.Memory,
    /** The memory's declared maximum, in bytes. */
    readonly limit: number = WASM32_MAX_BYTES,
  ) {
    this.view = new Float32Array(memory.buffer);
    this.halves = new Uint16Array(memory.buffer);
  }

  /** A Float32Array over the whole memory, refreshed after growth (which replaces the buffer). */
  get f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /** The same memory as 16-bit patterns (halves). */
  get u16(): Uint16Array {
    if (this.halves.buffer !== this.memory.buffer) this.halves = new Uint16Array(this.memory.buffer);
    return this.halves;
  }

  /** Makes sure addresses below `end` exist, growing the memory if needed (RangeError if it cannot). */
  ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    const wanted = `${(end / 1e9).toFixed(2)} GB (${end.toLocaleString('en-US')} bytes)`;
    if (have + pages * PAGE > this.limit) {
      throw new RangeError(`WebAssembly memory would need ${wanted}, more than the ${(this.limit / 1e9).toFixed(2)} GB it can hold; try a smaller model`);
    }
    try {
      this.memory.grow(pages);
    } catch {
      throw new RangeError(`this browser or machine would not give WebAssembly memory ${wanted}; try a smaller model, or close other tabs and programs`);
    }
  }

  /** Reserves a resident block of `bytes`; returns its address. */
  alloc(bytes: number): number {
    const size = alignUp(bytes);
    this.allocated += size;
    const gap = this.free.findIndex((g) => g.bytes >= size);
    if (gap >= 0) {
      const g = this.free[gap];
      const ptr = g.ptr;
      if (g.bytes === size) this.free.splice(gap, 1);
      else this.free[gap] = { ptr: ptr + size, bytes: g.bytes - size };
      return ptr;
    }
    const ptr = this.top;
    this.ensure(ptr + size);
    this.top = ptr + size;
    return ptr;
  }

  /** Returns a resident block to the free list, merging it with neighbouring gaps. */
  release(ptr: number, bytes: number): void {
    const size = alignUp(bytes);
    this.allocated -= size;
    let at = this.free.findIndex((g) => g.ptr > ptr);
    if (at < 0) at = this.free.length;
    this.free.splice(at, 0, { ptr, bytes: size });
    // Merge with the following and the preceding gap where they touch.
    const next = this.free[at + 1];
    if (next && ptr + size === next.ptr) {
      this.free[at].bytes += next.bytes;
      this.free.splice(at + 1, 1);
    }
    const prev = this.free[at - 1];
    if (prev && prev.ptr + prev.bytes === ptr) {
      prev.bytes += this.free[at].bytes;
      this.free.splice(at, 1);
      at -= 1;
    }
    // A gap that reaches the top simply lowers it.
    const last = this.free[this.free.length - 1];
    if (last && last.ptr + last.bytes === this.top) {
      this.top = last.ptr;
      this.free.pop();
    }
  }
}
