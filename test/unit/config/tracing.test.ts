/** The `tracing:` section: off unless an endpoint is set, its defaults, located mistakes, and its headers as secrets. */
import { describe, expect, it } from 'vitest';
import { formatProblem, parseConfigText } from '../../../src/config/index.js';
import { secretsOf } from '../../../src/app/running-config.js';

const parse = (text: string, env: Record<string, string> = {}) => parseConfigText(text, { file: 'gateway.yaml', env });

describe('tracing', () => {
  it('is off without a section, and off with an empty endpoint (an unset ${VAR})', () => {
    expect(parse('').config?.tracing).toBeUndefined();
    expect(parse('tracing:\n  otlp_endpoint: ${OTEL_URL:-}\n').config?.tracing).toBeUndefined();
  });

  it('defaults the service name to ai-gateway and keeps content out', () => {
    const r = parse('tracing:\n  otlp_endpoint: http://127.0.0.1:4318/v1/traces\n');
    expect(r.errors.map(formatProblem)).toEqual([]);
    expect(r.config?.tracing).toEqual({ endpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'ai-gateway', headers: {}, captureContent: false });
  });

  it('reads every key, interpolates headers, drops a header whose variable is empty, and counts header values as secrets', () => {
    const r = parse(
      [
        'tracing:',
        '  otlp_endpoint: https://otel.example.com/v1/traces',
        '  service_name: edge-gw',
        '  headers: { authorization: "Bearer ${OTEL_TOKEN}", x-empty: "${NOPE:-}" }',
        '  capture_content: true',
      ].join('\n'),
      { OTEL_TOKEN: 'otel-secret-token-0001' },
    );
    expect(r.errors.map(formatProblem)).toEqual([]);
    const config = r.config!;
    expect(config.tracing).toEqual({ endpoint: 'https://otel.example.com/v1/traces', serviceName: 'edge-gw', headers: { authorization: 'Bearer otel-secret-token-0001' }, captureContent: true });
    expect(secretsOf(config)).toContain('Bearer otel-secret-token-0001');
  });

  it('locates a mistake: an endpoint that is no http URL, a misspelt key', () => {
    const bad = parse('gateway:\n  port: 8080\ntracing:\n  otlp_endpoint: 127.0.0.1:4318\n');
    expect(bad.config).toBeUndefined();
    expect(bad.errors[0]).toMatchObject({ path: 'tracing.otlp_endpoint', line: 4 });
    expect(bad.errors[0]!.message).toContain('http://');
    const typo = parse('tracing:\n  otlp_endpoint: http://h:4318/v1/traces\n  capture_contents: true\n');
    expect(typo.warnings[0]).toMatchObject({ path: 'tracing.capture_contents', line: 3 });
    expect(typo.warnings[0]!.fix).toContain('capture_content');
  });
});
