// Records the Canvas 2D calls a scene makes for one frame, so the exporter can tell that a
// frame is identical to the one before (about half of a scene's frames are holds) and skip
// rasterising and reading it back; a changed frame is replayed onto the real canvas.
// Only plain drawing calls with plain arguments count as comparable; anything else (a
// gradient, an unknown method) marks the frame as never equal to another, which is safe.

import type { Ctx2D } from '../render/canvas.ts';

/** Calls that only draw or set state: recorded and replayed, never needed for a return value. */
const DRAWING = new Set([
  'save', 'restore', 'fillRect', 'strokeRect', 'clearRect', 'fillText', 'strokeText', 'beginPath', 'closePath',
  'moveTo', 'lineTo', 'arc', 'arcTo', 'rect', 'roundRect', 'ellipse', 'bezierCurveTo', 'quadraticCurveTo',
  'fill', 'stroke', 'clip', 'setLineDash', 'translate', 'scale', 'rotate', 'setTransform', 'resetTransform', 'transform',
]);

type Step = { set: string; value: unknown } | { call: string; args: unknown[] };

const plain = (v: unknown): boolean =>
  typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === undefined || v === null;

/** One frame's calls: a list to replay and a key that is equal for equal lists. */
export interface Recording {
  steps: Step[];
  /** Null when the frame used something that cannot be compared. */
  key: string | null;
}

/** State that measureText depends on: passed through to the measuring context. */
const TEXT_STATE = new Set(['font', 'textBaseline', 'textAlign', 'direction', 'letterSpacing', 'wordSpacing', 'fontKerning', 'lang']);

/** Text for one argument list; \u0001 separates arguments, which no drawn text contains. */
function argsText(args: unknown[]): string {
  return args.map(String).join('\u0001');
}

export class DrawRecorder {
  private steps: Step[] = [];
  private parts: string[] = [];
  private comparable = true;
  /** Values set during recording, so that reading a property gives what was last set. */
  private readonly state = new Map<string, unknown>();
  /** Stands in for the scene's context; answers measureText through `measurer`. */
  readonly ctx: Ctx2D;

  /** `measurer` is a real context (any size) used for state reads and measureText. */
  constructor(measurer: Ctx2D) {
    const target = measurer as unknown as Record<string, unknown>;
    const wrappers = new Map<string, (...args: unknown[]) => unknown>();
    const wrap = (method: string, fn: (...a: unknown[]) => unknown) => (...args: unknown[]) => {
      this.steps.push({ call: method, args });
      if (DRAWING.has(method)) {
        for (const a of args) if (!plain(a) && !(Array.isArray(a) && a.every(plain))) this.comparable = false;
        this.parts.push(`${method}(${argsText(args)})`);
        return undefined;
      }
      // measureText depends only on the text state and text, both recorded; other methods are not understood.
      if (method === 'measureText') this.parts.push(`measureText(${argsText(args)})`);
      else this.comparable = false;
      return fn.apply(target, args);
    };
    this.ctx = new Proxy(target, {
      get: (t, name) => {
        const key = name as string;
        if (this.state.has(key)) return this.state.get(key);
        const value = t[key];
        if (typeof value !== 'function') return value;
        let wrapper = wrappers.get(key);
        if (!wrapper) wrappers.set(key, (wrapper = wrap(key, value as (...a: unknown[]) => unknown)));
        return wrapper;
      },
      set: (t, name, value) => {
        const key = name as string;
        this.steps.push({ set: key, value });
        if (!plain(value)) this.comparable = false;
        this.parts.push(`${key}=${String(value)}`);
        if (this.state.get(key) !== value) {
          this.state.set(key, value);
          if (TEXT_STATE.has(key)) t[key] = value; // so measureText sees it
        }
        return true;
      },
    }) as unknown as Ctx2D;
  }

  /** Runs `draw` against the recording context and returns what it did. */
  record(draw: (ctx: Ctx2D) => void): Recording {
    this.steps = [];
    this.parts = [];
    this.comparable = true;
    this.state.clear();
    draw(this.ctx);
    return { steps: this.steps, key: this.comparable ? this.parts.join('\n') : null };
  }
}

/** Replays recorded calls, in order, onto a real context. */
export function replay(recording: Recording, ctx: Ctx2D): void {
  const target = ctx as unknown as Record<string, unknown>;
  for (const step of recording.steps) {
    if ('set' in step) target[step.set] = step.value;
    else (target[step.call] as (...a: unknown[]) => unknown).apply(ctx, step.args);
  }
}
