// The things a reader can choose in a scene (a head's map, a token): the spots that carry a
// `choose`. For the keyboard each choice is one stop, a spot around all of the spots that make
// it, among the numbers the arrow keys inspect (inspection.ts); Enter or Space on it chooses.
// Kept apart from the player so a test can check it without a browser.

import type { Explanation } from '../model/explanation.ts';
import type { Spot, SpotChoice } from '../render/frame.ts';

function choiceKey(choice: SpotChoice): string {
  return `${choice.layer ?? ''}/${choice.head ?? ''}/${choice.position ?? ''}`;
}

/** Whether two choices ask for the same thing. */
export function sameChoice(a: SpotChoice, b: SpotChoice): boolean {
  return choiceKey(a) === choiceKey(b);
}

/** The stops made by keyStops for a choice (not a value of the model on its own). */
const choiceStops = new WeakSet<Spot>();

/** Whether a spot is a keyboard stop standing for a choice (made by keyStops). */
export function isChoiceStop(spot: Spot): boolean {
  return choiceStops.has(spot);
}

/**
 * The spots the arrow keys stop at: every spot that chooses nothing, and for each choice one spot
 * around all of its spots (a whole map rather than each of its cells), where its first was drawn.
 */
export function keyStops(spots: readonly Spot[]): Spot[] {
  const stops: Spot[] = [];
  const byKey = new Map<string, Spot>();
  for (const spot of spots) {
    if (!spot.choose) {
      stops.push(spot);
      continue;
    }
    const key = choiceKey(spot.choose);
    const stop = byKey.get(key);
    if (!stop) {
      const made: Spot = { ...spot, note: undefined };
      choiceStops.add(made);
      byKey.set(key, made);
      stops.push(made);
      continue;
    }
    const right = Math.max(stop.x + stop.w, spot.x + spot.w);
    const bottom = Math.max(stop.y + stop.h, spot.y + spot.h);
    stop.x = Math.min(stop.x, spot.x);
    stop.y = Math.min(stop.y, spot.y);
    stop.w = right - stop.x;
    stop.h = bottom - stop.y;
  }
  return stops;
}

/** Whether a choice is what the explanation already shows (the head followed, the position read). */
export function isShown(choice: SpotChoice, ex: Explanation): boolean {
  if (choice.position !== undefined) return choice.position === ex.lens.position;
  return choice.layer === ex.layer && choice.head === ex.head;
}

/** What choosing does, in words, for the readout beside the stop. */
export function describeChoice(choice: SpotChoice, ex: Explanation): string {
  if (choice.position !== undefined) {
    const token = ex.tokens[choice.position]?.text ?? '';
    return `position ${choice.position} (“${token}”): Enter reads the logit lens after this token`;
  }
  return `block ${choice.layer}, head ${choice.head}: Enter makes the attention scenes follow this head`;
}
