/**
 * Durations written as bare numbers, and the browser-facing gateway settings (allowed_hosts, allowed_origins).
 */
import { describe, expect, it } from 'vitest';
import { formatProblem, parseConfigText } from '../../../src/config/index.js';
import { formatDuration, parseDuration } from '../../../src/config/units.js';

function load(yaml: string) {
  return parseConfigText(yaml, { env: {}, embeddedDefaults: false });
}

describe('bare-number durations', () => {
  it('reads bare numbers in a seed-format circuit_breaker as milliseconds, as that format documents', () => {
    const result = load('agents:\n  bot:\n    circuit_breaker: { error_threshold: 5, window: 60000, reset_timeout: 30000 }\n');
    expect(result.errors.map(formatProblem)).toEqual([]);
    expect(result.config?.agents.get('bot')?.circuitBreaker).toMatchObject({ windowMs: 60_000, resetTimeoutMs: 30_000 });
  });

  it('keeps units written out, in a breaker and elsewhere', () => {
    const result = load('gateway:\n  idle_timeout: 45s\nagents:\n  bot:\n    circuit_breaker: { window: 2m, reset_timeout: 30s }\n');
    expect(result.warnings).toEqual([]);
    expect(result.config?.gateway.idleTimeoutMs).toBe(45_000);
    expect(result.config?.agents.get('bot')?.circuitBreaker).toMatchObject({ windowMs: 120_000, resetTimeoutMs: 30_000 });
  });

  it('warns about every bare duration, saying how it was read and how to write it', () => {
    const yaml = [
      'gateway:',
      '  upstream_timeout: 600',
      '  connect_timeout: 0',
      'providers:',
      '  local: { type: openai, base_url: "http://127.0.0.1:11434/v1", timeouts: { idle: 1.5 } }',
      'agents:',
      '  bot:',
      '    rate_limit: { requests: 10, per: 90 }',
      '    circuit_breaker: { window: 60000, reset_timeout: 1500 }',
    ].join('\n');
    const result = load(yaml);
    expect(result.errors.map(formatProblem)).toEqual([]);
    const byPath = new Map(result.warnings.map((w) => [w.path, w]));
    expect([...byPath.keys()].sort()).toEqual([
      'agents.bot.circuit_breaker.reset_timeout',
      'agents.bot.circuit_breaker.window',
      'agents.bot.rate_limit.per',
      'gateway.upstream_timeout',
      'providers.local.timeouts.idle',
    ]);
    expect(byPath.get('gateway.upstream_timeout')).toMatchObject({ message: 'the bare number 600 is read as 600 seconds', fix: 'write it with a unit: 10m', line: 2 });
    expect(byPath.get('providers.local.timeouts.idle')?.fix).toBe('write it with a unit: 1500ms');
    expect(byPath.get('agents.bot.rate_limit.per')?.fix).toBe('write it with a unit: 90s');
    expect(byPath.get('agents.bot.circuit_breaker.reset_timeout')).toMatchObject({
      message: expect.stringContaining('read as 1500 ms'),
      fix: 'write it with a unit: 1500ms',
    });
    expect(byPath.get('agents.bot.circuit_breaker.window')?.fix).toBe('write it with a unit: 1m');
    expect(result.config?.gateway.upstreamTimeoutMs).toBe(600_000);
  });

  it('formats durations in the largest exact unit', () => {
    expect([0, 250, 1_000, 1_500, 90_000, 3_600_000, 86_400_000].map(formatDuration)).toEqual(['0ms', '250ms', '1s', '1500ms', '90s', '1h', '1d']);
    expect(parseDuration(30_000, 'milliseconds')).toBe(30_000);
    expect(parseDuration(30)).toBe(30_000);
  });
});

describe('allowed_hosts and allowed_origins', () => {
  it('normalises hosts to lower case and origins to the form browsers send', () => {
    const result = load('gateway:\n  allowed_hosts: [Gateway.LAN, "gw.example:8443", "[::1]:9000"]\n  allowed_origins: ["HTTPS://App.Example.com", "http://localhost:80", "http://127.0.0.1:5173"]\n');
    expect(result.errors.map(formatProblem)).toEqual([]);
    expect(result.config?.gateway.allowedHosts).toEqual(['gateway.lan', 'gw.example:8443', '[::1]:9000']);
    expect(result.config?.gateway.allowedOrigins).toEqual(['https://app.example.com', 'http://localhost', 'http://127.0.0.1:5173']);
  });

  it('defaults to no extra hosts and no origins', () => {
    const config = load('').config;
    expect(config?.gateway.allowedHosts).toEqual([]);
    expect(config?.gateway.allowedOrigins).toEqual([]);
  });

  it.each([
    ['allowed_origins', '"https://app.example.com/"'],
    ['allowed_origins', '"https://app.example.com/path"'],
    ['allowed_origins', 'app.example.com'],
    ['allowed_origins', '"ftp://files.example.com"'],
    ['allowed_hosts', '"http://gateway.lan"'],
    ['allowed_hosts', '"gateway.lan/v1"'],
  ])('refuses %s entry %s with a fix', (key, entry) => {
    const result = load(`gateway:\n  ${key}: [${entry}]\n`);
    expect(result.config).toBeUndefined();
    expect(result.errors[0]?.path).toBe(`gateway.${key}[0]`);
    expect(result.errors[0]?.fix).toMatch(/^write /);
  });
});
