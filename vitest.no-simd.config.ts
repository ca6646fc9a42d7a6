// The Node tests as they run on a machine without WebAssembly SIMD: V8 is told not to use
// SSE4.1, so it refuses the SIMD modules and the plain TypeScript kernels take over.
// Usage: npx vitest run --config vitest.no-simd.config.ts
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      execArgv: ['--no-enable-sse4-1'],
      // The browser tests run Chromium's own WebAssembly, which this flag does not reach.
      exclude: ['tests/browser/**', 'node_modules/**'],
    },
  }),
);
