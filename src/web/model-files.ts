// The files a model is built from, as the worker gathers them, and the Llama family's own: its
// tokenizer (tokenizer.json, tokenizer_config.json) and its weights, in one model.safetensors or
// in the shards model.safetensors.index.json names, from the reader's files or from the hub.
// GPT-2's files are read in model-worker.ts; which family a folder is comes from its config.json.

import { ModelError } from '../model/config.ts';
import { WEIGHTS_FILE } from '../model/checkpoint.ts';
import { llamaConfigFromJson } from '../model/llama-config.ts';
import { checkLlamaWeightsFit, familyOf, INDEX_FILE, jsonObject, shardsOfIndex, TOKENIZER_CONFIG, TOKENIZER_JSON, type ModelFamily } from '../model/llama-checkpoint.ts';
import { cacheEntry, cachedText, fetchBytes, fetchIfPresent, hubFileUrl, isCached, type Progress } from './model-download.ts';

/** One file fetched from the hub: kept in the cache once the model is built from it, evicted if not. */
export interface FetchedFile {
  url: string;
  /** null: the repository has no such file (remembered, so a cached load asks nothing). */
  bytes: Uint8Array | null;
  fromCache: boolean;
}

export interface ModelFiles {
  name: string;
  family: ModelFamily;
  configText: string;
  /** The weight files by name: model.safetensors, or the shards an index names. */
  weights: Map<string, Uint8Array>;
  /** GPT-2: animated-transformer.json's text (which tokenizer), or null for GPT-2's own. */
  metaText: string | null;
  /** Llama family: tokenizer.json's text, and tokenizer_config.json's (null when absent). */
  tokenizer: { json: string; config: string | null } | null;
  fromCache: boolean;
  /** A hub download: every file fetched, config.json first. */
  hub?: FetchedFile[];
}

/** Thrown for a load that failed on files already fetched: which they were, so cached ones can be evicted. */
export class LoadFailure extends Error {
  constructor(
    readonly reason: Error,
    readonly fetched: FetchedFile[],
  ) {
    super(reason.message);
  }
}

const decoder = new TextDecoder();

/** config.json's family; GPT-2 for a file that is not a JSON object (GPT-2's loader says what is wrong with it). */
export function familyOfText(configText: string, where: string): ModelFamily {
  let json;
  try {
    json = jsonObject(configText, where);
  } catch {
    return 'gpt2';
  }
  return familyOf(json, where);
}

/** The reader's files of a Llama-family folder: config.json, tokenizer.json (and its config), the weights. */
export async function pickedLlamaFiles(files: File[], configText: string, name: string): Promise<ModelFiles> {
  const byName = (file: string) => files.find((f) => f.name === file);
  const picked = files.map((f) => f.name).join(', ');
  const tokenizer = byName(TOKENIZER_JSON);
  if (!tokenizer) {
    throw new ModelError(`This config.json is a Llama-family model, which reads with its own tokenizer.json; you picked ${picked}. Pick tokenizer.json too (and tokenizer_config.json), or the whole folder.`);
  }
  const index = byName(INDEX_FILE);
  const single = byName(WEIGHTS_FILE);
  const names = single ? [WEIGHTS_FILE] : index ? shardsOfIndex(await index.text(), `${name}/${INDEX_FILE}`) : [];
  if (names.length === 0) throw new ModelError(`A model needs its weights: model.safetensors, or ${INDEX_FILE} and the shards it names; you picked ${picked}.`);
  const weights = new Map<string, Uint8Array>();
  for (const file of names) {
    const f = byName(file);
    if (!f) throw new ModelError(`${INDEX_FILE} names ${file}, which is not among the files you picked (${picked}). Pick every shard, or the whole folder.`);
    weights.set(file, new Uint8Array(await f.arrayBuffer()));
  }
  const tokenizerConfig = byName(TOKENIZER_CONFIG);
  return {
    name,
    family: 'llama',
    configText,
    weights,
    metaText: null,
    tokenizer: { json: await tokenizer.text(), config: tokenizerConfig ? await tokenizerConfig.text() : null },
    fromCache: false,
  };
}

interface HubRead {
  repo: string;
  hubBase: string;
  signal: AbortSignal;
  progress: (file: string) => Progress;
}

/**
 * A Llama-family repository on the hub, config.json already fetched: its config is checked
 * first, then the tokenizer's files, then the weights (model.safetensors, or the index and its
 * shards), each from the cache when it is there. A 404 for an optional file is remembered.
 */
export async function hubLlamaFiles(read: HubRead, config: FetchedFile & { bytes: Uint8Array }): Promise<ModelFiles> {
  const fetched: FetchedFile[] = [config];
  const url = (file: string) => hubFileUrl(read.hubBase, read.repo, file);
  const where = (file: string) => `${read.repo}/${file}`;
  const configText = decoder.decode(config.bytes);
  const get = async (file: string, optional: boolean, checkSize?: (total: number | null) => void): Promise<Uint8Array | null> => {
    const options = { signal: read.signal, onProgress: read.progress(file), readCache: true, checkSize };
    try {
      const got = optional ? await fetchIfPresent(url(file), options) : await fetchBytes(url(file), options);
      fetched.push({ url: url(file), ...got });
      return got.bytes;
    } catch (error) {
      throw error instanceof ModelError ? new LoadFailure(error, fetched) : error;
    }
  };
  let shape;
  try {
    // A wrong config.json is refused before anything else is downloaded or sized from it.
    shape = llamaConfigFromJson(jsonObject(configText, where('config.json')), where('config.json'));
  } catch (error) {
    throw new LoadFailure(error as Error, fetched);
  }
  const tokenizerJson = decoder.decode((await get(TOKENIZER_JSON, false))!);
  const tokenizerConfig = await get(TOKENIZER_CONFIG, true);
  const weights = new Map<string, Uint8Array>();
  const single = await get(WEIGHTS_FILE, true, (total) => {
    if (total !== null) checkLlamaWeightsFit(shape, total, where(WEIGHTS_FILE), where('config.json'));
  });
  if (single) weights.set(WEIGHTS_FILE, single);
  else {
    const index = decoder.decode((await get(INDEX_FILE, false))!);
    let shards;
    try {
      shards = shardsOfIndex(index, where(INDEX_FILE));
    } catch (error) {
      throw new LoadFailure(error as Error, fetched);
    }
    for (const shard of shards) weights.set(shard, (await get(shard, false))!);
  }
  return {
    name: read.repo,
    family: 'llama',
    configText,
    weights,
    metaText: null,
    tokenizer: { json: tokenizerJson, config: tokenizerConfig === null ? null : decoder.decode(tokenizerConfig) },
    fromCache: fetched.every((f) => f.fromCache),
    hub: fetched,
  };
}

/**
 * True when every file a Llama-family repository loads from is in the cache (its config.json
 * is), so loading it asks the server nothing.
 */
export async function hubLlamaCached(hubBase: string, repo: string): Promise<boolean> {
  const url = (file: string) => hubFileUrl(hubBase, repo, file);
  const names = [TOKENIZER_JSON, TOKENIZER_CONFIG, WEIGHTS_FILE];
  if ((await cacheEntry(url(WEIGHTS_FILE))) === 'absent') {
    // No single file: the index and its shards.
    const index = await cachedText(url(INDEX_FILE));
    if (index === null) return false;
    try {
      names.push(...shardsOfIndex(index, INDEX_FILE));
    } catch {
      return true; // cached but broken: loading it reports that, and evicts it
    }
  }
  return (await Promise.all(names.map((file) => isCached(url(file))))).every(Boolean);
}
