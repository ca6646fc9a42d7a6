// Runs `render` on its own in a child process, for the command-line tests (exit codes,
// messages, Ctrl-C) without going through the whole command dispatcher.

import { renderCommand } from '../src/cli/commands/render.ts';

process.exitCode = await renderCommand(process.argv.slice(2));
