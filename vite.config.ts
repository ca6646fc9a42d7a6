// Vite serves and builds the page (index.html at the repo root); the model runs in a module Web Worker.
// Model files under models/default/ are pulled in as assets by src/web/model-source.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * Serves model weights as binary and uncached. Vite's static server has no type for
 * `.safetensors`, and the preview server then gzips the 14.5 MB file on every request as if it
 * were text, which took longer than everything else the first visit does. And from localhost a
 * fresh copy arrives faster than the browser's disk cache can write or replay one: in headless
 * Chromium a worker reads the 14.5 MB in about 210 ms uncached, against 410–490 ms when the
 * response may be cached (bench/page.ts prints the fetch's timing).
 */
function weightsAreBinary(): Plugin {
  const setType = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (req.url?.split('?')[0].endsWith('.safetensors')) {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Cache-Control', 'no-store');
    }
    next();
  };
  return {
    name: 'weights-are-binary',
    configureServer: (server) => void server.middlewares.use(setType),
    configurePreviewServer: (server) => void server.middlewares.use(setType),
  };
}

/**
 * Ships GPT-2's merge ranks (gpt-tokenizer's r50k_base module, a 50,256-entry array literal) as
 * one JSON string. The same data, but a browser parses JSON several times faster than it
 * compiles a literal that size: in the model worker that was 280–360 ms of compiling, spent
 * while the weights were arriving on the same thread.
 */
export function ranksAsJson(): Plugin {
  return {
    name: 'bpe-ranks-as-json',
    apply: 'build',
    async transform(_code, id) {
      if (!/gpt-tokenizer[\\/]esm[\\/]bpeRanks[\\/]r50k_base\.js$/.test(id)) return null;
      const { default: ranks } = (await import(pathToFileURL(id).href)) as { default: unknown };
      return { code: `export default JSON.parse(${JSON.stringify(JSON.stringify(ranks))});`, map: null };
    },
  };
}

export default defineConfig({
  root: '.',
  // One page at the root and no client-side routes: a missing file gets a 404, not the page.
  appType: 'mpa',
  // No public folder: every file the page loads is imported explicitly.
  publicDir: false,
  plugins: [weightsAreBinary(), ranksAsJson()],
  // The tokenizer is loaded by the model worker, whose bundle has its own plugin list.
  worker: { format: 'es', plugins: () => [ranksAsJson()] },
  build: {
    outDir: 'dist',
    target: 'es2022',
    // Model files are large binaries; never inline them into the JavaScript.
    assetsInlineLimit: 0,
  },
  server: { port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
});
