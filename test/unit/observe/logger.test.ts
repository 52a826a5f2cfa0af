import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchedSink, LOG_FLUSH_CHARS, LOG_FLUSH_MS, Logger, clockTime, type LogFormat } from '../../../src/observe/logger.js';
import { Redactor, mask } from '../../../src/observe/redact.js';
import { FakeClock, ManualTimers } from '../../helpers/clock.js';

const T = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

function capture(format: LogFormat, level?: 'debug' | 'info' | 'warn' | 'error', redactor?: Redactor) {
  const lines: string[] = [];
  const logger = new Logger({ format, sink: { write: (l) => lines.push(l) }, now: () => T, ...(level ? { level } : {}), ...(redactor ? { redactor } : {}) });
  return { logger, lines };
}

describe('Logger', () => {
  it('writes one JSON object per line with ts, level, msg and the fields', () => {
    const { logger, lines } = capture('json');
    logger.info('request', { request_id: 'req_abc', status: 200, stream: true, cost_usd: 0.5, error: null, skipped: undefined });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(lines[0]!.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ ts: '2025-01-02T03:04:05.678Z', level: 'info', msg: 'request', request_id: 'req_abc', status: 200, stream: true, cost_usd: 0.5, error: null });
  });

  it('writes pretty lines: time, level, message, then key=value with spaces quoted and empties left out', () => {
    const { logger, lines } = capture('pretty');
    logger.warn('config reload rejected', { file: '/etc/gw.yaml', problems: 'bad value here', request_id: 'req_1', empty: '', none: null });
    expect(lines).toEqual(['03:04:05.678 WARN  config reload rejected file=/etc/gw.yaml problems="bad value here" request_id=req_1\n']);
  });

  it('drops lines below the level (info by default)', () => {
    const info = capture('json');
    info.logger.debug('hidden');
    info.logger.info('shown');
    expect(info.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
    const warn = capture('json', 'warn');
    warn.logger.info('hidden');
    warn.logger.error('shown');
    expect(warn.lines).toHaveLength(1);
  });

  it('passes every line through the redactor, messages and fields alike, in both formats', () => {
    const redactor = new Redactor();
    const secret = 'sk-provider-secret-123456';
    redactor.setSecrets([secret, undefined, 'short']);
    for (const format of ['json', 'pretty'] as const) {
      const { logger, lines } = capture(format, 'debug', redactor);
      logger.error(`upstream said: bad key ${secret}`, { detail: `Bearer ${secret}`, other: 'short' });
      expect(lines[0]).not.toContain(secret);
      expect(lines[0]).toContain(mask(secret));
      // Values under 8 characters are not treated as secrets: too many false hits.
      expect(lines[0]).toContain('short');
    }
  });

  it('withSink keeps format, level and redaction', () => {
    const redactor = new Redactor();
    redactor.setSecrets(['sk-abcdefghijkl']);
    const { logger } = capture('json', 'warn', redactor);
    const other: string[] = [];
    const moved = logger.withSink({ write: (l) => other.push(l) });
    moved.info('hidden');
    moved.warn('key sk-abcdefghijkl');
    expect(other).toHaveLength(1);
    expect(JSON.parse(other[0]!)).toMatchObject({ level: 'warn', msg: `key ${mask('sk-abcdefghijkl')}` });
  });
});

describe('Redactor', () => {
  it('replaces the longest secret first and forgets secrets dropped by a reload', () => {
    const r = new Redactor();
    r.setSecrets(['sk-aaaaaaaa', 'sk-aaaaaaaa-bbbbbbbb']);
    expect(r.redact('x sk-aaaaaaaa-bbbbbbbb y sk-aaaaaaaa')).toBe(`x ${mask('sk-aaaaaaaa-bbbbbbbb')} y ${mask('sk-aaaaaaaa')}`);
    r.setSecrets(['sk-cccccccc']);
    expect(r.redact('sk-aaaaaaaa sk-cccccccc')).toBe(`sk-aaaaaaaa ${mask('sk-cccccccc')}`);
    expect(mask('sk-cccccccc')).not.toContain('cccccccc');
  });

  it('masks overlapping secrets as one stretch, so neither shows beyond the prefix', () => {
    const r = new Redactor();
    r.setSecrets(['aaaa-bbbb', 'bbbb-cccc-dddd']);
    expect(r.redact('<aaaa-bbbb-cccc-dddd>')).toBe(`<${mask('aaaa-bbbb-cccc-dddd')}>`);
    expect(r.redact('aaaa-bbbbaaaa-bbbb')).toBe(`${mask('aaaa-bbbb')}${mask('aaaa-bbbb')}`);
  });

  it('masks exactly what the plain rule says, for secrets that extend, overlap and nest in one another', () => {
    const unit = fc.constantFrom('a', 'b', '😀');
    const derive = (base: string, how: 'extend' | 'overlap' | 'inner', extra: string): string =>
      how === 'extend' ? base + extra : how === 'overlap' ? `${base.slice(-4)}${extra}aaaa` : base.slice(1);
    const secrets = fc.uniqueArray(fc.string({ unit, minLength: 8, maxLength: 12 }), { minLength: 1, maxLength: 4 }).chain((base) =>
      fc
        .array(fc.tuple(fc.nat(), fc.constantFrom('extend' as const, 'overlap' as const, 'inner' as const), fc.string({ unit, minLength: 1, maxLength: 6 })), { maxLength: 4 })
        .map((ops) => [...new Set([...base, ...ops.map(([k, how, extra]) => derive(base[k % base.length]!, how, extra))])]),
    );
    const parts = fc.array(fc.oneof(fc.string({ unit, maxLength: 5 }), fc.nat()), { maxLength: 8 });
    fc.assert(
      fc.property(secrets, parts, fc.boolean(), (list, pieces, fleet) => {
        // A fleet's many keys (none of them in the text) take the scan without searching for each secret first.
        const all = [...list, ...(fleet ? Array.from({ length: 40 }, (_, i) => `ZZZZZZZZ-${i}`) : [])];
        const r = new Redactor();
        r.setSecrets(all);
        const text = pieces.map((p) => (typeof p === 'number' ? list[p % list.length]! : p)).join('');
        expect(r.redact(text)).toBe(plainRedaction(all, text));
      }),
      { numRuns: 500 },
    );
  });
});

