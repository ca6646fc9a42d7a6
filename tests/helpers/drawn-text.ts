// The digit rule: every digit a scene draws belongs to a part of its text that says what it is
// (render/said.ts), and each such part holds what it says. Dimensions are read back from the
// trace's shapes (not from the config the scenes read), indices and counts must lie within their
// dimension, pieces must be the tokenizer's pieces of the ids they claim, values must be the
// registry's. Returns the violations.

import type { Explanation } from '../../src/model/explanation.ts';
import { CONSTANTS, type DimName, type TraceName } from '../../src/model/registry.ts';
import type { Claim, DrawnText } from '../../src/render/said.ts';
import { checkShown, parseShown, sourceValue } from './shown-numbers.ts';

/**
 * A dimension as the trace shows it (the config only for n_positions, which no traced shape has),
 * for GPT-2 and the Llama family alike: C and T from the token embeddings, H from a head's
 * output, n_head from the scores, K's width over H for the key/value heads, the MLP's width
 * from its first product (GPT-2's fc, the Llama family's gate), RoPE's pairs from its angles.
 */
export function dimensionFromTrace(ex: Explanation, name: DimName): number {
  const shape = (tensor: TraceName) => {
    const t = ex.trace.get(tensor);
    if (!t) throw new Error(`the trace has no ${tensor}`);
    return t.shape;
  };
  const C = shape('embed.token')[1];
  const H = shape('h.0.attn.heads')[2];
  const nHead = shape('h.0.attn.scores')[0];
  const kvWidth = shape('h.0.attn.k')[1];
  const mlpWidth = shape(ex.trace.has('h.0.mlp.fc') ? 'h.0.mlp.fc' : 'h.0.mlp.gate')[1];
  switch (name) {
    case 'T':
      return shape('embed.token')[0];
    case 'C':
      return C;
    case 'H':
      return H;
    case 'nHead':
      return nHead;
    case 'nLayer':
      return new Set([...ex.trace.keys()].map((k) => /^h\.(\d+)\./.exec(k)?.[1]).filter((l) => l !== undefined)).size;
    case 'V':
      return shape('logits')[1];
    case 'nPositions':
      return ex.config.nPositions;
    case 'mlpWidth':
      return mlpWidth;
    case 'mlpRatio':
      return mlpWidth / C;
    case 'sqrtH':
      return Math.sqrt(H);
    case 'nKvHead':
      return kvWidth / H;
    case 'kvGroup':
      return nHead / (kvWidth / H);
    case 'qWidth':
      return shape('h.0.attn.q')[1];
    case 'kvWidth':
      return kvWidth;
    case 'ropePairs':
      return shape('rope.angles')[1];
  }
}

const normalise = (text: string) => text.replace(/\s+/g, ' ');

/** Why a declared part does not hold what it claims, or null when it does. */
function claimError(ex: Explanation, text: string, claim: Claim): string | null {
  const parsed = parseShown(text);
  const isNumber = (value: number, decimals = 0) =>
    parsed !== null && Math.abs(parsed.value - value) <= 0.5 * 10 ** -Math.max(decimals, parsed.decimals) + 1e-9 * Math.max(1, Math.abs(value));
  switch (claim.kind) {
    case 'value': {
      const [error] = checkShown(ex, [{ text, value: claim.value, source: claim.source, scale: claim.scale, sumOf: claim.sumOf, complementOf: claim.complementOf }]);
      return error ?? null;
    }
    case 'dim': {
      const value = dimensionFromTrace(ex, claim.dim);
      if (claim.dim === 'T' && value !== ex.tokens.length) return `T is ${ex.tokens.length} tokens but the trace has ${value} rows`;
      return isNumber(value, claim.dim === 'sqrtH' ? 2 : 0) && (claim.dim === 'sqrtH' || Number.isInteger(parsed!.value)) ? null : `says ${claim.dim} but the model's ${claim.dim} is ${value}`;
    }
    case 'index': {
      const bound = dimensionFromTrace(ex, claim.of);
      if (!Number.isInteger(claim.value) || claim.value < 0 || claim.value >= bound) return `index ${claim.value} is not within ${claim.of} = ${bound}`;
      return isNumber(claim.value) ? null : `is not the index ${claim.value} it declares`;
    }
    case 'count': {
      const bound = dimensionFromTrace(ex, claim.atMost);
      if (!Number.isInteger(claim.value) || claim.value < 0 || claim.value > bound) return `count ${claim.value} is not between 0 and ${claim.atMost} = ${bound}`;
      return isNumber(claim.value) ? null : `is not the count ${claim.value} it declares`;
    }
    case 'constant':
      return isNumber(CONSTANTS[claim.name].value) ? null : `is not the constant ${claim.name} = ${CONSTANTS[claim.name].value}`;
    case 'piece': {
      const V = dimensionFromTrace(ex, 'V');
      if (!Number.isInteger(claim.id) || claim.id < 0 || claim.id >= V) return `token id ${claim.id} is not in the vocabulary`;
      if (claim.source) {
        const id = sourceValue(ex, claim.source);
        if (id !== claim.id) return `claims the token at ${claim.source.tensor}[${claim.source.index}], which is ${id}, not ${claim.id}`;
      }
      const full = ex.piece(claim.id).text;
      const cut = text.endsWith('…') && [...text].length > 1 && full.startsWith(text.slice(0, -1));
      return text === full || cut ? null : `is not the piece of token ${claim.id}, “${full}”`;
    }
    case 'prompt': {
      const prompt = claim.second ? ex.compare?.prompt : ex.prompt;
      if (prompt === undefined) return 'claims a second prompt, but there is none';
      return normalise(`“${prompt}”`).includes(normalise(text.replace(/^…/, ''))) ? null : `is not part of the ${claim.second ? 'second ' : ''}prompt`;
    }
    case 'modelName':
      return text === ex.modelName ? null : `is not the model's name, “${ex.modelName}”`;
  }
}

/**
 * The violations of the digit rule in these texts: a digit outside every declared part, a part
 * not where it says, or a part that does not hold what it claims.
 */
export function checkText(ex: Explanation, texts: readonly DrawnText[]): string[] {
  const errors: string[] = [];
  for (const drawn of texts) {
    const covered = new Uint8Array(drawn.text.length);
    for (const part of drawn.said) {
      const where = `“${drawn.text}”: “${part.text}” (${part.claim.kind})`;
      if (drawn.text.slice(part.start, part.start + part.text.length) !== part.text) {
        errors.push(`${where} is not at ${part.start} of the text`);
        continue;
      }
      covered.fill(1, part.start, part.start + part.text.length);
      const error = claimError(ex, part.text, part.claim);
      if (error) errors.push(`${where} ${error}`);
    }
    // Each digit must lie inside a declared part (a run half inside one counts as loose).
    const loose = [...drawn.text.matchAll(/\p{N}+/gu)].filter((m) => covered.subarray(m.index, m.index + m[0].length).includes(0)).map((m) => m[0]);
    if (loose.length) errors.push(`“${drawn.text}” draws ${loose.map((d) => `“${d}”`).join(', ')}, which no part declares`);
  }
  return errors;
}
