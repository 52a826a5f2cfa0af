/** Entry point: run the program, turn any error into a message and an exit code (src/cli/exit.ts). */
import { buildProgram } from './program.js';
import { exitCodeFor, messageFor, EXIT_OK } from './exit.js';
import { CommanderError } from 'commander';

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    const code = exitCodeFor(err);
    // commander already printed its own usage errors and help/version output.
    if (!(err instanceof CommanderError)) process.stderr.write(messageFor(err) + '\n');
    if (code !== EXIT_OK) process.exitCode = code;
  }
}

// No top-level await: the standalone binary bundles this file as CommonJS.
void main();
