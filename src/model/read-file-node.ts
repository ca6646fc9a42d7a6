// Reading a model folder's files in Node. Kept apart from checkpoint-node.ts so that the
// library's published types never name Node's Buffer (a user's project may not have @types/node).

import { readFile } from 'node:fs/promises';
import { ModelError } from './config.ts';

/** The file's contents, or null when it does not exist; other read errors become ModelError. */
export async function readIfPresent(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new ModelError(`${path}: cannot be read (${code ?? (e as Error).message})`);
  }
}
