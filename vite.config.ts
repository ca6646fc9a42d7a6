// Vite serves and builds the page (index.html at the repo root); the model runs in a module Web Worker.
// The built-in model's files under models/default/ reach the page through builtInModel below.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { compactCheckpoint, CONFIG_FILE, WEIGHTS_FILE } from './src/model/checkpoint.ts';
import { TOKENIZER_FILE } from './src/model/tokenizer-file.ts';

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
const MODEL_MODULE = 'virtual:built-in-model';
/** Where the development server serves the compacted weights (the build emits them as an asset). */
const DEV_WEIGHTS_PATH = '/models/default/model.shared-rows.safetensors';

/**
 * The built-in model's files, its weights shipped with each distinct row of its token-embedding
 * table stored once (compactCheckpoint): 7.97 MB instead of 22.9, as 39,023 of its 50,257 tokens
 * share one row. models/default/ already holds them that way, which compactCheckpoint keeps; a
 * model put there in GPT-2's layout is compacted here. `virtual:built-in-model` exports the URLs of config.json, the weights and
 * animated-transformer.json. The page's build emits them as hashed assets; with `folder` (the
 * element's build) they are written as a model folder of that name beside the script, so the
 * element's default model is an ordinary model folder.
 */
export function builtInModel(folder?: string): Plugin {
  let compacted: Uint8Array | null = null;
  const weights = () =>
    (compacted ??= compactCheckpoint(new Uint8Array(readFileSync(BUILT_IN_MODEL + WEIGHTS_FILE)), 'models/default/' + WEIGHTS_FILE));
  const files = [
    { name: 'configUrl', file: CONFIG_FILE, source: () => readFileSync(BUILT_IN_MODEL + CONFIG_FILE), dev: '/models/default/' + CONFIG_FILE },
    { name: 'weightsUrl', file: WEIGHTS_FILE, source: weights, dev: DEV_WEIGHTS_PATH },
    { name: 'metaUrl', file: TOKENIZER_FILE, source: () => readFileSync(BUILT_IN_MODEL + TOKENIZER_FILE), dev: '/models/default/' + TOKENIZER_FILE },
  ];
  let building = false;
  return {
    name: 'built-in-model',
    configResolved: (config) => void (building = config.command === 'build'),
    resolveId: (source) => (source === MODEL_MODULE ? `\0${MODEL_MODULE}` : null),
    load(id) {
      if (id !== `\0${MODEL_MODULE}`) return null;
      return files
        .map(({ name, file, source, dev }) => {
          const asset = folder
            ? { type: 'asset' as const, fileName: `${folder}/${file}`, source: source() }
            : { type: 'asset' as const, name: file === WEIGHTS_FILE ? 'model.shared-rows.safetensors' : file, source: source() };
          const url = building ? `import.meta.ROLLUP_FILE_URL_${this.emitFile(asset)}` : JSON.stringify(dev);
          // Based on the page's address: Vite would rewrite a path resolved against import.meta.url.
          return `export const ${name} = new URL(${url}, location.href).href;`;
        })
        .join('\n');
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

/**
 * Cross-origin isolation: the page may then give the model's worker shared memory, in which it
 * waits for the GPU's answers when the reader computes on the GPU (src/kernels/webgpu/link.ts).
 * Everything the page loads is its own or fetched with CORS (Hugging Face), so nothing breaks.
 * A host without these headers serves a page that works the same, without the GPU option.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: '.',
  // Relative URLs throughout, so the built folder works under any path (a project page such as
  // /animated-transformer/) from a plain static server.
  base: './',
  // One page at the root and no client-side routes: a missing file gets a 404, not the page.
  appType: 'mpa',
  // No public folder: every file the page loads is imported explicitly.
  publicDir: false,
  plugins: [weightsAreBinary(), builtInModel(), ranksAsJson()],
  // The tokenizer is loaded by the model worker, whose bundle has its own plugin list.
  worker: { format: 'es', plugins: () => [ranksAsJson()] },
  build: {
    outDir: 'dist',
    target: 'es2022',
    // Model files are large binaries; never inline them into the JavaScript.
    assetsInlineLimit: 0,
  },
  server: { port: 5173, strictPort: true, headers: ISOLATION_HEADERS },
  preview: { port: 4173, strictPort: true, headers: ISOLATION_HEADERS },
});
