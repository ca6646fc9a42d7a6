// Vite serves and builds the page (index.html at the repo root); the model runs in a module Web Worker.
// Model files under models/default/ are pulled in as assets by src/web/model-source.ts.
import { defineConfig } from 'vite';

export default defineConfig({
  root: '.',
  // No public folder: every file the page loads is imported explicitly.
  publicDir: false,
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
