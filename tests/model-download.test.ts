// The page's download reader refuses a body whose length differs from its content-length.
// Chromium itself cuts off a short body over HTTP/1.1 (the browser tests see that as a broken
// connection), so this check on the bytes actually read is tested here on constructed responses.

import { describe, expect, it } from 'vitest';
import { DownloadError, readBody } from '../src/web/model-download.ts';

const options = { signal: new AbortController().signal, onProgress: () => {} };

function response(chunks: number[][], headers: Record<string, string>): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new Uint8Array(c));
      controller.close();
    },
  });
  return new Response(body, { headers });
}

describe('readBody', () => {
  it('returns exactly the bytes announced', async () => {
    const bytes = await readBody(response([[1, 2], [3, 4, 5]], { 'content-length': '5' }), options);
    expect([...bytes]).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a body shorter or longer than its content-length, saying both numbers', async () => {
    await expect(readBody(response([[1, 2, 3]], { 'content-length': '5' }), options)).rejects.toThrow(DownloadError);
    await expect(readBody(response([[1, 2, 3]], { 'content-length': '5' }), options)).rejects.toThrow(/sent 3 bytes but announced 5 \(its content-length\).*nothing was kept/);
    await expect(readBody(response([[1, 2, 3], [4, 5, 6, 7]], { 'content-length': '5' }), options)).rejects.toThrow(/sent 7 bytes but announced 5/);
  });

  it('does not hold a compressed body to its content-length, which counts the compressed bytes', async () => {
    const bytes = await readBody(response([[1, 2, 3, 4, 5, 6, 7]], { 'content-length': '5', 'content-encoding': 'gzip' }), options);
    expect(bytes.length).toBe(7);
  });
});
