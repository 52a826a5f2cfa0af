/**
 * Runs the dashboard until the user quits. On `q` the UI unmounts, the terminal is restored, and
 * then `source.actions.quit` and `onQuit` run (the in-process source flushes the audit store there).
 * A render crash restores the terminal too and rejects with the error.
 */
import { render } from 'ink';
import { systemClock, type Clock, type Timers } from '../core/clock.js';
import { App } from './app.js';
import { createDashboardStore } from './dashboard-store.js';
import type { DashboardSource } from '../live/snapshot.js';
import { sessionSummary } from './session-summary.js';
import { enterTerminal } from './terminal.js';
import { noColorRequested } from './theme.js';

export interface RunDashboardOptions {
  /** Version shown when the snapshot carries none (e.g. before the first poll). */
  version: string;
  /** Runs after the UI is gone and `source.actions.quit` resolved, only when the user quit. */
  onQuit?: () => void | Promise<void>;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  clock?: Clock;
  /** Environment consulted for NO_COLOR. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Data frames per second. Default 10. */
  maxFps?: number;
  /** Use the terminal's alternate screen. Default: when stdout is a TTY. */
  alternateScreen?: boolean;
  timers?: Timers;
  /**
   * Route console output from the process (e.g. an in-process gateway) above the dashboard instead
   * of through it. Default true.
   */
  patchConsole?: boolean;
}

export async function runDashboard(source: DashboardSource, options: RunDashboardOptions): Promise<void> {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  const clock = options.clock ?? systemClock;
  // The session summary printed on quit counts from here.
  const openedAt = clock.now();
  const first = source.snapshot();
  const store = createDashboardStore(source, {
    clock,
    maxFps: options.maxFps ?? 10,
    ...(options.timers ? { timers: options.timers } : {}),
  });
  const terminal = enterTerminal(stdout, options.alternateScreen ?? stdout.isTTY === true);
  let quitRequested = false;
  try {
    const instance = render(
      <App
        store={store}
        actions={source.actions}
        version={options.version}
        noColor={noColorRequested(options.env ?? process.env)}
        onQuitRequested={() => {
          quitRequested = true;
        }}
        // The bell and the clipboard sequence go straight to the terminal: they draw nothing.
        signal={(sequence) => void stdout.write(sequence)}
      />,
      {
        stdout,
        stdin,
        // Live frames on a terminal. Ink 8 otherwise decides from the environment too, and draws only the
        // last frame, at exit, when the shell exports CI variables.
        interactive: stdout.isTTY === true,
        // Ctrl+C is a command in the key table, so it quits the same clean way as `q`.
        exitOnCtrlC: false,
        // Stray console output from the in-process gateway would tear the screen; Ink prints it above.
        patchConsole: options.patchConsole ?? true,
        // Ink's incremental mode misplaces lines when the frame's height changes; whole-frame
        // updates are written only when the output changed, in one synchronized write.
        incrementalRendering: false,
      },
    );
    try {
      await instance.waitUntilExit();
    } finally {
      instance.unmount();
      instance.cleanup();
    }
  } finally {
    store.close();
    terminal.restore();
  }
  if (quitRequested) {
    await source.actions.quit?.();
    // The gateway has drained (in process) or the last status is in (remote): the numbers are final.
    stdout.write(`${sessionSummary(first, source.snapshot(), openedAt, clock.now()).join('\n')}\n`);
    await options.onQuit?.();
  }
}
