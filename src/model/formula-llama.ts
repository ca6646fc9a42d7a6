// The formulas of the Llama family's own steps (formula.ts dispatches here for a Llama model):
// RMSNorm, products with nn.Linear's [out, in] weights (and Qwen2's q/k/v biases), RoPE turning
// a pair of dimensions, the SiLU gate and its product with the up-projection, and logits through
// the model's own head. Scores and weighted sums (through the key/value head a query head shares),
// attention's softmax, the mask, sums, head columns and the vocabulary's softmax are GPT-2's
// kinds, which read the family's shapes from the trace (formula-kinds.ts).
//
// Shape legend: T tokens, C width, nH query heads and nKV key/value heads of size D, I MLP width, V vocabulary.

import type { Llama } from './llama.ts';
import { block, type TraceName } from './registry.ts';
import { traced } from './trace.ts';
import { add, apply, exact, minus, num, over, times } from './formula-expr.ts';
import { dotProduct, type Base, type Context } from './formula-kinds.ts';
import type { Formula } from './formula.ts';

export type LlamaLinearStep = 'attn.q' | 'attn.k' | 'attn.v' | 'attn.proj' | 'mlp.gate' | 'mlp.up' | 'mlp.proj';

/** A cell of x · Wᵀ (+ b): its input row and row j of the weight, as the file stores it. */
export function llamaLinear(c: Context<Llama>, base: Base, l: number, step: LlamaLinearStep, t: number, j: number): Formula {
  const { hidden: C, intermediate: I, nHead, nKvHead, headDim: D } = c.model.config;
  const b = c.model.weights.layers[l];
  const specs = {
    'attn.q': { input: block(l, 'rms_1'), W: b.q_proj, bias: b.q_bias, K: C, param: 'q_proj', w: 'W_q' },
    'attn.k': { input: block(l, 'rms_1'), W: b.k_proj, bias: b.k_bias, K: C, param: 'k_proj', w: 'W_k' },
    'attn.v': { input: block(l, 'rms_1'), W: b.v_proj, bias: b.v_bias, K: C, param: 'v_proj', w: 'W_v' },
    'attn.proj': { input: block(l, 'attn.concat'), W: b.o_proj, bias: null, K: nHead * D, param: 'o_proj', w: 'W_o' },
    'mlp.gate': { input: block(l, 'rms_2'), W: b.gate_proj, bias: null, K: C, param: 'gate_proj', w: 'W_gate' },
    'mlp.up': { input: block(l, 'rms_2'), W: b.up_proj, bias: null, K: C, param: 'up_proj', w: 'W_up' },
    'mlp.proj': { input: block(l, 'mlp.act'), W: b.down_proj, bias: null, K: I, param: 'down_proj', w: 'W_down' },
  } as const;
  const spec = specs[step];
  const x = traced(c.trace, spec.input).data;
  const { terms } = dotProduct(spec.K, (k) => x[t * spec.K + k], (k) => spec.W[j * spec.K + k]);
  const bName = spec.w.replace('W', 'b');
  const shared = step === 'attn.k' || step === 'attn.v' ? ` (one of the ${nKvHead} key/value heads' ${D} columns each, which the ${nHead} query heads share)` : '';
  return {
    kind: 'linear',
    ...base,
    definition: `Σₖ ${spec.input}[${t}, k] · ${spec.w}[${j}, k]${spec.bias ? ` + ${bName}[${j}]` : ''}, k = 0…${spec.K - 1}`,
    steps: [spec.bias ? add(...terms, num(spec.bias[j], `(${bName}[${j}])`)) : add(...terms)],
    notes: [
      `${spec.w} is layer ${l}'s ${spec.param}, stored [out, in] as nn.Linear keeps it, so column ${j} of the result reads row ${j}${shared}; ` +
        `${spec.bias ? `${bName} is its bias (Qwen2 adds one to queries, keys and values)` : 'it adds no bias'}. The terms shown are the largest in size.`,
    ],
    inputs: [{ tensor: spec.input, start: t * spec.K, count: spec.K, stride: 1 }],
  };
}

