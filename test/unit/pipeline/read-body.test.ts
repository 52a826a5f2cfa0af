/** Absurdly deep JSON is refused by one byte loop before JSON.parse sees it; strings never count as nesting. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { MAX_JSON_DEPTH, NestingScanner, nestsDeeperThan, parseJsonBody } from '../../../src/pipeline/steps/read-body.js';

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not brackets inside strings or escaped quotes', () => {
    expect(nestsDeeperThan(Buffer.from('{"a":[{"b":[1]}]}'), 4)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('{"a":[{"b":[1]}]}'), 3)).toBe(true);
    expect(nestsDeeperThan(Buffer.from(`{"text":"${'['.repeat(500)}"}`), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`{"text":"\\"${'{'.repeat(500)}"}`), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`{"t":"\\\\",${'['.repeat(5)}`), 4)).toBe(true);
  });
});

describe('NestingScanner', () => {
  /** Feeds `text` cut at every position into two pieces (and as one byte per piece); the verdicts must all agree. */
  const verdicts = (text: string, limit: number): boolean[] => {
    const bytes = Buffer.from(text);
    const out: boolean[] = [];
    for (let cut = 0; cut <= bytes.length; cut++) {
      const scanner = new NestingScanner(limit);
      const first = scanner.feed(bytes.subarray(0, cut));
      out.push(scanner.feed(bytes.subarray(cut)) || first);
    }
    const single = new NestingScanner(limit);
    let deep = false;
    for (const byte of bytes) deep = single.feed(Buffer.from([byte])) || deep;
    out.push(deep);
    return out;
  };

  it('gives the same verdict wherever the text is cut, an escape at the cut included', () => {
    for (const [text, limit, deep] of [
      ['{"a":[{"b":[1]}]}', 4, false],
      ['{"a":[{"b":[1]}]}', 3, true],
      [`{"t":"\\\\",${'['.repeat(5)}`, 4, true],
      [`{"t":"\\\\\\"${'['.repeat(5)}"}`, 1, false],
      [`{"t":"\\"${'{'.repeat(50)}"}`, 1, false],
    ] as const) {
      expect(new Set(verdicts(text, limit)), text).toEqual(new Set([deep]));
    }
  });

  it('stays past the limit once there, and counts every byte fed', () => {
    const scanner = new NestingScanner(2);
    expect(scanner.feed(Buffer.from('[[['))).toBe(true);
    expect(scanner.feed(Buffer.from(']]]'))).toBe(true);
    expect(scanner).toMatchObject({ exceeded: true, bytes: 6 });
  });
});

describe('parseJsonBody', () => {
  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} with a 400 that says why, and accepts ${MAX_JSON_DEPTH}`, () => {
    const deep = Buffer.from('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1));
    let error: unknown;
    try {
      parseJsonBody(deep);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, code: 'json_too_deep' });
    expect(parseJsonBody(Buffer.from('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)))).toBeInstanceOf(Array);
  });
});
