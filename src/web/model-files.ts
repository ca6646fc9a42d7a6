// What a Llama-family folder adds to the files a model loads from (model-sources.ts): which
// family a config.json names, and the folder's own tokenizer (tokenizer.json, and
// tokenizer_config.json when the folder has one), from the reader's files or from the hub.

import { ModelError } from '../model/config.ts';
import { familyOf, jsonObject, TOKENIZER_CONFIG, TOKENIZER_JSON, type ModelFamily } from '../model/llama-checkpoint.ts';
import { cached, fetchBytes, fetchIfPresent, hubFileUrl, type Progress } from './model-download.ts';

/** A Llama-family folder's tokenizer files, as text (tokenizer_config.json's null when the folder has none). */
export interface TokenizerFiles {
  json: string;
  config: string | null;
}

/** One small file fetched from the hub, to keep in the cache once the model has loaded (bytes null: the repository has none). */
export interface SmallHubFile {
  url: string;
  bytes: Uint8Array | null;
  fromCache: boolean;
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

/** The tokenizer files among the reader's picked files; ModelError naming what to pick when tokenizer.json is not there. */
export async function pickedTokenizer(files: ReadonlyMap<string, File>, picked: string): Promise<TokenizerFiles> {
  const json = files.get(TOKENIZER_JSON);
  if (!json) {
    throw new ModelError(`This config.json is a Llama-family model, which reads with its own tokenizer.json; you picked ${picked}. Pick tokenizer.json too (and tokenizer_config.json), or the whole folder.`);
  }
  const config = files.get(TOKENIZER_CONFIG);
  return { json: await json.text(), config: config ? await config.text() : null };
}

/**
 * A hub repository's tokenizer files, each from the cache when it is there: tokenizer.json, then
 * tokenizer_config.json, whose absence (404) is noted in `small` too, so a cached reload asks
 * the server nothing. `touched` records each URL asked for (URL → whether the cache had it).
 */
export async function hubTokenizer(
  read: { hubBase: string; repo: string; signal: AbortSignal; progress: (file: string) => Progress },
  small: SmallHubFile[],
  touched: Map<string, boolean>,
): Promise<TokenizerFiles> {
  const url = (file: string) => hubFileUrl(read.hubBase, read.repo, file);
  const options = (file: string) => ({ signal: read.signal, onProgress: read.progress(file), readCache: true });
  const json = await fetchBytes(url(TOKENIZER_JSON), options(TOKENIZER_JSON));
  const config = await fetchIfPresent(url(TOKENIZER_CONFIG), options(TOKENIZER_CONFIG));
  for (const [file, got] of [[TOKENIZER_JSON, json], [TOKENIZER_CONFIG, config]] as const) {
    touched.set(url(file), got.fromCache);
    small.push({ url: url(file), bytes: got.bytes, fromCache: got.fromCache });
  }
  return { json: decoder.decode(json.bytes), config: config.bytes === null ? null : decoder.decode(config.bytes) };
}

/** True when a Llama-family repository's tokenizer files are in the cache (tokenizer_config.json, or the note that it has none). */
export async function hubTokenizerCached(hubBase: string, repo: string): Promise<boolean> {
  const found = await Promise.all([TOKENIZER_JSON, TOKENIZER_CONFIG].map((file) => cached(hubFileUrl(hubBase, repo, file))));
  return found.every((hit) => hit !== undefined);
}
