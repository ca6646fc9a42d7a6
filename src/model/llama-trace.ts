// The Llama family's traced tensors: GPT-2's names where the step is the same (trace.ts), new
// names where it differs (RMSNorm, RoPE, the gated MLP).
// Shape legend: T tokens, C width, nH query heads and nKV key/value heads of size D, I MLP width, V vocabulary.

import type { LlamaConfig } from './llama-config.ts';
import { block, type TraceName, type ValueEntry } from './registry.ts';

type TraceEntry = ValueEntry & { name: TraceName };

/** Every traced tensor, in the order the forward pass computes it, with its expected shape. */
export function llamaTraceTable(config: LlamaConfig, T: number): TraceEntry[] {
  const { hidden: C, nHead, nKvHead, headDim: D, intermediate: I, vocabSize: V } = config;
  const entries: TraceEntry[] = [
    { name: 'embed.token', shape: [T, C], what: 'rows of the token embedding table (no position table)' },
    { name: 'rope.angles', shape: [T, D / 2], what: 'position × frequency: how far each pair of dimensions turns' },
    { name: 'rope.cos', shape: [T, D], what: 'cosine of each angle, repeated over both halves of a head' },
    { name: 'rope.sin', shape: [T, D], what: 'sine of each angle, repeated over both halves of a head' },
  ];
  for (let l = 0; l < config.nLayer; l++) {
    entries.push(
      { name: block(l, 'rms_1'), shape: [T, C], what: 'RMSNorm before attention' },
      { name: block(l, 'attn.q'), shape: [T, nHead * D], what: 'queries, before RoPE' },
      { name: block(l, 'attn.k'), shape: [T, nKvHead * D], what: 'keys (one per key/value head), before RoPE' },
      { name: block(l, 'attn.v'), shape: [T, nKvHead * D], what: 'values (one per key/value head)' },
      { name: block(l, 'attn.q_rot'), shape: [T, nHead * D], what: 'queries turned by their position (RoPE)' },
      { name: block(l, 'attn.k_rot'), shape: [T, nKvHead * D], what: 'keys turned by their position (RoPE)' },
      { name: block(l, 'attn.scores'), shape: [nHead, T, T], what: 'Q Kᵀ / √D with each query head\'s shared key head, before the mask' },
      { name: block(l, 'attn.weights'), shape: [nHead, T, T], what: 'after the causal mask and softmax' },
      { name: block(l, 'attn.heads'), shape: [nHead, T, D], what: 'weights × V, per query head' },
      { name: block(l, 'attn.concat'), shape: [T, nHead * D], what: 'heads side by side' },
      { name: block(l, 'attn.proj'), shape: [T, C], what: 'after the output projection' },
      { name: block(l, 'resid_1'), shape: [T, C], what: 'block input + attention output' },
      { name: block(l, 'rms_2'), shape: [T, C], what: 'RMSNorm before the MLP' },
      { name: block(l, 'mlp.gate'), shape: [T, I], what: 'gate projection' },
      { name: block(l, 'mlp.up'), shape: [T, I], what: 'up projection' },
      { name: block(l, 'mlp.silu'), shape: [T, I], what: 'SiLU of the gate' },
      { name: block(l, 'mlp.act'), shape: [T, I], what: 'silu(gate) × up' },
      { name: block(l, 'mlp.proj'), shape: [T, C], what: 'down projection' },
      { name: block(l, 'out'), shape: [T, C], what: "resid_1 + MLP output: the block's output" },
    );
  }
  entries.push(
    { name: 'rms_f', shape: [T, C], what: 'final RMSNorm' },
    { name: 'logits', shape: [T, V], what: 'scores over the vocabulary' },
    { name: 'probs', shape: [T, V], what: 'softmax of the logits (temperature 1)' },
  );
  return entries;
}
