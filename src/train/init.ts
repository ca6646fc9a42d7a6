// GPT-2's initialisation, as nanoGPT does it: every weight matrix and embedding drawn from
// N(0, 0.02²), the two projections that write into the residual stream (attn.c_proj and
// mlp.c_proj) scaled down by 1/√(2·n_layer) so the stream's variance does not grow with depth,
// biases 0, layer norm gains 1.

import type { TrainModel } from './model.ts';
import { Rng } from './rng.ts';

export function initGPT2(model: TrainModel, seed: number): void {
  const rng = new Rng(seed);
  const residualStd = 0.02 / Math.sqrt(2 * model.config.nLayer);
  const p = model.params;
  for (const slot of model.slots) {
    const data = p.subarray(slot.offset, slot.offset + slot.size);
    if (slot.name.endsWith('ln_1.weight') || slot.name.endsWith('ln_2.weight') || slot.name === 'ln_f.weight') {
      data.fill(1);
    } else if (slot.shape.length === 1) {
      data.fill(0);
    } else {
      const std = slot.name.endsWith('c_proj.weight') ? residualStd : 0.02;
      for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
    }
  }
}
