import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globPrefix, globToRegExp, isGlob } from '../../../src/config/glob.js';
import { editDistance } from '../../../src/config/edit-distance.js';
import {
  isValidTimeZone,
  parseDuration,
  parseRateLimit,
  parseRatePeriod,
  parseSize,
} from '../../../src/config/units.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['10min', 600_000],
    ['1h30m', 5_400_000],
    ['2hr', 7_200_000],
    ['1d', 86_400_000],
    ['0s', 0],
    [' 45 sec ', 45_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('treats numbers as seconds', () => {
    expect(parseDuration(30)).toBe(30_000);
    expect(parseDuration(0.25)).toBe(250);
  });

  it.each(['', '30', '10x', 's', '-5s', '5 s s', '1H', 'forever'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('rejects negative and non-finite numbers', () => {
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe('parseSize', () => {
  it.each([
    ['10mb', 10 * 1024 * 1024],
    ['10MB', 10 * 1024 * 1024],
    ['512kb', 512 * 1024],
    ['16k', 16 * 1024],
    ['1gb', 1024 ** 3],
    ['1.5 MiB', Math.floor(1.5 * 1024 ** 2)],
    ['100b', 100],
    ['2048', 2048],
  ])('%s → %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'ten mb', '10tb', '10 m b', '-1kb'])('rejects %j', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });
});

describe('parseRateLimit', () => {
  it.each([
    ['100/min', 100, 60_000],
    ['5/s', 5, 1_000],
    ['5/sec', 5, 1_000],
    ['5/second', 5, 1_000],
    ['30/minute', 30, 60_000],
    ['1000/h', 1000, 3_600_000],
    ['1000/hour', 1000, 3_600_000],
    ['10000/day', 10000, 86_400_000],
    [' 7 / min ', 7, 60_000],
  ])('%s', (text, count, perMs) => {
    expect(parseRateLimit(text)).toEqual({ count, perMs });
  });

  it.each(['100', '100/mn', '0/min', '/min', '1.5/min', '100/2min', 'min/100', '100 per minute'])('rejects %j', (text) => {
    expect(parseRateLimit(text)).toBeUndefined();
  });

  it('reads a rate period as a unit word or a duration', () => {
    expect(parseRatePeriod('min')).toBe(60_000);
    expect(parseRatePeriod('10s')).toBe(10_000);
    expect(parseRatePeriod(2)).toBe(2_000);
    expect(parseRatePeriod('0s')).toBeUndefined();
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA zones and rejects others', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});

describe('globs', () => {
  it('matches *, ? and classes, anchored', () => {
    const o = globToRegExp('o[0-9]*');
    expect(o.test('o1')).toBe(true);
    expect(o.test('o4-mini')).toBe(true);
    expect(o.test('omni')).toBe(false);
    expect(o.test('gpt-o1')).toBe(false);
    const claude = globToRegExp('claude-*');
    expect(claude.test('claude-sonnet-4-5')).toBe(true);
    expect(claude.test('claude')).toBe(false);
    expect(globToRegExp('gpt-4?').test('gpt-4o')).toBe(true);
    expect(globToRegExp('gpt-4?').test('gpt-4oo')).toBe(false);
    expect(globToRegExp('[!g]*').test('gpt')).toBe(false);
    expect(globToRegExp('[!g]*').test('claude')).toBe(true);
  });

  it('treats regex characters literally', () => {
    const re = globToRegExp('llama3.1:8b');
    expect(re.test('llama3.1:8b')).toBe(true);
    expect(re.test('llama3x1:8b')).toBe(false);
    expect(globToRegExp('a+b(c)|d$').test('a+b(c)|d$')).toBe(true);
  });

  it('rejects an unterminated class', () => {
    expect(() => globToRegExp('o[0-9')).toThrow(/unterminated/);
  });

  it('knows globs and their literal prefixes', () => {
    expect(isGlob('claude-*')).toBe(true);
    expect(isGlob('fast')).toBe(false);
    expect(globPrefix('claude-*')).toBe('claude-');
    expect(globPrefix('o[0-9]*')).toBe('o');
  });

  it('computes edit distances', () => {
    expect(editDistance('rate_limt', 'rate_limit')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('stops at a bound with max + 1, and agrees with the plain recurrence below it', () => {
    const plain = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      return d[a.length]![b.length]!;
    };
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '-'), maxLength: 10 });
    fc.assert(
      fc.property(word, word, fc.nat({ max: 6 }), (a, b, max) => {
        const exact = plain(a, b);
        expect(editDistance(a, b)).toBe(exact);
        expect(editDistance(a, b, max)).toBe(exact <= max ? exact : max + 1);
      }),
      { numRuns: 500 },
    );
  });
});
