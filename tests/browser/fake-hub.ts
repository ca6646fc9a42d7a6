// A local HTTP server standing in for huggingface.co in the browser tests: it serves model
// folders (every file in each: a GPT-2 folder, or a Llama-family one with its tokenizer and
// shards) as /{repo}/resolve/main/{file} with CORS headers, answers 404 for any other file and
// HEAD requests with a file's size (as the hub does, so the page can size a model before
// downloading it), counts requests, and can trickle the bytes out slowly so a test has time to
// press Cancel.

import { createServer, type Server, type ServerResponse } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeHub {
  origin: string;
  /** Paths of GET requests so far, in order: the files' bytes asked for. */
  requests: string[];
  /** Paths of HEAD requests so far: sizes asked for. */
  heads: string[];
  /** Serves another repository from a folder (every file in it). */
  serve(repo: string, folder: string): void;
  /**
   * A file of `repo` known only by its size: HEAD answers with it, GET fails (500). Stands in
   * for a checkpoint too large to have on disk, to show it is refused before it is fetched.
   */
  announce(repo: string, file: string, size: number): void;
  /** When true, large files are sent in small pieces with pauses between them. */
  slow: boolean;
  /** How model.safetensors goes wrong, if it does (config.json is always served whole). */
  fault: HubFault | null;
  /** Fields to overwrite in the config.json served (e.g. an absurd vocab_size). */
  configPatch: Record<string, unknown> | null;
  close(): Promise<void>;
}

/**
 * truncated: the first 60% of the file, with a content-length to match. corrupt-header: the
 * whole file with its JSON header garbled. wrong-length: the whole file, announced 1,000 bytes
 * longer, then the connection closes. drop: half the file, then the connection is cut.
 */
export type HubFault = 'truncated' | 'corrupt-header' | 'wrong-length' | 'drop';

export async function startFakeHub(repo: string, folder: string): Promise<FakeHub> {
  const files = new Map<string, Buffer>();
  const announced = new Map<string, number>();
  const hub: FakeHub = {
    origin: '', requests: [], heads: [], slow: false, fault: null, configPatch: null, close: async () => {},
    serve(name, dir) {
      for (const file of readdirSync(dir)) files.set(`/${name}/resolve/main/${file}`, readFileSync(join(dir, file)));
    },
    announce(name, file, size) {
      announced.set(`/${name}/resolve/main/${file}`, size);
    },
  };
  hub.serve(repo, folder);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'content-length');
    const body = files.get(path);
    if (req.method === 'HEAD') {
      hub.heads.push(path);
      const size = body?.length ?? announced.get(path);
      if (size === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end();
      else res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) }).end();
      return;
    }
    hub.requests.push(path);
    if (announced.has(path) && !body) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('this stand-in file has a size but no bytes');
      return;
    }
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    if (hub.configPatch && path.endsWith('/config.json')) {
      const patched = Buffer.from(JSON.stringify({ ...JSON.parse(body.toString('utf8')), ...hub.configPatch }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(patched.length) }).end(patched);
      return;
    }
    if (hub.fault && path.endsWith('/model.safetensors')) {
      serveFault(hub.fault, body, res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    if (!hub.slow || body.length < 100_000) {
      res.end(body);
      return;
    }
    let at = 0;
    const piece = Math.max(1, Math.ceil(body.length / 200));
    const timer = setInterval(() => {
      if (res.destroyed || at >= body.length) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(body.subarray(at, at + piece));
      at += piece;
    }, 50);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the fake hub did not get a port');
  hub.origin = `http://127.0.0.1:${address.port}`;
  hub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return hub;
}

function serveFault(fault: HubFault, body: Buffer, res: ServerResponse): void {
  const head = { 'content-type': 'application/octet-stream' };
  if (fault === 'truncated') {
    const part = body.subarray(0, Math.floor(body.length * 0.6));
    res.writeHead(200, { ...head, 'content-length': String(part.length) }).end(part);
  } else if (fault === 'corrupt-header') {
    const garbled = Buffer.from(body);
    garbled.fill(0x7e, 9, 40); // inside the JSON header: "~~~~" is not JSON
    res.writeHead(200, { ...head, 'content-length': String(garbled.length) }).end(garbled);
  } else if (fault === 'wrong-length') {
    res.writeHead(200, { ...head, 'content-length': String(body.length + 1000), connection: 'close' });
    res.write(body, () => res.socket?.end());
  } else {
    res.writeHead(200, { ...head, 'content-length': String(body.length) });
    res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.destroy(), 50));
  }
}
