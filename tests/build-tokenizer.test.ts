// The production build ships GPT-2's merge ranks as JSON (vite.config.ts, ranksAsJson): the
// browser tests run Vite's dev server, which does not apply it, so its output is checked here.

import { describe, expect, it } from 'vitest';
import r50kRanks from 'gpt-tokenizer/bpeRanks/r50k_base';
import { ranksAsJson } from '../vite.config.ts';

describe('the build plugin for GPT-2 merge ranks', () => {
  it('turns the ranks module into one JSON string holding exactly the same ranks', async () => {
    const path = new URL('../node_modules/gpt-tokenizer/esm/bpeRanks/r50k_base.js', import.meta.url).pathname;
    const transform = ranksAsJson().transform as (code: string, id: string) => Promise<{ code: string } | null>;
    const out = await transform('', path);
    expect(out).not.toBeNull();
    expect(out!.code).toMatch(/^export default JSON\.parse\(/);
    const module = (await import(`data:text/javascript,${encodeURIComponent(out!.code)}`)) as { default: unknown };
    expect(module.default).toEqual(r50kRanks);
  });

  it('leaves every other module alone', async () => {
    const transform = ranksAsJson().transform as (code: string, id: string) => Promise<unknown>;
    expect(await transform('export default 1;', '/x/node_modules/gpt-tokenizer/esm/bpeRanks/cl100k_base.js')).toBeNull();
  });
});
