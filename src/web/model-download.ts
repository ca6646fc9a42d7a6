// Fetching model files the reader asked for: with byte progress, cancellation, and the browser's
// Cache API so a 548 MB download from the hub happens once. Files' sizes are asked for first
// (HEAD), without their bytes; large files are streamed, passing through to the cache as they
// arrive, never held whole. Runs in the worker or the page. Nothing here decides *what* to
// fetch; the page only fetches after the reader asks.

import { INDEX_FILE, parseIndex } from '../model/shards.ts';

/** The one cache the page keeps model files in (bump the suffix if the stored layout changes). */
const MODEL_CACHE = 'animated-transformer-models-v1';

/** Where the hub lives; tests point it at a local server standing in for huggingface.co. */
export function hubBase(): string {
  const configured = (globalThis as { ANIMATED_TRANSFORMER_HUB?: unknown }).ANIMATED_TRANSFORMER_HUB;
  return typeof configured === 'string' ? configured.replace(/\/+$/, '') : 'https://huggingface.co';
}

/** The URL of one file of a hub repository, on its main branch. */
export function hubFileUrl(base: string, repo: string, file: string): string {
  return `${base}/${repo}/resolve/main/${file}`;
}

export type Progress = (loadedBytes: number, totalBytes: number | null) => void;

/** Thrown when the reader cancels a download. */
export class DownloadCancelled extends Error {
  override name = 'DownloadCancelled';
}

/** Thrown for a missing file or a server error: the message names the URL and the status. */
export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    /** The server's HTTP status, when it answered with an error. */
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

function cacheAvailable(): boolean {
  return typeof caches !== 'undefined';
}

/** The cached response for `url`, if the cache holds one (no network request). */
export async function cached(url: string): Promise<Response | undefined> {
  if (!cacheAvailable()) return undefined;
  return (await caches.open(MODEL_CACHE)).match(url);
}

/** A response's exact body length from its content-length, or null (none, or a compressed body). */
function exactLength(response: Response): number | null {
  const header = response.headers.get('content-length');
  const encoding = response.headers.get('content-encoding');
  const plain = encoding === null || encoding.trim().toLowerCase() === 'identity';
  return header !== null && plain && /^\d+$/.test(header.trim()) ? Number(header) : null;
}

/**
 * A file's size without its bytes: the cached copy's, else a HEAD request's content-length (the
 * hub redirects a large file to its storage, and `fetch` follows). Null when the server does not
 * say; DownloadError when the file is not there.
 */
export async function fileSize(url: string, signal: AbortSignal, readCache: boolean): Promise<{ size: number | null; fromCache: boolean }> {
  const hit = readCache ? await cached(url) : undefined;
  if (hit) return { size: exactLength(hit), fromCache: true };
  const response = await request(url, { method: 'HEAD', signal });
  // The hub names a large file's size in x-linked-size on the redirect; after it, content-length.
  const linked = response.headers.get('x-linked-size');
  return { size: exactLength(response) ?? (linked !== null && /^\d+$/.test(linked) ? Number(linked) : null), fromCache: false };
}

/** fetch, with its failures as DownloadCancelled or DownloadError, and a 404 or 500 as DownloadError. */
async function request(url: string, init: RequestInit & { signal: AbortSignal }): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (init.signal.aborted) throw new DownloadCancelled('The download was cancelled.');
    throw new DownloadError(`Could not reach ${url} (${(error as Error).message}). Check the address and your connection.`);
  }
  if (!response.ok) {
    throw new DownloadError(`${url} answered ${response.status} ${response.statusText}: check that the repository and file exist.`, response.status);
  }
  return response;
}

/** Thrown when a file is not there (404), so a caller can try another layout (shards). */
export const isMissing = (error: unknown): boolean => error instanceof DownloadError && error.status === 404;

/**
 * A large file's bytes as they arrive: the cached copy's, or a download's, which passes through
 * to the cache as it goes (`store`), written at the pace it is read, so neither side holds it
 * whole. The cached copy is complete only if the whole file came; a download that breaks off or
 * is abandoned (the reader stopped: a bad file, a cancel) leaves nothing in the cache. When the
 * cache refuses the file (its quota, say) the download goes on and `onStoreFailed` says why.
 */
