// Records the Canvas 2D calls a scene makes for one frame, so the exporter can tell that a
// frame is identical to the one before (about half of a scene's frames are holds) and skip
// rasterising and reading it back; a changed frame is replayed onto the real canvas.
// Only plain drawing calls with plain arguments count as comparable; anything else (a
// gradient, an unknown method) marks the frame as never equal to another, which is safe.

import type { Ctx2D } from '../scenes/contract.ts';

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

export class DrawRecorder {
  private steps: Step[] = [];
  private parts: string[] = [];
  private comparable = true;
  /** Stands in for the scene's context; answers measureText through `measurer`. */
  readonly ctx: Ctx2D;

  /** `measurer` is a real context (any size) used for state reads and measureText. */
  constructor(measurer: Ctx2D) {
    const target = measurer as unknown as Record<string, unknown>;
    this.ctx = new Proxy(target, {
      get: (t, name) => {
        const value = t[name as string];
        if (typeof value !== 'function') return value;
        const method = name as string;
        return (...args: unknown[]) => {
          this.steps.push({ call: method, args });
          if (DRAWING.has(method)) {
            if (!args.every((a) => plain(a) || (Array.isArray(a) && a.every(plain)))) this.comparable = false;
            this.parts.push(`${method}(${JSON.stringify(args)})`);
            return undefined;
          }
          // measureText depends only on the font and text, both recorded; other methods are not understood.
          if (method === 'measureText') this.parts.push(`measureText(${JSON.stringify(args)})`);
          else this.comparable = false;
          return (value as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
      set: (t, name, value) => {
        this.steps.push({ set: name as string, value });
        if (!plain(value)) this.comparable = false;
        this.parts.push(`${String(name)}=${String(value)}`);
        t[name as string] = value; // so later reads and measureText see it
        return true;
      },
    }) as unknown as Ctx2D;
  }

  /** Runs `draw` against the recording context and returns what it did. */
  record(draw: (ctx: Ctx2D) => void): Recording {
    this.steps = [];
    this.parts = [];
    this.comparable = true;
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
