// Checks numbers a scene reports as shown against where they came from in the explanation:
// the source value (times the on-screen scale) must equal the reported value, and the text
// must be that value rounded at the precision the text shows. Returns the violations.

import type { Explanation } from '../../src/model/explanation.ts';
import type { ShownNumber } from '../../src/render/frame.ts';

/** The raw value a source names, or an error message when it names nothing. */
export function sourceValue(ex: Explanation, source: { tensor: string; index: number }): number | string {
  const { tensor, index } = source;
  if (!Number.isInteger(index) || index < 0) return `index ${index} is not a non-negative integer`;
  const inRange = (n: number) => (index < n ? null : `index ${index} is out of range (${n})`);
  switch (tensor) {
    case 'tokens':
      return inRange(ex.tokens.length) ?? ex.tokens[index].id;
    case 'vocab':
      return inRange(ex.config.vocabSize) ?? index;
    case 'parameterCount':
      return index === 0 ? ex.parameterCount : 'parameterCount has only index 0';
    case 'sampledProbs':
      return inRange(ex.sampledProbs.length) ?? ex.sampledProbs[index];
    case 'generation.probability':
      return inRange(ex.generation.length) ?? ex.generation[index].probability;
    case 'generation.chosen':
      return inRange(ex.generation.length) ?? ex.generation[index].chosen.id;
    case 'generation.context': {
      const W = ex.generationWindow;
      const step = Math.floor(index / W);
      if (step >= ex.generation.length) return `step ${step} is out of range`;
      const ctx = ex.generation[step].context;
      return index % W < ctx.length ? ctx[index % W] : `context position ${index % W} is out of range (${ctx.length})`;
    }
    case 'generation.top': {
      const step = Math.floor(index / 5);
      if (step >= ex.generation.length) return `step ${step} is out of range`;
      const top = ex.generation[step].top;
      return index % 5 < top.length ? top[index % 5].probability : `top entry ${index % 5} is out of range`;
    }
    default: {
      const t = ex.trace.get(tensor);
      if (!t) return `no tensor named "${tensor}"`;
      return inRange(t.data.length) ?? t.data[index];
    }
  }
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
