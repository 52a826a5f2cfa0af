import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { runDashboard } from '../../../src/tui/run.js';
import { FakeClock, FakeSource, sampleSnapshot, until } from './helpers.js';

type WriteCallback = (err?: Error | null) => void;

/**
 * A TTY as Ink sees it. Like a real stream, `write` calls its callback once the chunk is written: Ink 8
 * settles `waitUntilExit` from the callback of a final empty write, so a stub that drops callbacks
 * never lets the dashboard finish.
 */
class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  columns = 100;
  rows = 30;
  readonly chunks: string[] = [];
  write(chunk: string, encodingOrCallback?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    this.chunks.push(chunk);
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (done) process.nextTick(done);
    return true;
  }
  get output(): string {
    return this.chunks.join('');
  }
}

class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  send(data: string): void {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read(): string | null {
    const d = this.data;
    this.data = null;
    return d;
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

const LEAVE_ALT = '\u001B[?1049l';
const ENTER_ALT = '\u001B[?1049h';

/** Ink reads keys once it listens on stdin; a key sent earlier would be lost. */
function untilListening(stdin: FakeStdin): Promise<void> {
  return until(() => stdin.listenerCount('readable') > 0);
}

function start(source: FakeSource, onQuit = vi.fn(async () => {})) {
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  const done = runDashboard(source, {
    version: '9.9.9',
    onQuit,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    clock: new FakeClock(),
    env: {},
    // The test runner owns the console.
    patchConsole: false,
  });
  return { stdout, stdin, done, onQuit };
}

describe('runDashboard', () => {
  it('renders in the alternate screen and quits cleanly on q', async () => {
    const source = new FakeSource(sampleSnapshot());
    const run = start(source);
    await untilListening(run.stdin);
    expect(run.stdout.output.startsWith(ENTER_ALT)).toBe(true);
    run.stdin.send('q');
    await run.done;
    // Live frames, or (Ink under a CI environment) the last frame written at unmount.
    expect(run.stdout.output).toContain('researcher');
    expect(source.actions.quit).toHaveBeenCalledTimes(1);
    expect(run.onQuit).toHaveBeenCalledTimes(1);
    // quit runs first (it flushes the store), then onQuit; the terminal is back before either.
    expect(source.actions.quit.mock.invocationCallOrder[0]).toBeLessThan(run.onQuit.mock.invocationCallOrder[0]!);
    expect(run.stdout.output).toContain(LEAVE_ALT);
    expect(source.listenerCount).toBe(0);
  });

  it('prints what the session cost after leaving the alternate screen: duration, requests, spend per agent, total', async () => {
    const source = new FakeSource(sampleSnapshot());
    source.current.gateway.requestsServed = 1000;
    const clock = new FakeClock();
    const stdout = new FakeStdout();
    const stdin = new FakeStdin();
    // What the gateway reports once the session's calls have settled.
    source.actions.quit.mockImplementation(async () => {
      source.current = {
        ...source.current,
        gateway: { ...source.current.gateway, requestsServed: 1042 },
        agents: source.current.agents.map((a) =>
          a.id === 'researcher' ? { ...a, calls: a.calls + 30, costTotalUsd: a.costTotalUsd + 1.25 } : a.id === 'reviewer' ? { ...a, calls: a.calls + 2, costTotalUsd: a.costTotalUsd + 0.004 } : a,
        ),
      };
    });
    const done = runDashboard(source, {
      version: '9.9.9',
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      clock,
      env: {},
      patchConsole: false,
    });
    await untilListening(stdin);
    clock.advance((12 * 60 + 4) * 1000);
    stdin.send('q');
    await done;
    // What follows leaving the alternate screen, without the terminal's mode switches.
    // eslint-disable-next-line no-control-regex -- removing escape sequences is the point
    const after = stdout.output.slice(stdout.output.lastIndexOf(LEAVE_ALT)).replace(/\u001B\[\?\d+[hl]/g, '');
    expect(after.split('\n').filter((l) => l.startsWith('ai-gateway') || l.startsWith('  '))).toEqual([
      'ai-gateway: session 12m · 42 requests · $1.25 spent',
      '  researcher  30 calls  $1.25',
      '  reviewer     2 calls  $0.004',
      '  total                 $1.25',
    ]);
  });

  it('quits on ctrl-c the same way', async () => {
    const source = new FakeSource(sampleSnapshot());
    const run = start(source);
    await untilListening(run.stdin);
    run.stdin.send('\u0003');
    await run.done;
    expect(run.onQuit).toHaveBeenCalledTimes(1);
  });

  it('restores the terminal and rejects when rendering crashes, without quitting the gateway', async () => {
    const broken = sampleSnapshot();
    // A malformed snapshot makes a component throw during render.
    (broken as unknown as { agents: null }).agents = null;
    const source = new FakeSource(broken);
    const run = start(source);
    await expect(run.done).rejects.toThrow(/not iterable|null/);
    expect(run.stdout.output).toContain(LEAVE_ALT);
    expect(run.stdout.output.lastIndexOf(LEAVE_ALT)).toBeGreaterThan(run.stdout.output.indexOf(ENTER_ALT));
    expect(source.actions.quit).not.toHaveBeenCalled();
    expect(run.onQuit).not.toHaveBeenCalled();
  });
});
