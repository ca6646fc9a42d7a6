// One scene's inspection: the value a reader rests the mouse on, taps (a paused scene) or moves
// to with the arrow keys, named in a box beside it with its formula once the model's worker has
// computed it; the same words, once complete, in a polite live region for screen readers; and
// the cells the formula reads outlined on the scene. The player (player.ts) passes the pointer,
// taps and keys on; this decides what is inspected, keeps the words and draws the outlines.
// Browser-only.

import type { Explanation } from '../model/explanation.ts';
import { differenceFormula, formulaLines, forSecondPrompt, type Formula, type FormulaQuery } from '../model/formula.ts';
import { ownerOf, type TraceName } from '../model/registry.ts';
import type { Spot } from '../render/frame.ts';
import { resolvePaint, type Theme } from '../render/theme.ts';
import { describeSpot, moveAmong, readBy, readingLines, sameValue, spotUnder, type Move } from './readout.ts';
import { describeChoice, isChoiceStop, isShown, keyStops, sameChoice } from './choices.ts';
import type { SpotChoice } from '../render/frame.ts';

/** Where formulas come from: the page's model worker (ModelClient.formula). */
export type FormulaSource = (query: FormulaQuery, explanation: Explanation) => Promise<Formula | null>;

/** What an inspection needs of its scene element. */
export interface InspectionHost {
  explanation(): Explanation | null;
  formulas(): FormulaSource | null;
  /** The scene's size in CSS px. */
  area(): { w: number; h: number };
  /** Where the values drawn now are. */
  spots(): Spot[];
  /** Draws the scene again, outlines included. */
  redraw(): void;
}

/** A point or a rectangle in CSS px of the scene: what the readout is placed beside. */
interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Formulas already asked for, per explanation: the same value asked twice is computed once. */
const asked = new WeakMap<Explanation, Map<string, Promise<Formula | null>>>();

/**
 * The formula of a value on screen, or null. A second prompt's value (`compare.NAME`) is asked of
 * its own explanation by its own name, and its formula named as the scene names it; a
 * difference of the two (`diff.*`) is read from the two explanations here.
 */
function formulaFor(source: FormulaSource, spot: Spot, ex: Explanation): Promise<Formula | null> | null {
  const owner = ownerOf(ex, spot.source);
  const difference = differenceFormula(ex, spot);
  if (!difference && (!owner || !owner.explanation.trace.has(owner.source.tensor as TraceName))) return null;
  let known = asked.get(ex);
  if (!known) asked.set(ex, (known = new Map()));
  const key = JSON.stringify([spot.source, spot.masked, spot.sumOf, spot.complementOf]);
  let formula = known.get(key);
  if (!formula) {
    formula = difference
      ? Promise.resolve(difference)
      : source({ ...spot, source: owner!.source }, owner!.explanation)
          .then((f) => (f && owner!.second ? forSecondPrompt(f, owner!.explanation.prompt) : f))
          .catch(() => null); // no formula (a failed worker) still leaves the name
    known.set(key, formula);
  }
  return formula;
}

export class Inspection {
  /** The value inspected; `pinned` when tapped or reached by keys (it stays), not under the mouse. */
  private current: { spot: Spot; pinned: boolean; formula: Formula | null } | null = null;
  private asking = 0;
  /** Where a mouse pointer rests over the scene, if it does. */
  private pointer: { x: number; y: number } | null = null;
  /** Where the readout goes: kept to place it again when the formula makes it taller. */
  private anchor: Box = { x: 0, y: 0, w: 0, h: 0 };

  constructor(
    /** The box drawn beside the value (hidden from screen readers: the live region says it). */
    private readonly box: HTMLElement,
    /** A polite live region: the box's words, once the formula is in. */
    private readonly live: HTMLElement,
    private readonly host: InspectionHost,
  ) {}

  get spot(): Spot | null {
    return this.current?.spot ?? null;
  }

  /** The choice the keys are on (a head's map, a token), which Enter or Space makes; null when none. */
  get choice(): SpotChoice | null {
    const spot = this.current?.spot;
    return spot && isChoiceStop(spot) ? (spot.choose ?? null) : null;
  }

  /** Whether a frame needs the spots: something is inspected, or the mouse may rest on something. */
  get active(): boolean {
    return this.current !== null || this.pointer !== null;
  }

  /**
   * The mouse moved to `point` (null: it left the scene). A value under it is inspected, taking
   * over from a tapped or keyed one; the scene is redrawn only when what is inspected changes.
   */
  pointerAt(point: { x: number; y: number } | null): void {
    this.pointer = point;
    const held = this.current;
    if (!point) {
      if (held && !held.pinned) this.clear();
      return;
    }
    const under = spotUnder(this.host.spots(), point.x, point.y);
    if (under && held && sameValue(under, held.spot)) {
      if (!held.pinned) this.show(under, false); // the readout follows the pointer
    } else if (under) {
      this.show(under, false);
      this.host.redraw();
    } else if (held && !held.pinned) this.clear();
  }

  /** A tap on a paused scene at `point`: inspects the value there; false when there is none. */
  tap(point: { x: number; y: number }): boolean {
    const spot = spotUnder(this.host.spots(), point.x, point.y);
    if (spot) {
      this.show(spot, true);
      this.host.redraw();
    }
    return spot !== null;
  }

