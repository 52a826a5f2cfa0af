import { describe, expect, it } from 'vitest';
import { matchesLogSearch, parseLogSearch } from '../../../src/core/log-search.js';

const row = { id: 'req_abc', agent: 'coder', model: 'gpt-4o', provider: 'sim-openai', status: 502, stream: true, errorCode: 'upstream_unreachable', errorMessage: 'getaddrinfo ENOTFOUND x', fallbackFrom: 'flaky' };

describe('log search', () => {
  it('reads classes, stream, fallback and words', () => {
    expect(parseLogSearch('  5XX Stream fallback ENOTFOUND ')).toEqual([
      { kind: 'class', digit: 5 },
      { kind: 'stream' },
      { kind: 'fallback' },
      { kind: 'text', text: 'enotfound' },
    ]);
  });

  it('needs every word to match one field, ignoring case', () => {
    expect(matchesLogSearch(row, parseLogSearch('coder 5xx enotfound'))).toBe(true);
    expect(matchesLogSearch(row, parseLogSearch('REQ_ABC'))).toBe(true);
    expect(matchesLogSearch(row, parseLogSearch('coder 4xx'))).toBe(false);
    expect(matchesLogSearch({ ...row, fallbackFrom: null }, parseLogSearch('fallback'))).toBe(false);
    expect(matchesLogSearch({ ...row, stream: false }, parseLogSearch('stream'))).toBe(false);
    expect(matchesLogSearch(row, [])).toBe(true);
  });
});
