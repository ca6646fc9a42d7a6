// Checks numbers a scene reports as shown against where they came from in the explanation:
// the source value (times the on-screen scale) must equal the reported value, and the text
// must be that value rounded at the precision the text shows. Returns the violations.

import type { Explanation } from '../../src/model/explanation.ts';
import type { ShownNumber, Spot } from '../../src/render/frame.ts';
import { indicesOf, namedValue } from '../../src/model/registry.ts';

/** The raw value a source names, read from the registry of named values, or why it names nothing. */
export function sourceValue(ex: Explanation, source: { tensor: string; index: number }): number | string {
  const { tensor, index } = source;
  if (!Number.isInteger(index) || index < 0) return `index ${index} is not a non-negative integer`;
  const value = namedValue(ex, tensor);
  if (!value) return `no value named "${tensor}"`;
  if (index >= value.data.length) return `index ${index} is out of range (${value.data.length})`;
  const v = value.data[index];
  return Number.isNaN(v) ? `${tensor}[${index}] holds no value` : v;
}

/**
 * What a spot must hold: the value at its source; for a total or a remainder, the sum of the
 * values it lists (1 minus it); for a score drawn as −∞, −∞, and only above the diagonal.
 */
export function spotValue(ex: Explanation, spot: Spot): number | string {
  const parts = spot.sumOf ?? spot.complementOf;
  if (parts) {
    let sum = 0;
    for (const index of parts) {
      const v = sourceValue(ex, { tensor: spot.source.tensor, index });
      if (typeof v === 'string') return v;
      sum += v;
    }
    return spot.complementOf ? 1 - sum : sum;
  }
  if (!spot.masked) return sourceValue(ex, spot.source);
  const value = namedValue(ex, spot.source.tensor);
  const [, row, col] = value ? indicesOf(spot.source.index, value.shape) : [];
  return spot.source.tensor.endsWith('.attn.scores') && col > row ? -Infinity : `${spot.source.tensor}[${spot.source.index}] is no score the causal mask hides`;
}

/** Parses "−0.42", "37.5%", "50,257" back to a number, and how many decimals it shows. */
export function parseShown(text: string): { value: number; decimals: number } | null {
  const clean = text.replace('\u2212', '-').replace(/,/g, '').replace(/%$/, '');
  if (!/^-?\d+(\.\d+)?$/.test(clean)) return null;
  const dot = clean.indexOf('.');
  return { value: Number(clean), decimals: dot < 0 ? 0 : clean.length - dot - 1 };
}

export function checkShown(ex: Explanation, shown: ShownNumber[]): string[] {
  const errors: string[] = [];
  for (const n of shown) {
    const where = `${n.source.tensor}[${n.source.index}] "${n.text}"`;
    let raw: number;
    const parts = n.complementOf ?? n.sumOf;
    if (parts) {
      let sum = 0;
      for (const i of parts) {
        const v = sourceValue(ex, { tensor: n.source.tensor, index: i });
        if (typeof v === 'string') {
          errors.push(`${where}: ${v}`);
          continue;
        }
        sum += v;
      }
      raw = n.complementOf ? 1 - sum : sum;
    } else {
      const v = sourceValue(ex, n.source);
      if (typeof v === 'string') {
        errors.push(`${where}: ${v}`);
        continue;
      }
      raw = v;
    }
    const expected = raw * (n.scale ?? 1);
    if (Math.abs(expected - n.value) > 1e-9 * Math.max(1, Math.abs(expected))) {
      errors.push(`${where}: reports value ${n.value} but the source holds ${expected}`);
    }
    if (n.text.includes('-')) errors.push(`${where}: uses a hyphen instead of a true minus sign`);
    const parsed = parseShown(n.text);
    if (!parsed) {
      errors.push(`${where}: is not a number`);
      continue;
    }
    const half = 0.5 * 10 ** -parsed.decimals;
    if (Math.abs(parsed.value - expected) > half + 1e-9 * Math.max(1, Math.abs(expected))) {
      errors.push(`${where}: differs from the source value ${expected} by more than rounding`);
    }
  }
  return errors;
}
