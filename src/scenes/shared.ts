// What several scenes say about one explanation: its dimensions, how a layer and head are
// named on screen, and the sources of numbers that are not trace tensors.

import { at, block, type BlockName } from '../model/registry.ts';
import { formatCount } from '../render/frame.ts';
import { wrapText } from '../render/text.ts';
import type { Explanation } from '../model/explanation.ts';

/** The model's real dimensions for this prompt (T tokens, C width, H head size, nKvHead key/value heads, I MLP width, ...). */
export function dims(ex: Explanation) {
  const c = ex.config;
  return { T: ex.tokens.length, C: c.nEmbd, nHead: c.nHead, nKvHead: c.nKvHead, H: c.headDim, I: c.mlpWidth, nLayer: c.nLayer, V: c.vocabSize, P: c.nPositions };
}

/**
 * How this model's normalization is named: GPT-2's layer norm, or the Llama family's RMSNorm,
 * in prose (`name`), as the name of a step (`step`), and as a function on a matrix (`LN(X)`).
 */
export function normWords(ex: Explanation): { name: string; step: string; fn: string } {
  return ex.config.norm === 'rmsnorm'
    ? { name: 'RMSNorm', step: 'RMS normalisation', fn: 'RMS' }
    : { name: 'layer norm', step: 'layer normalisation', fn: 'LN' };
}

/**
 * What the chosen head multiplies: its queries and the keys of its key/value head (the same
 * index in GPT-2; query head h reads key/value head h ÷ (n_head / n_kv) with grouped-query
 * attention), as RoPE left them where the model has it (marked ′ in names).
 */
export function headOperands(ex: Explanation): { q: BlockName; k: BlockName; v: BlockName; kvHead: number; mark: string } {
  const rope = ex.config.positions === 'rope';
  const kvHead = Math.floor((ex.head * ex.config.nKvHead) / ex.config.nHead);
  return {
    q: block(ex.layer, rope ? 'attn.q_rot' : 'attn.q'),
    k: block(ex.layer, rope ? 'attn.k_rot' : 'attn.k'),
    v: block(ex.layer, 'attn.v'),
    kvHead,
    mark: rope ? '′' : '',
  };
}

/** The display pieces of the prompt tokens, in order. */
export function tokenTexts(ex: Explanation): string[] {
  return ex.tokens.map((t) => t.text);
}

/** "block 1, head 2": the block and head the attention scenes follow. */
export function blockHead(ex: Explanation): string {
  return `block ${ex.layer}, head ${ex.head}`;
}

/** Numbers with thousands separators, for sizes like V = 50,257. */
export const count = formatCount;

/**
 * Sources for numbers that come from the explanation rather than a trace tensor; the scene
 * tests resolve them the same way:
 *   tokens[i]            → explanation.tokens[i].id
 *   vocab[i]             → i (a token id shown next to its piece)
 *   parameterCount[0]    → explanation.parameterCount
 *   sampledProbs[i]      → explanation.sampledProbs[i]
 *   generation.probability[s], generation.chosen[s] → step s's probability / chosen id
 *   generation.context[s·W + j] → id j of step s's context (W = generationWindow)
 */
export const SOURCE = {
  tokens: (i: number) => at('tokens', i),
  vocab: (id: number) => at('vocab', id),
  parameterCount: at('parameterCount', 0),
} as const;

/** The prompt in quotes, wrapped to at most maxLines lines; a longer one keeps its end after "…". */
export function promptLines(prompt: string, size: number, width: number, maxLines = 2): string[] {
  const lines = wrapText(`“${prompt}”`, size, width);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(-maxLines);
  kept[0] = `…${kept[0]}`;
  return kept;
}