export async function* streamFile(
  url: string,
  options: { signal: AbortSignal; readCache: boolean; store: boolean; onStoreFailed?: (reason: string) => void },
): AsyncGenerator<Uint8Array> {
  const hit = options.readCache ? await cached(url) : undefined;
  const response = hit ?? (await request(url, { signal: options.signal }));
  const total = exactLength(response);
  if (!response.body) throw new DownloadError(`${url} came with no body.`);
  const reader = response.body.getReader();
  const cache = !hit && options.store && cacheAvailable() ? await caches.open(MODEL_CACHE) : null;
  const pipe = cache ? new TransformStream<Uint8Array, Uint8Array>() : null;
  let writer = pipe?.writable.getWriter() ?? null;
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', ...(total !== null ? { 'content-length': String(total) } : {}) };
  const stored = cache && pipe ? cache.put(url, new Response(pipe.readable, { headers })) : null;
  const storeFailed = (error: unknown) => {
    if (!writer) return;
    writer = null;
    options.onStoreFailed?.((error as Error).message);
  };
  stored?.catch(storeFailed);
  let received = 0;
  let complete = false;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (options.signal.aborted) throw new DownloadCancelled('The download was cancelled.');
        throw new DownloadError(`The download of ${url} broke off after ${received} bytes (${(error as Error).message}); nothing was kept. Press Download to try again.`);
      }
      if (chunk.done) break;
      received += chunk.value.length;
      if (total !== null && received > total) throw lengthError(url, received, total);
      if (writer) {
        // At the cache's pace: the chunk is handed on only once the last ones are written.
        await writer.ready.catch(storeFailed);
        writer?.write(chunk.value).catch(storeFailed);
      }
      yield chunk.value;
    }
    if (total !== null && received !== total) throw lengthError(url, received, total);
    if (writer && stored) {
      await writer.close().catch(storeFailed);
      await stored.catch(storeFailed);
    }
    complete = true;
  } finally {
    if (!complete) {
      // Abandoned or failed: the partial copy must not be kept.
      await writer?.abort(new Error('incomplete')).catch(() => {});
      await stored?.catch(() => {});
      await reader.cancel().catch(() => {});
    }
    if (cache && (!complete || !writer)) await cache.delete(url).catch(() => {});
  }
}

export interface FetchOptions {
  signal: AbortSignal;
  onProgress: Progress;
  /** Look in the cache first. Nothing is stored here: the caller stores files once they have loaded. */
  readCache: boolean;
}

/** The bytes at `url`: from the cache when allowed and present, otherwise downloaded with progress. */
export async function fetchBytes(url: string, options: FetchOptions): Promise<{ bytes: Uint8Array; fromCache: boolean }> {
  const hit = options.readCache ? await cached(url) : undefined;
  if (hit) return { bytes: await readBody(hit, options), fromCache: true };
  return { bytes: await readBody(await request(url, { signal: options.signal }), options), fromCache: false };
}

/**
 * A file a repository may or may not have (a Llama-family tokenizer_config.json): its bytes, or
 * null when the server says 404. That answer is remembered with the other files (storeAbsent),
 * so a cached model loads again without asking the server.
 */
export async function fetchIfPresent(url: string, options: FetchOptions): Promise<{ bytes: Uint8Array | null; fromCache: boolean }> {
  const hit = options.readCache ? await cached(url) : undefined;
  if (hit?.status === 404) return { bytes: null, fromCache: true };
  try {
    return await fetchBytes(url, options);
  } catch (error) {
    if (isMissing(error)) return { bytes: null, fromCache: false };
    throw error;
  }
}

/** Remembers that a repository has no file at `url` (see fetchIfPresent); only once its model has loaded. */
export async function storeAbsent(url: string): Promise<void> {
  if (!cacheAvailable()) return;
  const cache = await caches.open(MODEL_CACHE);
  await cache.put(url, new Response(null, { status: 404 }));
}

/** The text of a small file in the cache (null when it is not there, or is the note that the repository has none), without the network. */
export async function cachedText(url: string): Promise<string | null> {
  const hit = await cached(url);
  return hit?.ok ? hit.text() : null;
}

/** Keeps bytes in the cache under `url`; only for files that have been loaded into a working model. */
export async function storeBytes(url: string, bytes: Uint8Array): Promise<void> {
  if (!cacheAvailable()) return;
  const cache = await caches.open(MODEL_CACHE);
  await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } }));
}

/** Removes every cached file whose URL starts with `prefix`: a repository's whole folder (a copy that failed to load must not be served again). */
export async function evictFolder(prefix: string): Promise<void> {
  if (!cacheAvailable()) return;
  const cache = await caches.open(MODEL_CACHE);
  const keys = await cache.keys();
  await Promise.all(keys.filter((r) => r.url.startsWith(prefix)).map((r) => cache.delete(r)));
}