  /**
   * An arrow key on a paused scene: the next value (or choice) in reading order, or the line
   * above or below. In a scene of choices the first key goes to the one already shown.
   */
  move(move: Move): void {
    const stops = keyStops(this.host.spots());
    const ex = this.host.explanation();
    const shown = this.spot === null && ex ? stops.find((s) => isChoiceStop(s) && s.choose && isShown(s.choose, ex)) : undefined;
    // A cell of a choice (a tapped map) moves on as its whole choice does.
    const held = this.spot;
    const from = held?.choose && !isChoiceStop(held) ? (stops.find((s) => isChoiceStop(s) && sameChoice(s.choose!, held.choose!)) ?? held) : held;
    const next = shown ?? moveAmong(readingLines(stops), from, move);
    if (!next) {
      this.live.textContent = 'No numbers are shown at this moment; Shift with an arrow key steps through time.';
      return;
    }
    this.show(next, true);
    this.host.redraw();
  }

  /**
   * A new frame with these spots (`pressing`: a pointer is down, seeking): a tapped or keyed
   * value stays while it is on screen; otherwise the mouse inspects what it rests on.
   */
  follow(spots: readonly Spot[], pressing: boolean): void {
    const held = this.current;
    if (held?.pinned) {
      const choice = isChoiceStop(held.spot) ? held.spot.choose : undefined;
      const still = choice ? keyStops(spots).find((s) => isChoiceStop(s) && sameChoice(s.choose!, choice)) : spots.find((s) => sameValue(s, held.spot));
      if (still) this.show(still, true);
      else this.clear(false);
      return;
    }
    const under = this.pointer && !pressing ? spotUnder(spots, this.pointer.x, this.pointer.y) : null;
    if (under) this.show(under, false);
    else if (held) this.clear(false);
  }

  /**
   * The scene was built anew (new numbers): a value inspected is gone, but a choice the keys are
   * on stays where the new scene offers it, so choosing one (which changes the scene) keeps the
   * keyboard's place.
   */
  sceneChanged(): void {
    if (!this.choice) this.clear();
  }

  /** Ends the inspection; `redraw` false when the caller is drawing already. */
  clear(redraw = true): void {
    this.asking++;
    const had = this.current !== null;
    this.current = null;
    this.box.textContent = '';
    if (had && redraw) this.host.redraw();
  }

  /** Outlines the inspected value and, in the highlight colour, the values its formula reads. */
  drawHighlights(ctx: CanvasRenderingContext2D, spots: readonly Spot[], theme: Theme): void {
    if (!this.current) return;
    const formula = this.current.formula;
    ctx.save();
    ctx.lineWidth = 2;
    ctx.fillStyle = resolvePaint('highlight', theme);
    ctx.strokeStyle = resolvePaint('highlightStroke', theme);
    for (const s of formula ? spots.filter((s) => readBy(s, formula.inputs)) : []) {
      ctx.fillRect(s.x, s.y, s.w, s.h);
      ctx.strokeRect(s.x + 1, s.y + 1, s.w - 2, s.h - 2);
    }
    const { x, y, w, h } = this.current.spot;
    ctx.strokeStyle = resolvePaint('dim', theme);
    ctx.strokeRect(x - 1, y - 1, w + 2, h + 2);
    ctx.restore();
  }

  /**
   * Inspects a value, with the readout beside the pointer (under the mouse) or below the value
   * (pinned). Asking again for the value shown only moves the readout.
   */
  private show(spot: Spot, pinned: boolean): void {
    const ex = this.host.explanation();
    if (!ex) return;
    this.anchor = this.pointer && !pinned ? { x: this.pointer.x + 14, y: this.pointer.y, w: 0, h: 18 } : spot;
    if (this.current && sameValue(this.current.spot, spot)) {
      this.current.spot = spot;
      this.current.pinned = pinned;
    } else {
      this.current = { spot, pinned, formula: null };
      this.write(ex);
      const ask = ++this.asking;
      const formulas = this.host.formulas();
      const asking = formulas && !isChoiceStop(spot) ? formulaFor(formulas, spot, ex) : null;
      if (asking) {
        void asking.then((formula) => {
          if (ask !== this.asking || !this.current) return;
          // A formula for another prompt's or model's numbers (the reader moved on) is not this value's.
          this.current.formula = formula && formula.result.value === spot.value ? formula : null;
          this.write(ex, true);
          this.place();
          this.host.redraw();
        });
      } else this.write(ex, true);
    }
    this.place();
  }

  /** The box's words: the value's name, then its formula; the live region gets them once complete. */
  private write(ex: Explanation, complete = false): void {
    if (!this.current) return;
    const { spot, formula } = this.current;
    const lines = isChoiceStop(spot) && spot.choose ? [describeChoice(spot.choose, ex)] : [describeSpot(spot, ex), ...(formula ? formulaLines(formula) : [])];
    this.box.textContent = lines.join('\n');
    if (complete) this.live.textContent = lines.join(' ');
  }

  /** Below the anchor, or above it when there is no room below; always inside the scene. */
  private place(): void {
    const { anchor: a } = this;
    const area = this.host.area();
    const { offsetWidth: w, offsetHeight: h } = this.box;
    const x = Math.max(4, Math.min(a.x, area.w - w - 4));
    const below = a.y + a.h + 4;
    const y = below + h < area.h ? below : Math.max(4, a.y - h - 4);
    this.box.style.left = `${x}px`;
    this.box.style.top = `${y}px`;
  }
}
