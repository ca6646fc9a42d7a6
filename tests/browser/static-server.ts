// A plain static server for the browser tests (node's http module, no Vite), as a project page or
// a course site is hosted: one folder served under a sub-path and nothing else (no path outside
// the folder, not even through a symbolic link), recording every request it could not answer.

import { readFile, realpath } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, sep } from 'node:path';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };

export interface StaticServer {
  /** "http://127.0.0.1:PORT" */
  origin: string;
  /** The folder's address: origin + prefix. */
  url: string;
  /** Paths asked for that were not served (outside the prefix, or no such file in the folder). */
  missed: string[];
  close(): Promise<void>;
}

/**
 * Serves `folder` at `prefix` (such as "/course/") on a free port; "prefix" alone serves
 * index.html. `cors`: let pages of any origin read the files, as a CDN does.
 */
export async function serveFolder(folder: string, prefix: string, cors = false): Promise<StaticServer> {
  const root = await realpath(folder);
  const missed: string[] = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    try {
      if (!path.startsWith(prefix)) throw new Error('outside the prefix');
      const file = await realpath(join(root, path.slice(prefix.length) || 'index.html'));
      if (!file.startsWith(root + sep)) throw new Error('outside the folder');
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', ...(cors ? { 'Access-Control-Allow-Origin': '*' } : {}) }).end(body);
    } catch {
      missed.push(path);
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { origin, url: origin + prefix, missed, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
