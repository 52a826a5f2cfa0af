/**
 * A small tmux driver for end-to-end terminal tests: a private tmux server (its own socket and config in a
 * temp dir, so nothing else on the machine can disturb it), detached sessions of a given size, keys in,
 * screen text out, and polling waits with a timeout that report the last screen when they fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAVE_TMUX = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;

/** Quote one word for /bin/sh. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

// remain-on-exit keeps a pane readable if its shell dies anyway; no status line, so a W×H session has a W×H pane.
// set-clipboard on: what a program copies with OSC 52 becomes a tmux buffer a test can read.
const CONFIG = ['set -g remain-on-exit on', 'set -g status off', 'set -g history-limit 1000', 'set -g set-clipboard on', ''].join('\n');

export interface WaitOptions {
  timeoutMs?: number;
  /** Poll interval, ms. Default 100. */
  everyMs?: number;
}

export class TmuxServer {
  readonly dir: string;
  private readonly socket: string;
  private readonly configPath: string;
  /** The environment the server and every pane start from: only what a terminal needs, no CI or colour hints. */
  private readonly env: NodeJS.ProcessEnv;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'tmux-e2e-'));
    this.socket = join(this.dir, 'sock');
    this.configPath = join(this.dir, 'tmux.conf');
    writeFileSync(this.configPath, CONFIG);
    this.env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? this.dir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  }

  /** Runs one tmux command on this server; throws with tmux's message when it fails. */
  run(...args: string[]): string {
    const result = spawnSync('tmux', ['-u', '-S', this.socket, '-f', this.configPath, ...args], { encoding: 'utf8', env: this.env, timeout: 10_000 });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`tmux ${args[0] ?? ''} failed (${result.status}): ${result.stderr.trim()}`);
    return result.stdout;
  }

  /**
   * A detached session of exactly width×height running `shellCommand` under /bin/sh. The shell stays
   * alive afterwards (until the session is killed): tmux may mark a pane dead before it has read the
   * last output of a shell that just exited, and that last output is what tests want to see.
   */
  newSession(name: string, options: { width: number; height: number; shellCommand: string; cwd?: string }): TmuxSession {
    const script = `${options.shellCommand}\nexec sleep 3600`;
    this.run('new-session', '-d', '-s', name, '-x', String(options.width), '-y', String(options.height), ...(options.cwd ? ['-c', options.cwd] : []), '/bin/sh', '-c', script);
    return new TmuxSession(this, name);
  }

  /** Ends every session (their programs get SIGHUP) and the server, then removes the socket's directory. */
  close(): void {
    try {
      this.run('kill-server');
    } catch {
      /* already gone: the last session ended and the server exited */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class TmuxSession {
  constructor(
    private readonly server: TmuxServer,
    readonly name: string,
  ) {}

  /** The visible screen as text; `escapes` keeps colour and attribute sequences (`capture-pane -e`). */
  capture(options: { escapes?: boolean } = {}): string {
    return this.server.run('capture-pane', '-p', ...(options.escapes ? ['-e'] : []), '-t', this.name);
  }

  /**
   * Keys by tmux name (`q`, `Down`, `Enter`, `BSpace`, `Escape`) in one send-keys call: tmux writes them to
   * the terminal together, as a fast typist or a paste would. To have the program read them one by one,
   * send one key per call and wait for its effect in between.
   */
  sendKeys(...keys: string[]): void {
    this.server.run('send-keys', '-t', this.name, ...keys);
  }

  /** Literal text, sent as typed characters (no key-name lookup). */
  sendText(text: string): void {
    this.server.run('send-keys', '-t', this.name, '-l', text);
  }

  /**
   * Pastes text as a terminal does: wrapped in bracketed-paste markers when the program asked for them
   * (`paste-buffer -p`), otherwise as plain input. Newlines go in as carriage returns, like Enter.
   */
  paste(text: string): void {
    const buffer = `paste-${this.name}`;
    this.server.run('set-buffer', '-b', buffer, text);
    this.server.run('paste-buffer', '-p', '-d', '-b', buffer, '-t', this.name);
  }

  /** The newest tmux paste buffer: what the program last copied to the clipboard (OSC 52); '' when none. */
  clipboard(): string {
    try {
      return this.server.run('show-buffer');
    } catch {
      return '';
    }
  }

  /** From now on, every byte the program writes is also appended to `file` (bells and OSC sequences included). */
  recordOutput(file: string): void {
    this.server.run('pipe-pane', '-o', '-t', this.name, `cat >> ${shellQuote(file)}`);
  }

  resize(width: number, height: number): void {
    this.server.run('resize-window', '-t', this.name, '-x', String(width), '-y', String(height));
  }

  /** A tmux format about the pane, e.g. `#{alternate_on}`, `#{cursor_flag}`, `#{pane_dead}`. */
  display(format: string): string {
    return this.server.run('display-message', '-p', '-t', this.name, format).trim();
  }

  /** Polls the screen until `check` passes; returns the screen that passed, or throws with the last one. */
  async waitForScreen(check: (screen: string) => boolean, description: string, options: WaitOptions = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const everyMs = options.everyMs ?? 100;
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    for (;;) {
      screen = this.capture();
      if (check(screen)) return screen;
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}; the screen was:\n${screen}`);
  }

  /** Waits until the screen contains the text (or matches the pattern). */
  waitForText(pattern: string | RegExp, options: WaitOptions = {}): Promise<string> {
    const test = typeof pattern === 'string' ? (s: string) => s.includes(pattern) : (s: string) => pattern.test(s);
    return this.waitForScreen(test, `${String(pattern)} on the screen`, options);
  }

  /** Waits until the text (or pattern) is gone from the screen. */
  waitForNoText(pattern: string | RegExp, options: WaitOptions = {}): Promise<string> {
    const test = typeof pattern === 'string' ? (s: string) => !s.includes(pattern) : (s: string) => !pattern.test(s);
    return this.waitForScreen(test, `${String(pattern)} to leave the screen`, options);
  }

  kill(): void {
    try {
      this.server.run('kill-session', '-t', this.name);
    } catch {
      /* already ended */
    }
  }
}
