// Runs `render` in a child process through the command line's one dispatcher, for the
// command-line tests (exit codes, messages, Ctrl-C) without tsx's start-up for every command.

import { main } from '../src/cli/main.ts';

process.exitCode = await main(['render', ...process.argv.slice(2)]);
