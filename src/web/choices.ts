// The things a reader can choose in a scene (a head's map, a token): the spots that carry a
// `choose`, grouped into one target per choice, and moving between targets with the arrow keys.
// Kept apart from the player so a test can check it without a browser.

import type { Explanation } from '../model/explanation.ts';
import type { Spot, SpotChoice } from '../render/frame.ts';

/** One choice on screen: the box around every spot that makes it, in CSS px. */
export interface ChoiceTarget {
  key: string;
  choice: SpotChoice;
  x: number;
  y: number;
  w: number;
  h: number;
}

export type Direction = 'left' | 'right' | 'up' | 'down';

function choiceKey(choice: SpotChoice): string {
  return `${choice.layer ?? ''}/${choice.head ?? ''}/${choice.position ?? ''}`;
}

/** The choices among the spots, each once, in the order first drawn. */
export function choiceTargets(spots: readonly Spot[]): ChoiceTarget[] {
  const byKey = new Map<string, ChoiceTarget>();
  for (const spot of spots) {
    if (!spot.choose) continue;
    const key = choiceKey(spot.choose);
    const t = byKey.get(key);
    if (!t) {
      byKey.set(key, { key, choice: spot.choose, x: spot.x, y: spot.y, w: spot.w, h: spot.h });
      continue;
    }
    const right = Math.max(t.x + t.w, spot.x + spot.w);
    const bottom = Math.max(t.y + t.h, spot.y + spot.h);
    t.x = Math.min(t.x, spot.x);
    t.y = Math.min(t.y, spot.y);
    t.w = right - t.x;
    t.h = bottom - t.y;
  }
  return [...byKey.values()];
}

/**
 * The nearest target in a direction from `from` (by the centres of their boxes, a sideways
 * step counting double), or `from` itself when there is none that way.
 */
export function nextTarget(targets: readonly ChoiceTarget[], from: ChoiceTarget, direction: Direction): ChoiceTarget {
  const cx = from.x + from.w / 2;
  const cy = from.y + from.h / 2;
  let best = from;
  let bestCost = Infinity;
  for (const t of targets) {
    const dx = t.x + t.w / 2 - cx;
    const dy = t.y + t.h / 2 - cy;
    const [ahead, aside] = direction === 'left' ? [-dx, dy] : direction === 'right' ? [dx, dy] : direction === 'up' ? [-dy, dx] : [dy, dx];
    if (ahead < 1 || 2 * ahead < Math.abs(aside)) continue; // not that way, or far more to the side
    const cost = ahead + 2 * Math.abs(aside);
    if (cost < bestCost) {
      best = t;
      bestCost = cost;
    }
  }
  return best;
}

/** Whether a choice is what the explanation already shows (the head followed, the position read). */
function isShown(choice: SpotChoice, ex: Explanation): boolean {
  if (choice.position !== undefined) return choice.position === ex.lens.position;
  return choice.layer === ex.layer && choice.head === ex.head;
}

/** What choosing a target does, in words, for the readout beside it. */
export function describeChoice(choice: SpotChoice, ex: Explanation): string {
  if (choice.position !== undefined) {
    const token = ex.tokens[choice.position]?.text ?? '';
    return `position ${choice.position} (“${token}”): Enter reads the logit lens after this token`;
  }
  return `block ${choice.layer}, head ${choice.head}: Enter makes the attention scenes follow this head`;
}

const DIRECTIONS: Record<string, Direction> = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' };

/**
 * What a key does among the choices on screen (`targets`, empty while the scene plays): the
 * arrow keys move the cursor (from the choice already shown, at first), Enter or Space choose
 * the one it is on, Escape takes it away. Null when the key is not for the choices.
 */
export function choiceKeyDown(
  key: string, targets: readonly ChoiceTarget[], cursor: string | null, ex: Explanation | null,
): { cursor: string | null; choose?: SpotChoice } | null {
  if (key === 'Escape') return cursor === null ? null : { cursor: null };
  const current = targets.find((t) => t.key === cursor);
  const direction = DIRECTIONS[key];
  if (direction && targets.length > 0) {
    if (current) return { cursor: nextTarget(targets, current, direction).key };
    return { cursor: (targets.find((t) => ex && isShown(t.choice, ex)) ?? targets[0]).key };
  }
  if ((key === 'Enter' || key === ' ') && current) return { cursor: current.key, choose: current.choice };
  return null;
}
