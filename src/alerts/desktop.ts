/**
 * Desktop notifications through `notify-send` (libnotify), where it exists. Spawned and left to run: the gateway
 * never waits on it, and a notifier that hangs is ended after a while. A machine without it is told once.
 */
import { spawn } from 'node:child_process';

const NOTIFY_TIMEOUT_MS = 10_000;

export interface DesktopNotifier {
  notify(title: string, body: string, urgent: boolean): void;
}

export function notifySend(onMissing: () => void, onError: (message: string) => void): DesktopNotifier {
  let missing = false;
  return {
    notify(title, body, urgent) {
      if (missing) return;
      const child = spawn('notify-send', ['--app-name=ai-gateway', `--urgency=${urgent ? 'critical' : 'normal'}`, title, body], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), NOTIFY_TIMEOUT_MS);
      timer.unref();
      child.unref();
      child.once('exit', () => clearTimeout(timer));
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err.code === 'ENOENT') {
          missing = true;
          onMissing();
        } else onError(err.message);
      });
    },
  };
}
