/** Absurdly deep JSON is refused by one byte loop before JSON.parse sees it; strings never count as nesting. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseJsonBody } from '../../../src/pipeline/steps/read-body.js';

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not brackets inside strings or escaped quotes', () => {
    expect(nestsDeeperThan(Buffer.from('{"a":[{"b":[1]}]}'), 4)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('{"a":[{"b":[1]}]}'), 3)).toBe(true);
    expect(nestsDeeperThan(Buffer.from(`{"text":"${'['.repeat(500)}"}`), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`{"text":"\\"${'{'.repeat(500)}"}`), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`{"t":"\\\\",${'['.repeat(5)}`), 4)).toBe(true);
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