/** The rule written plainly: every occurrence of every secret of 8 or more characters, overlaps merged, each stretch masked. */
function plainRedaction(secrets: readonly string[], text: string): string {
  const found: [number, number][] = [];
  for (const s of secrets) if (s.length >= 8) for (let i = text.indexOf(s); i >= 0; i = text.indexOf(s, i + 1)) found.push([i, i + s.length]);
  found.sort((a, b) => a[0] - b[0]);
  const stretches: [number, number][] = [];
  for (const [from, to] of found) {
    const last = stretches.at(-1);
    if (last !== undefined && from < last[1]) last[1] = Math.max(last[1], to);
    else stretches.push([from, to]);
  }
  let out = '';
  let done = 0;
  for (const [from, to] of stretches) {
    out += text.slice(done, from) + mask(text.slice(from, to));
    done = to;
  }
  return out + text.slice(done);
}

describe('clockTime', () => {
  it('is the time of day of an ISO timestamp, for any time and in any order (its per-second cache never shows a stale second)', () => {
    const iso = (ts: number): string => new Date(ts).toISOString().slice(11, 23);
    for (const ts of [T, T + 321, T - 678, T - 679, T + 999 - 678, T + 1000, 0, 999, 1000]) expect(clockTime(ts)).toBe(iso(ts));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }), { minLength: 1, maxLength: 20 }), (times) => {
        for (const ts of times) expect(clockTime(ts)).toBe(iso(ts));
      }),
    );
  });
});

describe('BatchedSink', () => {
  function sink() {
    const writes: string[] = [];
    const clock = new FakeClock();
    const timers = new ManualTimers(clock);
    return { sink: new BatchedSink((text) => writes.push(text), clock, timers), writes, timers };
  }

  it('writes a line after a quiet spell on the next timer turn, not in the call', () => {
    const { sink: s, writes, timers } = sink();
    s.write('a\n');
    expect(writes).toEqual([]);
    expect(timers.nextIn()).toBe(0);
    timers.advance(0);
    expect(writes).toEqual(['a\n']);
  });

  it('holds the lines that follow a write and writes them together once the interval has passed', () => {
    const { sink: s, writes, timers } = sink();
    s.write('a\n');
    timers.advance(0);
    timers.advance(10);
    for (const line of ['b\n', 'c\n', 'd\n']) s.write(line);
    expect(timers.nextIn()).toBe(LOG_FLUSH_MS - 10);
    timers.advance(LOG_FLUSH_MS - 11);
    expect(writes).toEqual(['a\n']);
    timers.advance(1);
    expect(writes).toEqual(['a\n', 'b\nc\nd\n']);
    expect(timers.pending).toBe(0);
  });

  it('writes at once when the pending text passes its bound, and flush() writes the rest', () => {
    const { sink: s, writes, timers } = sink();
    const long = 'x'.repeat(LOG_FLUSH_CHARS / 4 - 1) + '\n';
    for (let i = 0; i < 4; i++) s.write(long);
    expect(writes).toEqual([long.repeat(4)]);
    expect(timers.pending).toBe(0);
    s.write('tail\n');
    s.flush();
    expect(writes).toEqual([long.repeat(4), 'tail\n']);
    expect(timers.pending).toBe(0);
    s.flush();
    expect(writes).toHaveLength(2);
  });
});
