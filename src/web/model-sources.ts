// What the worker loads a model from, found before any weight is read: the reader's picked files
// (one model.safetensors, or the shards model.safetensors.index.json names), a hub repository
// (the same, with each weights file's size asked for without its bytes), or bytes the page
// fetched (the built-in model). Each weights file becomes a stream of its bytes. A Llama-family
// folder (its config.json says which) also brings its own tokenizer's files (model-files.ts).

import { ModelError } from '../model/config.ts';
import { CONFIG_FILE, WEIGHTS_FILE } from '../model/checkpoint.ts';
import type { WeightsSource } from '../model/checkpoint-read.ts';
import { INDEX_FILE, parseIndex, type ShardIndex } from '../model/shards.ts';
import { TOKENIZER_FILE } from '../model/tokenizer-file.ts';
import { cached, fetchBytes, fileSize, hubFileUrl, isMissing, streamFile, type Progress } from './model-download.ts';
import type { WorkerModelSource } from './worker-protocol.ts';
import type { ModelFamily } from '../model/llama-checkpoint.ts';
import { familyOfText, hubTokenizer, pickedTokenizer, type SmallHubFile, type TokenizerFiles } from './model-files.ts';

/** A model folder, its small files read, its weights files sized and ready to stream. */
export interface FolderToLoad {
  name: string;
  /** Which family config.json names: GPT-2's layout, or the Llama family's. */
  family: ModelFamily;
  configText: string;
  /** GPT-2: animated-transformer.json's text (which tokenizer), or null for GPT-2's own. */
  metaText: string | null;
  /** The Llama family: the folder's own tokenizer files. */
  tokenizer: TokenizerFiles | null;
  index: ShardIndex | null;
  weights: WeightsSource[];
  fromCache: boolean;
  /**
   * For a hub repository: its small files, to keep in the cache once the model has loaded from
   * them; and why the cache refused a weights file, if it did (the model loads all the same).
   */
  hub?: { small: SmallHubFile[]; storeFailed?: string };
}

const decoder = new TextDecoder();

/** A ReadableStream's chunks as an async iterable (cancelled if the loop stops early). */
async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield value;
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
}

/**
 * The picked files: config.json, and model.safetensors or an index with every shard it names.
 * Only the small files are read; the weights are sized (File.size) and streamed later.
 */
async function filesFolder(files: readonly File[], givenName?: string): Promise<FolderToLoad> {
  const byName = new Map(files.map((f) => [f.name, f]));
  const picked = files.map((f) => f.name).join(', ') || 'nothing';
  const configFile = byName.get(CONFIG_FILE);
  const indexFile = byName.get(INDEX_FILE);
  const first = indexFile ?? byName.get(WEIGHTS_FILE);
  if (!configFile || !first) {
    throw new ModelError(
      `A model needs both config.json and model.safetensors (or ${INDEX_FILE} and the shards it names); you picked ${picked}. Pick the files (or the folder holding them).`,
    );
  }
  // What the scenes call the model: the name it was given (a model trained in the tab), else the picked folder's.
  const name = (givenName ?? (first.webkitRelativePath.split('/')[0] || 'the model you picked')).slice(0, 80);
  const index = indexFile ? parseIndex(await indexFile.text(), `${name}/${INDEX_FILE}`) : null;
  const names = index?.shards ?? [WEIGHTS_FILE];
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw new ModelError(`${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing: ${INDEX_FILE} names ${names.length} shards. Pick all of them (or the folder holding them).`);
  }
  const meta = byName.get(TOKENIZER_FILE);
  const configText = await configFile.text();
  const family = familyOfText(configText, `${name}/${CONFIG_FILE}`);
  return {
    name,
    family,
    configText,
    metaText: meta ? await meta.text() : null,
    tokenizer: family === 'llama' ? await pickedTokenizer(byName, picked) : null,
    index,
    weights: names.map((shard) => {
      const file = byName.get(shard)!;
      return { name: shard, size: file.size, chunks: () => chunksOf(file.stream()) };
    }),
    fromCache: false,
  };
}

