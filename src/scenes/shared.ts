// What several scenes say about one explanation: its dimensions, how a block and head are
// named on screen, and the declared parts that put its numbers and pieces into drawn text.

import { at, block, CONSTANTS, dimensionOf, namedValue, type BlockName, type ConstantName, type DimName, type Source } from '../model/registry.ts';
import { describeSamplingParts } from '../model/sampling.ts';
import { formatCount, formatFixed } from '../render/frame.ts';
import { indexPart, say, type Part, type Said } from '../render/said.ts';
import { wrapText } from '../render/text.ts';
import type { Explanation } from '../model/explanation.ts';

/** The model's real dimensions for this prompt (T tokens, C width, H head size, nKvHead key/value heads, I MLP width, ...), as numbers to lay out with. */
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

/** How a value is written: `decimals` fixed, grouped by thousands, as a percentage, or as written in settings. */
interface ValueFormat {
  decimals?: number;
  group?: boolean;
}

/**
 * Declared parts for drawn text (render/said.ts): every number a caption, label or brace shows
 * comes from here, saying what it is, so the tests can check it. E.g.
 *   const d = declared(ex);
 *   say`C = ${d.dim('C')}`, say`block ${d.index(ex.layer, 'nLayer')}`, say`“${d.piece(at('tokens', 0))}”`
 */
export function declared(ex: Explanation) {
  const pieceText = (id: number) => ex.piece(id).text;
  return {
    /** A dimension (T, C, H, ...), grouped by thousands; √H with two decimals unless whole. */
    dim(name: DimName): Said {
      const v = dimensionOf(ex, name);
      return { text: name === 'sqrtH' ? formatFixed(v, v % 1 === 0 ? 0 : 2) : formatCount(v), claim: { kind: 'dim', dim: name } };
    },
    /** An index along a dimension: a block, a head, a position, a column. */
    index: indexPart,
    /** How many things are drawn or left out, at most dimension `atMost`. */
    count(value: number, atMost: DimName): Said {
      return { text: formatCount(value), claim: { kind: 'count', value, atMost } };
    },
    /** A value of the registry, read from it: `decimals` fixed, grouped, or (default) as a setting is written. */
    value(source: Source, o: ValueFormat = {}): Said {
      const raw = namedValue(ex, source.tensor)?.data[source.index];
      if (raw === undefined) throw new Error(`the explanation has no ${source.tensor}[${source.index}]`);
      const text = o.group ? formatCount(raw) : o.decimals !== undefined ? formatFixed(raw, o.decimals) : String(raw).replace('-', '\u2212');
      return { text, claim: { kind: 'value', source, value: raw } };
    },
    /** A number the arithmetic fixes (a softmax row sums to 1), declared in the registry. */
    constant(name: ConstantName): Said {
      return { text: String(CONSTANTS[name].value), claim: { kind: 'constant', name } };
    },
    /** The piece of the token whose id is at `source` (a prompt token, a generated one), or of vocabulary row `id`. */
    piece(of: Source | number): Said {
      if (typeof of === 'number') return { text: pieceText(of), claim: { kind: 'piece', id: of } };
      const id = namedValue(ex, of.tensor)?.data[of.index];
      if (id === undefined) throw new Error(`the explanation has no ${of.tensor}[${of.index}]`);
      return { text: pieceText(id), claim: { kind: 'piece', id, source: of } };
    },
    /** Part of the reader's prompt, as drawn (`second`: of the second prompt, in a comparison). */
    prompt(text: string, second = false): Said {
      return { text, claim: second ? { kind: 'prompt', second } : { kind: 'prompt' } };
    },
    /** The model's name. */
    modelName(): Said {
      return { text: ex.modelName, claim: { kind: 'modelName' } };
    },
  };
}

/** The prompt tokens' pieces, in order, each declared with its id's source. */
export function tokenPieces(ex: Explanation): Said[] {
  const d = declared(ex);
  return ex.tokens.map((_, i) => d.piece(at('tokens', i)));
}

/** "block 1, head 2": the block and head the attention scenes follow. */
export function blockHead(ex: Explanation): Part[] {
  return say`block ${indexPart(ex.layer, 'nLayer')}, head ${indexPart(ex.head, 'nHead')}`;
}

/** "block 1": the block a scene follows. */
export function blockOnly(ex: Explanation): Part[] {
  return say`block ${indexPart(ex.layer, 'nLayer')}`;
}

/** The sampling rule in words, its settings declared: "sampling at temperature 0.8, top-k 40, top-p 0.95". */
export function samplingRule(ex: Explanation): Part[] {
  const d = declared(ex);
  return describeSamplingParts(ex.sampling, (setting) => d.value(at(`sampling.${setting}`, 0)));
}

/**
 * The prompt in quotes (or, with `second`, the second prompt of a comparison), wrapped to at most
 * maxLines lines; a longer one keeps its end after "…".
 */
export function promptLines(ex: Explanation, size: number, width: number, maxLines = 2, second = false): Said[] {
  const lines = wrapText(`“${second ? ex.compare?.prompt : ex.prompt}”`, size, width);
  const kept = lines.length <= maxLines ? lines : lines.slice(-maxLines);
  if (kept.length < lines.length) kept[0] = `…${kept[0]}`;
  return kept.map((line) => declared(ex).prompt(line, second));
}
