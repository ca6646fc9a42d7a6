// Vite serves and builds the page (index.html at the repo root); the model runs in a module Web Worker.
// Model files under models/default/ are pulled in as assets by src/web/model-source.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defineConfig, type Plugin } from 'vite';

/**
 * Serves model weights as binary. Vite's static server has no type for `.safetensors`, and the
 * preview server then gzips the 14.5 MB file on every request as if it were text, which took
 * longer than everything else the first visit does (bench/page.ts prints the fetch's timing).
 */
function weightsAreBinary(): Plugin {
  const setType = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (req.url?.split('?')[0].endsWith('.safetensors')) res.setHeader('Content-Type', 'application/octet-stream');
    next();
  };
  return {
    name: 'weights-are-binary',
    configureServer: (server) => void server.middlewares.use(setType),
    configurePreviewServer: (server) => void server.middlewares.use(setType),
  };
}

export default defineConfig({
  root: '.',
  // No public folder: every file the page loads is imported explicitly.
  publicDir: false,
  plugins: [weightsAreBinary()],
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    target: 'es2022',
    // Model files are large binaries; never inline them into the JavaScript.
    assetsInlineLimit: 0,
  },
  server: { port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
});
