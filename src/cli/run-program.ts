/** Runs the commander program and turns any error into a message and an exit code (src/cli/exit.ts). */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { exitCodeFor, messageFor, EXIT_OK } from './exit.js';

export async function runProgram(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const code = exitCodeFor(err);
    // commander already printed its own usage errors and help/version output.
    if (!(err instanceof CommanderError)) process.stderr.write(messageFor(err) + '\n');
    if (code !== EXIT_OK) process.exitCode = code;
  }
}