/**
 * A hub repository: config.json first (a wrong one is refused before anything else is asked),
 * a Llama-family repository's tokenizer files, then the weights' layout and sizes:
 * model.safetensors's size by a HEAD request, or, when it is not there, the index and each
 * shard's size. Nothing of the weights is downloaded here.
 */
async function hubFolder(source: Extract<WorkerModelSource, { kind: 'hub' }>, signal: AbortSignal, progress: (file: string) => Progress, checkConfig: (text: string) => void, touched: Map<string, boolean>): Promise<FolderToLoad> {
  const url = (file: string) => hubFileUrl(source.hubBase, source.repo, file);
  const small: NonNullable<FolderToLoad['hub']>['small'] = [];
  const folder: FolderToLoad = { name: source.repo, family: 'gpt2', configText: '', metaText: null, tokenizer: null, index: null, weights: [], fromCache: true, hub: { small } };
  const config = await fetchBytes(url(CONFIG_FILE), { signal, onProgress: progress(CONFIG_FILE), readCache: true });
  touched.set(url(CONFIG_FILE), config.fromCache);
  small.push({ url: url(CONFIG_FILE), bytes: config.bytes, fromCache: config.fromCache });
  folder.configText = decoder.decode(config.bytes);
  checkConfig(folder.configText);
  folder.family = familyOfText(folder.configText, `${source.repo}/${CONFIG_FILE}`);
  if (folder.family === 'llama') folder.tokenizer = await hubTokenizer({ ...source, signal, progress }, small, touched);

  // The single file when the cache or the hub has it; else the shards.
  let single: { size: number | null; fromCache: boolean } | null = null;
  const indexCached = await cached(url(INDEX_FILE));
  if (!indexCached) {
    try {
      single = await fileSize(url(WEIGHTS_FILE), signal, true);
      touched.set(url(WEIGHTS_FILE), single.fromCache);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  if (single) {
    folder.weights = [hubSource(url(WEIGHTS_FILE), WEIGHTS_FILE, single.size, signal, folder)];
    folder.fromCache &&= single.fromCache;
  } else {
    const indexBytes = await fetchBytes(url(INDEX_FILE), { signal, onProgress: progress(INDEX_FILE), readCache: true });
    touched.set(url(INDEX_FILE), indexBytes.fromCache);
    small.push({ url: url(INDEX_FILE), bytes: indexBytes.bytes, fromCache: indexBytes.fromCache });
    folder.index = parseIndex(decoder.decode(indexBytes.bytes), `${source.repo}/${INDEX_FILE}`);
    for (const shard of folder.index.shards) {
      const sized = await fileSize(url(shard), signal, true);
      touched.set(url(shard), sized.fromCache);
      folder.weights.push(hubSource(url(shard), shard, sized.size, signal, folder));
      folder.fromCache &&= sized.fromCache;
    }
  }
  folder.fromCache &&= small.every((f) => f.fromCache);
  return folder;
}

function hubSource(url: string, name: string, size: number | null, signal: AbortSignal, folder: FolderToLoad): WeightsSource {
  const onStoreFailed = (reason: string) => void (folder.hub!.storeFailed ??= reason);
  return { name, size, chunks: () => streamFile(url, { signal, readCache: true, store: true, onStoreFailed }) };
}

/**
 * The folder a load reads from. `checkConfig` may refuse a hub repository's config.json before
 * more is asked; `touched` records each hub file asked for (URL → whether the cache had it).
 */
export async function folderToLoad(
  source: WorkerModelSource,
  signal: AbortSignal,
  progress: (file: string) => Progress,
  checkConfig: (text: string) => void,
  touched: Map<string, boolean>,
): Promise<FolderToLoad> {
  if (source.kind === 'files') return filesFolder(source.files, source.name);
  if (source.kind === 'hub') return hubFolder(source, signal, progress, checkConfig, touched);
  const { weights } = source;
  return {
    name: source.name,
    family: 'gpt2',
    configText: source.configText,
    metaText: source.metaText,
    tokenizer: null,
    index: null,
    weights: [{ name: WEIGHTS_FILE, size: weights.length, chunks: async function* () { yield weights; } }],
    fromCache: false,
  };
}
