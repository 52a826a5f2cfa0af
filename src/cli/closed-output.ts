/**
 * Output to a pipe whose reader has gone (`ai-gateway status | head`, `export | head -1`): the command has nothing
 * left to do, so it ends quietly with exit 0 instead of an EPIPE stack trace. A running gateway keeps serving
 * instead (start installs its own handler): losing its log reader must not stop the agents' traffic.
 */
import { EXIT_OK } from './exit.js';

let whenClosed: () => void = () => process.exit(EXIT_OK);

/** What to do when stdout or stderr turns out to be a closed pipe (default: exit 0 at once). */
export function onClosedOutput(handler: () => void): void {
  whenClosed = handler;
}

export function watchOutputs(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  let closed = false;
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      if (closed) return;
      closed = true;
      whenClosed();
    });
  }
}
