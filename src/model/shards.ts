// Sharded checkpoints: model.safetensors.index.json names, for every tensor, the shard file that
// holds it ({"metadata": {...}, "weight_map": {"tensor": "model-00001-of-00002.safetensors"}}).
// Every family's loader reads the index here, in Node and in the page.

import { ModelError } from './config.ts';

export const INDEX_FILE = 'model.safetensors.index.json';

export interface ShardIndex {
  /** Tensor name → the shard file holding it. */
  weightMap: Map<string, string>;
  /** The shard files, in order of first use. */
  shards: string[];
}

/** A shard's name must be a plain file name beside the index (no folders, nothing hidden). */
const SHARD_NAME = /^[\w.-]+\.safetensors$/;

/** Parses and checks an index's text; ModelError if it is malformed. */
export function parseIndex(indexText: string, where: string): ShardIndex {
  let json: unknown;
  try {
    json = JSON.parse(indexText);
  } catch (e) {
    throw new ModelError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map) || !Object.values(map).every((v) => typeof v === 'string')) {
    throw new ModelError(`${where}: expected {"weight_map": {"tensor name": "shard file", ...}}`);
  }
  const weightMap = new Map(Object.entries(map as Record<string, string>));
  const shards = [...new Set(weightMap.values())];
  const odd = shards.find((s) => !SHARD_NAME.test(s) || s.startsWith('.'));
  if (odd !== undefined) throw new ModelError(`${where}: names the shard ${JSON.stringify(odd)}; shards must be .safetensors files beside the index`);
  if (shards.length === 0) throw new ModelError(`${where}: its weight_map names no tensors`);
  return { weightMap, shards };
}

/** The shard files an index names, in order of first use; ModelError if the index is malformed. */
export function shardsOfIndex(indexText: string, where: string): string[] {
  return parseIndex(indexText, where).shards;
}
