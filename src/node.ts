// The library for Node ('animated-transformer/node'): everything in the main entry, plus model
// folders on disk and the built-in model shipped in the package.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModelDir, type LoadedModelDir } from './model/checkpoint-node.ts';

export * from './index.ts';
export { loadModelDir, saveModelDir, type LoadedModelDir } from './model/checkpoint-node.ts';
export { sceneSvg, scenePng, exportPicture } from './export/picture.ts';

/** The built-in model's folder inside the package (GPT-2's layout). */
export const BUILT_IN_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../models/default');

/** The built-in model (Tiny Shakespeare, 4 layers × 4 heads × width 128) with its tokenizer. */
export function loadBuiltInModel(): Promise<LoadedModelDir> {
  return loadModelDir(BUILT_IN_MODEL_DIR);
}
