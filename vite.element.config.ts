// Builds `animated-transformer/element` (part of npm run build:lib): src/web/element.ts as one ES
// module, lib/element/transformer-scene.js, with everything it loads beside it and found from its
// own URL: the model's Web Worker and GPT-2's tokenizer tables under assets/, the built-in model as
// a model folder under model/ (its weights in the shared-row layout). No bare imports remain, so
// any static server can serve the folder to a plain <script type="module">.
import { defineConfig } from 'vite';
import { builtInModel, ranksAsJson } from './vite.config.ts';

export default defineConfig({
  root: '.',
  base: './',
  publicDir: false,
  plugins: [builtInModel('model'), ranksAsJson()],
  worker: { format: 'es', plugins: () => [ranksAsJson()] },
  build: {
    outDir: 'lib/element',
    emptyOutDir: true,
    target: 'es2022',
    lib: { entry: 'src/web/element.ts', formats: ['es'], fileName: () => 'transformer-scene.js' },
  },
});
