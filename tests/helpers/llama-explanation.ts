// Explanations of the Llama-family fixtures that carry a tokenizer (scripts/fixtures/llama_fixtures.py):
// llama-smol-gqa (8 query heads sharing 2 key/value heads, tied head, BF16, byte-level BPE) and
// llama-qwen2-untied (Qwen2's q/k/v biases, a key/value head per query head, a separate head,
// ▁-marked BPE with byte fallback), run through explain() exactly as the page does.

import { join } from 'node:path';
import { explain, type ExplainOptions } from '../../src/model/explain.ts';
import type { Explanation } from '../../src/model/explanation.ts';
import { loadFolderTokenizer, loadLlamaDir } from '../../src/model/llama-checkpoint-node.ts';
import { Llama } from '../../src/model/llama.ts';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.ts';

export const LLAMA_SCENE_FOLDERS = ['llama-smol-gqa', 'llama-qwen2-untied'] as const;
export type LlamaSceneFolder = (typeof LLAMA_SCENE_FOLDERS)[number];

export function llamaFixtureDir(folder: string): string {
  return join(import.meta.dirname, '..', 'fixtures', folder);
}

export async function llamaFixture(folder: LlamaSceneFolder): Promise<{ model: Llama; tokenizer: Tokenizer }> {
  const { config, weights } = await loadLlamaDir(llamaFixtureDir(folder));
  return { model: new Llama(config, weights), tokenizer: await loadFolderTokenizer(llamaFixtureDir(folder)) };
}

export async function llamaExplanation(folder: LlamaSceneFolder, prompt = 'The keeper climbed the stairs', options: Partial<ExplainOptions> = {}): Promise<Explanation> {
  const { model, tokenizer } = await llamaFixture(folder);
  // A second prompt, for the scenes that compare two.
  return explain(model, tokenizer, prompt, { modelName: folder, layer: 1, head: 5 % model.config.nHead, generateTokens: 7, generationWindow: 8, compare: 'The keeper climbed the hill', ...options });
}
