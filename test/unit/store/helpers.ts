import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestRow, StoreLogger } from '../../../src/store/index.js';
import type { Timers } from '../../../src/core/clock.js';

/** A fresh directory per test, removed afterwards. */
export function tempDir(): { dir: string; dbPath: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-store-'));
  return { dir, dbPath: join(dir, 'audit.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Timers the test fires by hand. */
export class FakeScheduler implements Timers {
  private next = 1;
  readonly tasks = new Map<number, { fn: () => void; ms: number }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.tasks.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.tasks.delete(handle as number);
  }
  delays(): number[] {
    return [...this.tasks.values()].map((t) => t.ms);
  }
  fireAll(): void {
    const due = [...this.tasks.values()];
    this.tasks.clear();
    for (const t of due) t.fn();
  }
}

export class RecordingLogger implements StoreLogger {
  readonly lines: { level: 'info' | 'warn' | 'error'; msg: string; fields: Record<string, unknown> | undefined }[] = [];
  info(msg: string, fields?: Record<string, string | number | boolean | null | undefined>): void {
    this.lines.push({ level: 'info', msg, fields });
  }
  warn(msg: string, fields?: Record<string, string | number | boolean | null | undefined>): void {
    this.lines.push({ level: 'warn', msg, fields });
  }
  error(msg: string, fields?: Record<string, string | number | boolean | null | undefined>): void {
    this.lines.push({ level: 'error', msg, fields });
  }
}

let seq = 0;
export function makeRow(partial: Partial<RequestRow> = {}): RequestRow {
  seq++;
  return {
    id: `req_${String(seq).padStart(6, '0')}`,
    ts: 1_700_000_000_000 + seq,
    agent: 'researcher',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    upstreamModel: 'claude-sonnet-4-5-20250929',
    clientFormat: 'openai-chat',
    upstreamFormat: 'anthropic-messages',
    stream: true,
    status: 200,
    errorCode: null,
    inputTokens: 100,
    cacheReadTokens: 20,
    cacheWriteTokens: 10,
    outputTokens: 50,
    reasoningTokens: 5,
    costUsd: 0.001,
    costInput: 0.0003,
    costCacheRead: 0.000006,
    costCacheWrite: 0.0000375,
    costOutput: 0.00075,
    costReasoning: 0.000075,
    attempts: 1,
    priceVersion: 'genai-prices@0.1.8',
    estimated: false,
    latencyMs: 420,
    ttfbMs: 180,
    dropped: null,
    path: '/v1/chat/completions',
    bytesIn: 212,
    bytesOut: 1480,
    adjusted: null,
    errorMessage: null,
    fallbackFrom: null,
    ...partial,
  };
}
