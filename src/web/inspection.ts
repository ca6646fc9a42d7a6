// One scene's inspection: the value a reader points at (mouse), taps (touch) or moves to (keys),
// named in a box beside it with its formula once the model's worker has computed it; the same
// words, once complete, in a polite live region for screen readers; and the cells the formula
// reads outlined on the scene. The player (player.ts) decides what is inspected; this keeps the
// words and draws the outlines. Browser-only.

import type { Explanation } from '../model/explanation.ts';
import { formulaLines, type Formula, type FormulaQuery } from '../model/formula.ts';
import type { TraceName } from '../model/registry.ts';
import type { Spot } from '../render/frame.ts';
import { resolvePaint, type Theme } from '../render/theme.ts';
import { describeSpot, readBy, sameValue } from './readout.ts';

/** Where formulas come from: the page's model worker (ModelClient.formula). */
export type FormulaSource = (query: FormulaQuery, explanation: Explanation) => Promise<Formula | null>;

/** A rectangle in CSS px of the scene: what the readout is placed beside. */
interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Formulas already asked for, per explanation: the same value asked twice is computed once. */
const asked = new WeakMap<Explanation, Map<string, Promise<Formula | null>>>();

function formulaFor(source: FormulaSource, spot: Spot, ex: Explanation): Promise<Formula | null> {
  let known = asked.get(ex);
  if (!known) asked.set(ex, (known = new Map()));
  const key = JSON.stringify([spot.source, spot.masked, spot.sumOf, spot.complementOf]);
  let formula = known.get(key);
  if (!formula) {
    formula = source(spot, ex).catch(() => null); // no formula (a failed worker) still leaves the name
    known.set(key, formula);
  }
  return formula;
}

export class Inspection {
  /** The value inspected; `pinned` when tapped or reached by keys (it stays), not hovered. */
  private current: { spot: Spot; pinned: boolean; formula: Formula | null } | null = null;
  private asking = 0;
  /** Where the readout goes, and the scene's size: kept to place it again when the formula makes it taller. */
  private anchor: Box = { x: 0, y: 0, w: 0, h: 0 };
  private area = { w: 0, h: 0 };

  constructor(
    /** The box drawn beside the value (hidden from screen readers: the live region says it). */
    private readonly box: HTMLElement,
    /** A polite live region: the box's words, once the formula is in. */
    private readonly live: HTMLElement,
    private readonly redraw: () => void,
  ) {}

  get spot(): Spot | null {
    return this.current?.spot ?? null;
  }

  get pinned(): boolean {
    return this.current?.pinned ?? false;
  }

  /**
   * Inspects a value (null: none). The readout goes below `anchor` (or above it), inside the
   * scene's `area`. Asking again for the value shown only moves the readout.
   */
  show(spot: Spot | null, pinned: boolean, ex: Explanation | null, formulas: FormulaSource | null, anchor: Box, area: { w: number; h: number }): void {
    this.anchor = anchor;
    this.area = area;
    if (!spot || !ex) {
      this.clear();
      return;
    }
    const same = this.current && sameValue(this.current.spot, spot);
    if (same && this.current) {
      this.current.spot = spot;
      this.current.pinned = pinned;
    } else {
      this.current = { spot, pinned, formula: null };
      this.write(ex);
      const ask = ++this.asking;
      if (formulas && ex.trace.has(spot.source.tensor as TraceName)) {
        void formulaFor(formulas, spot, ex).then((formula) => {
          if (ask !== this.asking || !this.current) return;
          // A formula for another prompt's or model's numbers (the reader moved on) is not this value's.
          this.current.formula = formula && formula.result.value === spot.value ? formula : null;
          this.write(ex, true);
          this.place();
          this.redraw();
        });
      } else this.write(ex, true);
    }
    this.place();
  }

  /** Ends the inspection; `redraw` false when the caller is drawing already. */
  clear(redraw = true): void {
    this.asking++;
    const had = this.current !== null;
    this.current = null;
    this.box.textContent = '';
    if (had && redraw) this.redraw();
  }

  /** Tells screen readers something about the inspection itself (there is nothing to inspect). */
  say(text: string): void {
    this.live.textContent = text;
  }

  /** The spots among `spots` that show a value the inspected formula reads. */
  inputsAmong(spots: readonly Spot[]): Spot[] {
    const formula = this.current?.formula;
    return formula ? spots.filter((s) => readBy(s, formula.inputs)) : [];
  }

  /** Outlines the inspected value and, in the highlight colour, the values its formula reads. */
  drawHighlights(ctx: CanvasRenderingContext2D, spots: readonly Spot[], theme: Theme): void {
    if (!this.current) return;
    ctx.save();
    ctx.lineWidth = 2;
    ctx.fillStyle = resolvePaint('highlight', theme);
    ctx.strokeStyle = resolvePaint('highlightStroke', theme);
    for (const s of this.inputsAmong(spots)) {
      ctx.fillRect(s.x, s.y, s.w, s.h);
      ctx.strokeRect(s.x + 1, s.y + 1, s.w - 2, s.h - 2);
    }
    const { x, y, w, h } = this.current.spot;
    ctx.strokeStyle = resolvePaint('dim', theme);
    ctx.strokeRect(x - 1, y - 1, w + 2, h + 2);
    ctx.restore();
  }

  /** The box's words: the value's name, then its formula; the live region gets them once complete. */
  private write(ex: Explanation, complete = false): void {
    if (!this.current) return;
    const { spot, formula } = this.current;
    const lines = [describeSpot(spot, ex), ...(formula ? formulaLines(formula) : [])];
    this.box.textContent = lines.join('\n');
    if (complete) this.live.textContent = lines.join(' ');
  }

  /** Below the anchor, or above it when there is no room below; always inside the scene. */
  private place(): void {
    const { anchor: a, area } = this;
    const { offsetWidth: w, offsetHeight: h } = this.box;
    const x = Math.max(4, Math.min(a.x, area.w - w - 4));
    const below = a.y + a.h + 4;
    const y = below + h < area.h ? below : Math.max(4, a.y - h - 4);
    this.box.style.left = `${x}px`;
    this.box.style.top = `${y}px`;
  }
}
