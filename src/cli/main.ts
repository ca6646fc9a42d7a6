// The command line: `animated-transformer COMMAND [args]`. Each command lives in commands/;
// this file only dispatches and turns errors into messages and exit codes
// (0 done, 1 failed, 2 wrong usage). No stack traces for anything a user can cause.

import { ModelError } from '../model/config.ts';
import { InputError } from '../model/explain.ts';
import { TokenizerError } from '../tokenizer/index.ts';
import { ExportCancelled, ExportError } from '../export/errors.ts';
import { ResumeError } from '../train/state.ts';
import { DivergedError } from '../train/loop.ts';
import { CommandError, UsageError, type CommandSpec } from './usage.ts';
import { generateCommand } from './commands/generate.ts';
import { runCommand } from './commands/run.ts';
import { tokenizeCommand } from './commands/tokenize.ts';
import { traceCommand } from './commands/trace.ts';
import { lensCommand } from './commands/lens.ts';
import { trainCommand } from './commands/train.ts';
import { evalCommand } from './commands/eval.ts';
import { renderCommandSpec } from './commands/render.ts';

export const COMMANDS: CommandSpec[] = [tokenizeCommand, runCommand, generateCommand, traceCommand, lensCommand, trainCommand, evalCommand, renderCommandSpec];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'animated-transformer: watch a GPT-style Transformer compute its next token',
    '',
    'Usage: animated-transformer COMMAND [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `animated-transformer COMMAND --help` for a command\'s options.',
  ].join('\n');
}

/**
 * The exit code of an error the user can act on, or null for a bug (whose stack trace should
 * show). The CLI's own errors carry theirs; the parts below it keep their own error types.
 */
function exitCodeOf(error: unknown): number | null {
  if (error instanceof CommandError) return error.exitCode;
  if (error instanceof ExportCancelled) return 130; // Ctrl-C during an export, as a shell reports it
  const userErrors = [ModelError, InputError, TokenizerError, ExportError, ResumeError, DivergedError];
  return userErrors.some((type) => error instanceof type) ? 1 : null;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(overview());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`animated-transformer: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`Usage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`animated-transformer ${command.name}: ${error.message}\n\nUsage: ${command.usage}`);
      return error.exitCode;
    }
    const code = exitCodeOf(error);
    if (code !== null) {
      console.error(`animated-transformer ${command.name}: ${(error as Error).message}`);
      return code;
    }
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0; // output piped into `head`
    throw error; // a bug: let the stack trace show where
  }
}
