// Runs the command line in-process through main(), with stdout and stderr captured.

import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

export const cli = (...args: string[]) => runCli(args);

/** `onStderr` sees each piece of progress output as it is written (to stop a run midway, say). */
export async function runCli(args: string[], onStderr: (chunk: string) => void = () => {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void (stdout += a.join(' ') + '\n'));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void (stderr += a.join(' ') + '\n'));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    onStderr(String(s));
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    log.mockRestore();
    error.mockRestore();
    out.mockRestore();
    err.mockRestore();
  }
}
