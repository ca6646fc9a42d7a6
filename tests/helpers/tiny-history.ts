// A tiny GPT-2-vocabulary training run with snapshots and a log, made by the train command at
// test time, standing in for the built-in model's history where a test must not depend on it.

import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './run-cli.ts';

/** A tiny GPT-2-vocabulary run with snapshots, trained by the train command (for a checkout without a shipped history). */
export async function trainTinyHistory(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const data = join(dir, 'text.txt');
  writeFileSync(data, 'ROMEO:\nBut soft, what light through yonder window breaks?\nJULIET:\nAy me!\n'.repeat(12));
  const args = ['train', '--data', data, '--out', dir, '--tokenizer', 'gpt2', '--dtype', 'F16', '--n-layer', '1', '--n-head', '2', '--n-embd', '16',
    '--block-size', '16', '--batch-size', '4', '--max-iters', '16', '--eval-interval', '4', '--eval-iters', '2', '--warmup-iters', '2', '--lr', '3e-2', '--min-lr', '3e-3', '--snapshots', '0,2,6,10'];
  const { code, stderr } = await runCli(args);
  if (code !== 0) throw new Error(stderr);
}

