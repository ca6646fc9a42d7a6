// The trace: the one contract between the model and everything that shows it.
// A forward pass can record every intermediate tensor under these names (ARCHITECTURE.md).
// Shape legend: T tokens, C width, n_head heads of size H, V vocabulary.

import type { GPTConfig } from './config.ts';
import type { Tensor } from './tensor.ts';

export type Trace = Map<string, Tensor>;

export interface TraceEntry {
  name: string;
  shape: number[];
  what: string;
}

/** Every traced tensor, in the order the forward pass computes it, with its expected shape. */
export function traceTable(config: GPTConfig, T: number): TraceEntry[] {
  const { nEmbd: C, nHead, vocabSize: V } = config;
  const H = C / nHead;
  const entries: TraceEntry[] = [
    { name: 'embed.token', shape: [T, C], what: 'rows of the token embedding table' },
    { name: 'embed.position', shape: [T, C], what: 'rows of the position embedding table' },
    { name: 'embed.sum', shape: [T, C], what: 'their sum, the input of block 0' },
  ];
  for (let l = 0; l < config.nLayer; l++) {
    const h = `h.${l}`;
    entries.push(
      { name: `${h}.ln_1`, shape: [T, C], what: 'layer norm before attention' },
      { name: `${h}.attn.q`, shape: [T, C], what: 'queries, before splitting into heads' },
      { name: `${h}.attn.k`, shape: [T, C], what: 'keys, before splitting into heads' },
      { name: `${h}.attn.v`, shape: [T, C], what: 'values, before splitting into heads' },
      { name: `${h}.attn.scores`, shape: [nHead, T, T], what: 'Q Kᵀ / √H, before the mask' },
      { name: `${h}.attn.weights`, shape: [nHead, T, T], what: 'after the causal mask and softmax' },
      { name: `${h}.attn.heads`, shape: [nHead, T, H], what: 'weights × V, per head' },
      { name: `${h}.attn.concat`, shape: [T, C], what: 'heads side by side' },
      { name: `${h}.attn.proj`, shape: [T, C], what: 'after the output projection' },
      { name: `${h}.resid_1`, shape: [T, C], what: 'block input + attention output' },
      { name: `${h}.ln_2`, shape: [T, C], what: 'layer norm before the MLP' },
      { name: `${h}.mlp.fc`, shape: [T, 4 * C], what: 'first linear map' },
      { name: `${h}.mlp.gelu`, shape: [T, 4 * C], what: 'after GELU' },
      { name: `${h}.mlp.proj`, shape: [T, C], what: 'second linear map' },
      { name: `${h}.out`, shape: [T, C], what: "resid_1 + MLP output: the block's output" },
    );
  }
  entries.push(
    { name: 'ln_f', shape: [T, C], what: 'final layer norm' },
    { name: 'logits', shape: [T, V], what: 'scores over the vocabulary' },
    { name: 'probs', shape: [T, V], what: 'softmax of the logits (temperature 1)' },
  );
  return entries;
}

/** Looks a tensor up by name, with a message that names what is missing. */
export function traced(trace: Trace, name: string): Tensor {
  const t = trace.get(name);
  if (!t) throw new Error(`trace has no tensor named "${name}"`);
  return t;
}