/**
 * True when a hub repository's model is whole in the cache (checked without the network):
 * config.json, and model.safetensors or the index with every shard it names.
 */
export async function hubCached(base: string, repo: string): Promise<boolean> {
  const url = (file: string) => hubFileUrl(base, repo, file);
  if (!(await cached(url('config.json')))) return false;
  if (await cached(url('model.safetensors'))) return true;
  const index = await cached(url(INDEX_FILE));
  if (!index) return false;
  try {
    const shards = parseIndex(await index.text(), INDEX_FILE).shards;
    return (await Promise.all(shards.map((s) => cached(url(s))))).every(Boolean);
  } catch {
    return false; // a broken index is found and removed when the model is loaded
  }
}

/**
 * A response's bytes, read chunk by chunk with progress. Into one buffer when the size is known:
 * in Chromium that is also faster than arrayBuffer(), which collects the chunks and then copies
 * them (14.5 MB in a worker of headless Chromium on localhost: 160–270 ms against 270–580 ms).
 */
export async function readBody(response: Response, options: { signal: AbortSignal; onProgress: Progress }): Promise<Uint8Array> {
  // A compressed body's content-length counts the compressed bytes, not the ones read here.
  const total = exactLength(response);
  if (!response.body) return checkedLength(new Uint8Array(await response.arrayBuffer()), total, response.url);
  const reader = response.body.getReader();
  // A 548 MB model must not be copied twice either.
  let whole: Uint8Array | null = null;
  try {
    whole = total !== null ? new Uint8Array(total) : null;
  } catch {
    throw new DownloadError(`${response.url} announces ${total} bytes, more than this browser can hold in memory.`);
  }
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let filled = 0; // bytes written into `whole`
  let lastReport = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (whole && chunks.length === 0 && filled + value.length <= whole.length) {
        whole.set(value, filled);
        filled += value.length;
      } else chunks.push(value);
      loaded += value.length;
      const now = Date.now();
      if (now - lastReport > 100) {
        lastReport = now;
        options.onProgress(loaded, total);
      }
    }
  } catch (error) {
    if (options.signal.aborted) throw new DownloadCancelled('The download was cancelled.');
    throw new DownloadError(`The download of ${response.url} broke off after ${loaded} bytes (${(error as Error).message}); nothing was kept. Press Download to try again.`);
  }
  options.onProgress(loaded, total);
  if (whole && chunks.length === 0 && filled === whole.length) return whole;
  if (total !== null && loaded !== total) throw lengthError(response.url, loaded, total);
  if (whole) chunks.unshift(whole.subarray(0, filled));
  return joinChunks(chunks, loaded);
}

/** The chunks of a body, `length` bytes in all, as one array (the only chunk itself when there is one). */
export function joinChunks(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].length === length) return chunks[0];
  const joined = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    joined.set(c, at);
    at += c.length;
  }
  return joined;
}

function lengthError(url: string, loaded: number, total: number): DownloadError {
  return new DownloadError(
    `${url} sent ${loaded} bytes but announced ${total} (its content-length): the file is incomplete or the server is wrong, so nothing was kept. Press Download to try again.`,
  );
}

function checkedLength(bytes: Uint8Array, total: number | null, url: string): Uint8Array {
  if (total !== null && bytes.length !== total) throw lengthError(url, bytes.length, total);
  return bytes;
}

/**
 * The three files of a model folder at known URLs, fetched side by side (the page's own small
 * model, or a folder an element names). A folder without animated-transformer.json (404) reads
 * with GPT-2's tokenizer, as one saved by Hugging Face's transformers does.
 */
export async function fetchModelFolder(
  urls: { configUrl: string; weightsUrl: string; metaUrl: string | null },
  signal: AbortSignal,
  onProgress: (file: string) => Progress,
): Promise<{ configText: string; weights: Uint8Array; metaText: string | null }> {
  const options = (file: string): FetchOptions => ({ signal, onProgress: onProgress(file), readCache: false });
  const [config, weights, meta] = await Promise.all([
    fetchBytes(urls.configUrl, options('config.json')),
    fetchBytes(urls.weightsUrl, options('model.safetensors')),
    urls.metaUrl
      ? fetchBytes(urls.metaUrl, options('animated-transformer.json')).catch((error: unknown) => {
          if (error instanceof DownloadError && error.status === 404) return null;
          throw error;
        })
      : Promise.resolve(null),
  ]);
  const decoder = new TextDecoder();
  return { configText: decoder.decode(config.bytes), weights: weights.bytes, metaText: meta ? decoder.decode(meta.bytes) : null };
}
