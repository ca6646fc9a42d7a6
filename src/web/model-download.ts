// Fetching model files the reader asked for: with byte progress, cancellation, and the browser's
// Cache API so a 548 MB download from the hub happens once. Runs in the worker or the page.
// Nothing here decides *what* to fetch; the page only fetches after the reader asks.

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

/** True when the URL's bytes, or the note that it has none, are already in the cache (no network request). */
export async function isCached(url: string): Promise<boolean> {
  if (!cacheAvailable()) return false;
  const cache = await caches.open(MODEL_CACHE);
  return (await cache.match(url)) !== undefined;
}

export interface FetchOptions {
  signal: AbortSignal;
  onProgress: Progress;
  /** Look in the cache first. Nothing is stored here: the caller stores files once they have loaded. */
  readCache: boolean;
  /** Called with the announced size before any memory is set aside for the body (may throw to refuse it). */
  checkSize?: (totalBytes: number | null) => void;
}

/** The bytes at `url`: from the cache when allowed and present, otherwise downloaded with progress. */
export async function fetchBytes(url: string, options: FetchOptions): Promise<{ bytes: Uint8Array; fromCache: boolean }> {
  const cache = options.readCache && cacheAvailable() ? await caches.open(MODEL_CACHE) : null;
  const hit = cache ? await cache.match(url) : undefined;
  if (hit) return { bytes: await readBody(hit, options), fromCache: true };
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal });
  } catch (error) {
    if (options.signal.aborted) throw new DownloadCancelled('The download was cancelled.');
    throw new DownloadError(`Could not reach ${url} (${(error as Error).message}). Check the address and your connection.`);
  }
  if (!response.ok) {
    throw new DownloadError(`${url} answered ${response.status} ${response.statusText}: check that the repository and file exist.`, response.status);
  }
  return { bytes: await readBody(response, options), fromCache: false };
}

/**
 * A file a repository may or may not have (a tokenizer_config.json, an index of shards): its
 * bytes, or null when the server says 404. That answer is remembered with the other files
 * (storeAbsent), so a cached model loads again without asking the server.
 */
export async function fetchIfPresent(url: string, options: FetchOptions): Promise<{ bytes: Uint8Array | null; fromCache: boolean }> {
  const cache = options.readCache && cacheAvailable() ? await caches.open(MODEL_CACHE) : null;
  if ((await cache?.match(url))?.status === 404) return { bytes: null, fromCache: true };
  try {
    return await fetchBytes(url, options);
  } catch (error) {
    if (error instanceof DownloadError && error.status === 404) return { bytes: null, fromCache: false };
    throw error;
  }
}

/** Remembers that a repository has no file at `url` (see fetchIfPresent). */
export async function storeAbsent(url: string): Promise<void> {
  if (!cacheAvailable()) return;
  const cache = await caches.open(MODEL_CACHE);
  await cache.put(url, new Response(null, { status: 404 }));
}

/** What the cache holds for `url`: the file, the note that the repository has none, or nothing. */
export async function cacheEntry(url: string): Promise<'file' | 'absent' | null> {
  if (!cacheAvailable()) return null;
  const hit = await (await caches.open(MODEL_CACHE)).match(url);
  return hit === undefined ? null : hit.ok ? 'file' : 'absent';
}

/** The text of a small file in the cache (an absent one's marker is null too), without the network. */
export async function cachedText(url: string): Promise<string | null> {
  if (!cacheAvailable()) return null;
  const hit = await (await caches.open(MODEL_CACHE)).match(url);
  return hit && hit.ok ? hit.text() : null;
}

/** Keeps bytes in the cache under `url`; only for files that have been loaded into a working model. */
export async function storeBytes(url: string, bytes: Uint8Array): Promise<void> {
  if (!cacheAvailable()) return;
  const cache = await caches.open(MODEL_CACHE);
  await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } }));
}

/** Removes these URLs from the cache (a copy that failed to load must not be served again). */
export async function evict(urls: string[]): Promise<void> {
  if (!cacheAvailable()) return;
  const cache = await caches.open(MODEL_CACHE);
  await Promise.all(urls.map((url) => cache.delete(url)));
}

/**
 * A response's bytes, read chunk by chunk with progress. Into one buffer when the size is known:
 * in Chromium that is also faster than arrayBuffer(), which collects the chunks and then copies
 * them (14.5 MB in a worker of headless Chromium on localhost: 160–270 ms against 270–580 ms).
 */
export async function readBody(response: Response, options: { signal: AbortSignal; onProgress: Progress; checkSize?: (totalBytes: number | null) => void }): Promise<Uint8Array> {
  const lengthHeader = response.headers.get('content-length');
  const total = lengthHeader !== null && /^\d+$/.test(lengthHeader.trim()) ? Number(lengthHeader) : null;
  // A compressed body's content-length counts the compressed bytes, not the ones read here.
  const encoding = response.headers.get('content-encoding');
  const exact = total !== null && (encoding === null || encoding.trim().toLowerCase() === 'identity');
  options.checkSize?.(exact ? total : null);
  if (!response.body) return checkedLength(new Uint8Array(await response.arrayBuffer()), exact ? total : null, response.url);
  const reader = response.body.getReader();
  // A 548 MB model must not be copied twice either.
  let whole: Uint8Array | null = null;
  try {
    whole = exact ? new Uint8Array(total) : null;
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
  if (exact && loaded !== total) throw lengthError(response.url, loaded, total);
  if (whole) chunks.unshift(whole.subarray(0, filled));
  const joined = new Uint8Array(loaded);
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