/** x / √(mean of the row's squares + ε) · γ[j]: no mean subtracted, no bias. */
export function rmsNorm(c: Context<Llama>, base: Base, input: TraceName, param: string, gain: Float32Array, t: number, j: number): Formula {
  const { hidden: C, rmsNormEps: eps } = c.model.config;
  const x = traced(c.trace, input).data;
  let meanSquare = 0;
  for (let k = 0; k < C; k++) meanSquare += x[t * C + k] ** 2;
  meanSquare /= C;
  const [xj, ms, g] = [num(x[t * C + j]), num(meanSquare), num(gain[j])];
  return {
    kind: 'rms-norm',
    ...base,
    definition: `x / √(mean(x²) + ε) · γ[${j}], x = ${input}[${t}, ${j}]`,
    steps: [times(over(xj, apply('sqrt', add(ms, exact(eps)))), g), times(num(x[t * C + j] / Math.sqrt(meanSquare + eps)), g)],
    notes: [
      `mean(x²) = ${ms.text} is the mean of the squares of the ${C} numbers in row ${t} of ${input}; ε = ${exact(eps).text} keeps the division safe; γ is ${param}'s learned gain. ` +
        'Unlike layer norm, nothing is subtracted first and no bias is added.',
    ],
    inputs: [{ tensor: input, start: t * C, count: C, stride: 1 }],
  };
}

/** A query or key turned by RoPE: dimension i and i + D/2 of its head are a pair turned by the position's angle. */
export function rotation(c: Context<Llama>, base: Base, l: number, step: 'attn.q_rot' | 'attn.k_rot', t: number, col: number): Formula {
  const { nHead, nKvHead, headDim: D } = c.model.config;
  const half = D / 2;
  const width = (step === 'attn.q_rot' ? nHead : nKvHead) * D;
  const input = block(l, step === 'attn.q_rot' ? 'attn.q' : 'attn.k');
  const x = traced(c.trace, input).data;
  const [h, d] = [Math.floor(col / D), col % D];
  const i = d % half; // the pair's index, and its angle's
  const first = d < half;
  const [a, b] = [x[t * width + h * D + i], x[t * width + h * D + half + i]];
  const cos = traced(c.trace, 'rope.cos').data[t * D + i];
  const sin = traced(c.trace, 'rope.sin').data[t * D + i];
  const angle = traced(c.trace, 'rope.angles').data[t * half + i];
  const [na, nb, nc, ns] = [num(a), num(b), num(cos), num(sin)];
  return {
    kind: 'rotation',
    ...base,
    definition: first
      ? `a · cos θ − b · sin θ, a = ${input}[${t}, ${h * D + i}], b = ${input}[${t}, ${h * D + half + i}], θ = rope.angles[${t}, ${i}]`
      : `b · cos θ + a · sin θ, a = ${input}[${t}, ${h * D + i}], b = ${input}[${t}, ${h * D + half + i}], θ = rope.angles[${t}, ${i}]`,
    steps: [first ? minus(times(na, nc), times(nb, ns)) : add(times(nb, nc), times(na, ns))],
    notes: [
      `Dimensions ${i} and ${half + i} of head ${h} form pair ${i}, turned together by θ = ${num(angle).text} rad (position ${t} × the pair's frequency), ` +
        `so cos θ = ${nc.text} and sin θ = ${ns.text}. Turning a pair keeps its length and moves its angle by θ.`,
    ],
    inputs: [
      { tensor: input, start: t * width + h * D + i, count: 1, stride: 1 },
      { tensor: input, start: t * width + h * D + half + i, count: 1, stride: 1 },
    ],
  };
}

/** SiLU of a gate cell: g / (1 + e^(−g)). */
export function silu(c: Context<Llama>, base: Base, l: number, index: number): Formula {
  const input = block(l, 'mlp.gate');
  const g = num(traced(c.trace, input).data[index]);
  const [t, j] = [Math.floor(index / c.model.config.intermediate), index % c.model.config.intermediate];
  return {
    kind: 'silu',
    ...base,
    definition: `g / (1 + e^(−g)), g = ${input}[${t}, ${j}]`,
    steps: [over(g, add(exact(1), apply('exp', times(exact(-1, '−1'), g))))],
    notes: ['SiLU (x times its sigmoid): close to g for large g, close to 0 for very negative g; it decides how much of the up-projection passes.'],
    inputs: [{ tensor: input, start: index, count: 1, stride: 1 }],
  };
}

