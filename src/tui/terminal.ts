/**
 * Terminal state the dashboard changes and must give back: the alternate screen and the cursor.
 * `restore` is idempotent and synchronous, so it can also run from a process 'exit' handler after a crash.
 */
const ENTER_ALT_SCREEN = '\u001B[?1049h';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';
const SHOW_CURSOR = '\u001B[?25h';

export interface TerminalSession {
  restore(): void;
}

export function enterTerminal(stdout: NodeJS.WriteStream, alternateScreen: boolean): TerminalSession {
  if (alternateScreen) stdout.write(ENTER_ALT_SCREEN);
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    stdout.write((alternateScreen ? LEAVE_ALT_SCREEN : '') + SHOW_CURSOR);
  };
  // Last resort: an uncaught error that ends the process still leaves a usable terminal.
  process.once('exit', restore);
  return {
    restore() {
      process.off('exit', restore);
      restore();
    },
  };
}
