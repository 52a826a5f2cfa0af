/** shared_state: off unless a Redis URL is given, its defaults, the located mistakes, and its password kept secret. */
import { describe, expect, it } from 'vitest';
import { formatProblem, parseConfigText } from '../../../src/config/index.js';
import { secretsOf } from '../../../src/app/running-config.js';

const parse = (text: string, env: Record<string, string> = {}) => parseConfigText(text, { file: 'gateway.yaml', env });

describe('shared_state', () => {
  it('is off by default and when the URL is empty (an unset ${REDIS_URL:-})', () => {
    expect(parse('').config?.sharedState).toEqual({ redis: undefined, prefix: 'ai-gateway', onOutage: 'open' });
    expect(parse('shared_state:\n  redis: ${REDIS_URL:-}\n').config?.sharedState.redis).toBeUndefined();
  });

  it('reads the URL, the prefix and the outage mode', () => {
    const r = parse('shared_state:\n  redis: ${REDIS_URL}\n  prefix: team-a\n  on_outage: closed\n', { REDIS_URL: 'rediss://cache.internal:6380/2' });
    expect(r.errors.map(formatProblem)).toEqual([]);
    expect(r.config?.sharedState).toEqual({ redis: 'rediss://cache.internal:6380/2', prefix: 'team-a', onOutage: 'closed' });
  });

  it('locates a URL that is not Redis, a prefix with spaces and an unknown outage mode', () => {
    const r = parse('shared_state:\n  redis: http://cache:6379\n  prefix: "team a"\n  on_outage: maybe\n');
    expect(r.errors.map((p) => p.path).sort()).toEqual(['shared_state.on_outage', 'shared_state.prefix', 'shared_state.redis']);
    expect(r.errors.find((p) => p.path === 'shared_state.redis')?.message).toContain('redis:// or rediss://');
  });

  it("keeps the URL's password out of logs", () => {
    const config = parse('shared_state:\n  redis: redis://:s3cret-redis-pass@cache:6379\n').config!;
    expect(secretsOf(config)).toEqual(expect.arrayContaining(['s3cret-redis-pass', 'redis://:s3cret-redis-pass@cache:6379']));
    expect(secretsOf(parse('shared_state:\n  redis: redis://cache:6379\n').config!)).not.toContain('redis://cache:6379');
  });
});