/** The gated MLP's cell: SiLU of the gate times the up-projection, at the same place. */
export function gated(c: Context<Llama>, base: Base, l: number, index: number): Formula {
  const [s, u] = [block(l, 'mlp.silu'), block(l, 'mlp.up')];
  const [t, j] = [Math.floor(index / c.model.config.intermediate), index % c.model.config.intermediate];
  return {
    kind: 'product',
    ...base,
    definition: `${s}[${t}, ${j}] · ${u}[${t}, ${j}]`,
    steps: [times(num(traced(c.trace, s).data[index]), num(traced(c.trace, u).data[index]))],
    notes: ['The gate, through SiLU, scales the up-projection feature by feature: the "gated" in SwiGLU.'],
    inputs: [s, u].map((tensor) => ({ tensor, start: index, count: 1, stride: 1 })),
  };
}

/** A row of the token embedding table. */
export function llamaTokenRow(c: Context<Llama>, base: Base, t: number, j: number): Formula {
  const C = c.model.config.hidden;
  const id = c.ids[t];
  return {
    kind: 'token-row',
    ...base,
    definition: `embed_tokens[${id}, ${j}]`,
    steps: [num(c.model.weights.embed_tokens[id * C + j])],
    notes: [`Entry ${j} of row ${id} of the token embedding table: token ${t} is “${c.piece(id)}”, id ${id}. This model has no position table; positions enter through RoPE.`],
    inputs: [{ tensor: 'tokens', start: t, count: 1, stride: 1 }],
  };
}

/** A logit: the final RMSNorm's row dotted with the token's row of the output head. */
export function llamaLogit(c: Context<Llama>, base: Base, t: number, v: number): Formula {
  const C = c.model.config.hidden;
  const x = traced(c.trace, 'rms_f').data;
  const head = c.model.weights.lm_head ?? c.model.weights.embed_tokens; // V × C
  const w = c.model.weights.lm_head ? 'lm_head' : 'embed_tokens';
  const { terms } = dotProduct(C, (k) => x[t * C + k], (k) => head[v * C + k]);
  return {
    kind: 'logit',
    ...base,
    definition: `Σ_c rms_f[${t}, c] · ${w}[${v}, c], c = 0…${C - 1}`,
    steps: [add(...terms)],
    notes: [
      c.model.weights.lm_head
        ? `lm_head is this model's own output head (not tied to the token embeddings); row ${v} scores the token “${c.piece(v)}”.`
        : `The output head is the token embedding table itself (tied weights): row ${v} is the row the token “${c.piece(v)}” is embedded with.`,
    ],
    inputs: [{ tensor: 'rms_f', start: t * C, count: C, stride: 1 }],
  };
}

/** RoPE's angle for a position and a pair: the position times the pair's frequency (after the config's rope scaling). */
export function ropeAngle(c: Context<Llama>, base: Base, t: number, i: number): Formula {
  const { headDim: D, ropeTheta, ropeScaling } = c.model.config;
  const frequency = c.model.invFreq[i];
  const scaled = ropeScaling.kind === 'default' ? '' : `, then the config's ${ropeScaling.kind} rope scaling`;
  return {
    kind: 'angle',
    ...base,
    definition: `${t} · f[${i}], f[${i}] = ${exact(ropeTheta).text}^(−2 · ${i} / ${D})${scaled} (radians per position)`,
    steps: [times(exact(t), num(frequency))],
    notes: [`Position ${t} turns pair ${i} by ${t} times its frequency f[${i}] = ${num(frequency).text}: the first pairs turn fast, the last slowly.`],
    inputs: [],
  };
}

/** The cosine or sine of a traced angle, repeated over both halves of a head. */
export function ropeTrig(c: Context<Llama>, base: Base, which: 'cos' | 'sin', t: number, d: number): Formula {
  const half = c.model.config.headDim / 2;
  const i = d % half;
  const angle = num(traced(c.trace, 'rope.angles').data[t * half + i]);
  return {
    kind: 'angle',
    ...base,
    definition: `${which}(rope.angles[${t}, ${i}]) = ${which}(${angle.text})`,
    steps: [],
    notes: [`Dimensions ${i} and ${half + i} of every head are pair ${i}, so both use its angle at position ${t}.`],
    inputs: [{ tensor: 'rope.angles', start: t * half + i, count: 1, stride: 1 }],
  };
}
