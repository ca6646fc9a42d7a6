// Writes a GPT-2 folder with its weights split into shards and model.safetensors.index.json, as
// Hugging Face saves large checkpoints, so tests of sharded loading need no binary fixture.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configToHuggingFace, type GPTConfig } from '../../src/model/config.ts';
import { writeSafetensors } from '../../src/model/safetensors.ts';
import { namedParameters, type GPTWeights } from '../../src/model/weights.ts';

/** Shard file names as transformers writes them. */
export const shardName = (i: number, n: number): string => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;

/** Writes config.json, `shards` shard files (tensors dealt round-robin, F32 or F16) and the index into `dir`. */
export function writeShardedModel(dir: string, config: GPTConfig, weights: GPTWeights, shards: number, dtype: 'F32' | 'F16' = 'F32'): string {
  mkdirSync(dir, { recursive: true });
  const tensors = namedParameters(config, weights).map((t) => ({ ...t, name: `transformer.${t.name}` }));
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const mine = tensors.filter((_, i) => i % shards === s);
    for (const t of mine) weightMap[t.name] = shardName(s, shards);
    writeFileSync(join(dir, shardName(s, shards)), writeSafetensors(mine, { dtype, metadata: { format: 'pt' } }));
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }, null, 2));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configToHuggingFace(config), null, 2));
  return dir;
}
