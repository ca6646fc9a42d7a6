// Vite serves and builds the page (index.html at the repo root); the model runs in a module Web Worker.
// Model files under models/default/ are pulled in as assets by src/web/model-picker.ts, the weights
// through compactBuiltInWeights below.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { compactCheckpoint, WEIGHTS_FILE } from './src/model/checkpoint.ts';

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

const BUILT_IN_MODEL = fileURLToPath(new URL('./models/default/', import.meta.url));
const WEIGHTS_MODULE = 'virtual:built-in-weights';
/** Where the development server serves the compacted weights (the build emits them as an asset). */
const DEV_WEIGHTS_PATH = '/models/default/model.shared-rows.safetensors';

/**
 * Ships the built-in model's weights with each distinct row of its token-embedding table stored
 * once (compactCheckpoint): 4.6 MB instead of 14.5, as 39,023 of its 50,257 tokens share one
 * row. `virtual:built-in-weights` is the URL the page fetches them from.
 */
function compactBuiltInWeights(): Plugin {
  let compacted: Uint8Array | null = null;
  const weights = () =>
    (compacted ??= compactCheckpoint(new Uint8Array(readFileSync(BUILT_IN_MODEL + WEIGHTS_FILE)), 'models/default/' + WEIGHTS_FILE));
  let building = false;
  return {
    name: 'compact-built-in-weights',
    configResolved: (config) => void (building = config.command === 'build'),
    resolveId: (source) => (source === WEIGHTS_MODULE ? `\0${WEIGHTS_MODULE}` : null),
    load(id) {
      if (id !== `\0${WEIGHTS_MODULE}`) return null;
      const url = building
        ? `import.meta.ROLLUP_FILE_URL_${this.emitFile({ type: 'asset', name: 'model.shared-rows.safetensors', source: weights() })}`
        : JSON.stringify(DEV_WEIGHTS_PATH);
      // Based on the page's address: Vite would rewrite a path resolved against import.meta.url.
      return `export default new URL(${url}, location.href).href;`;
    },
    configureServer(server) {
      server.middlewares.use(DEV_WEIGHTS_PATH, (_req, res) => res.end(weights()));
    },
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
  // Relative URLs throughout, so the built folder works under any path (a project page such as
  // /animated-transformer/) from a plain static server.
  base: './',
  // One page at the root and no client-side routes: a missing file gets a 404, not the page.
  appType: 'mpa',
  // No public folder: every file the page loads is imported explicitly.
  publicDir: false,
  plugins: [weightsAreBinary(), compactBuiltInWeights(), ranksAsJson()],
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
