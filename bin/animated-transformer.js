#!/usr/bin/env node
// Entry point for `npx animated-transformer`. In a repository checkout: the TypeScript sources
// through tsx (a development dependency), so an edit is never hidden by a stale build. In the
// installed package, which has no src/: the compiled command line in lib/ (`npm pack` builds it).
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const sources = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (!existsSync(sources)) {
  ({ main } = await import('../lib/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
