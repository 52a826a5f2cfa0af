import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { parseYamlSource } from '../../../src/config/yaml-source.js';

function raw(text: string, env: Record<string, string> = {}) {
  const parsed = parseYamlSource(text, env);
  return { value: parsed.raw as Record<string, unknown>, problems: parsed.problems };
}

describe('${VAR} interpolation', () => {
  it('substitutes set variables in plain, quoted and partial scalars', () => {
    const { value, problems } = raw(
      'a: ${A}\nb: "Bearer ${A}"\nc: http://${HOST}:11434/v1\nd: \'${A}\'\n',
      { A: 'x1', HOST: 'gpu-box' },
    );
    expect(value).toEqual({ a: 'x1', b: 'Bearer x1', c: 'http://gpu-box:11434/v1', d: 'x1' });
    expect(problems).toEqual([]);
  });

  it('works inside flow mappings and sequences, where ${ would otherwise be YAML syntax', () => {
    const { value } = raw('gateway: { port: ${PORT:-8080}, admin_token: ${TOKEN:-} }\nkeys: [${K1}, ${K2:-fallback}]\n', {
      K1: 'one',
    });
    expect(value).toEqual({ gateway: { port: 8080, admin_token: null }, keys: ['one', 'fallback'] });
  });

  it('applies defaults: ":-" for unset or empty, "-" for unset only', () => {
    const { value } = raw('a: ${U:-d1}\nb: ${E:-d2}\nc: ${U-d3}\nd: ${E-d4}\n', { E: '' });
    expect(value).toEqual({ a: 'd1', b: 'd2', c: 'd3', d: null });
  });

  it('types a plain scalar that was a single expression, and keeps quoted ones strings', () => {
    const { value } = raw('n: ${N}\nf: ${F}\nb: ${B}\nq: "${N}"\nmixed: ${N}s\n', { N: '42', F: '0.5', B: 'true' });
    expect(value).toEqual({ n: 42, f: 0.5, b: true, q: '42', mixed: '42s' });
  });

  it('never lets a value change the document structure', () => {
    const { value } = raw('a: ${V}\nb: 2\n', { V: 'x: 1 # not a comment\nc: 3' });
    expect(value).toEqual({ a: 'x: 1 # not a comment\nc: 3', b: 2 });
  });

  it('unescapes $${ to a literal ${', () => {
    const { value, problems } = raw('a: $${NOT_A_VAR}\nb: "cost $${X:-y}"\n', { NOT_A_VAR: 'no' });
    expect(value).toEqual({ a: '${NOT_A_VAR}', b: 'cost ${X:-y}' });
    expect(problems).toEqual([]);
  });

  it('reports ${VAR:?message} when unset, with the line', () => {
    const { problems } = raw('gateway:\n  admin_token: ${ADMIN:?needed on shared machines}\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'error', path: 'gateway.admin_token', line: 2 });
    expect(problems[0]?.message).toBe('ADMIN is not set: needed on shared machines');
  });

  it('warns about an unset ${VAR} with no default, and drops it from a list', () => {
    const { value, problems } = raw('agents:\n  a:\n    keys: [${MISSING}, k2]\n    model: ${MODEL}\n');
    expect(value).toEqual({ agents: { a: { keys: ['k2'], model: null } } });
    expect(problems.map((p) => [p.path, p.line, p.severity])).toEqual([
      ['agents.a.keys[0]', 3, 'warning'],
      ['agents.a.model', 4, 'warning'],
    ]);
    expect(problems[0]?.message).toMatch(/\$\{MISSING\} is not set; this entry is ignored/);
  });

  it('treats an unset provider api_key as "no key" without a warning', () => {
    const result = parseConfigText('providers:\n  openai:\n    api_key: ${OPENAI_API_KEY}\n', { env: {} });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.config?.providers.get('openai')?.apiKey).toBeUndefined();
  });

  it('ignores expressions in comments', () => {
    const { value, problems } = raw('# ${X:?would fail}\na: 1 # ${Y:?also}\n');
    expect(value).toEqual({ a: 1 });
    expect(problems).toEqual([]);
  });

  it('warns about malformed expressions and keeps them literally', () => {
    const { value, problems } = raw('a: "${not valid}"\n');
    expect(value).toEqual({ a: '${not valid}' });
    expect(problems[0]).toMatchObject({ severity: 'warning', path: 'a', line: 1 });
  });

  it('keeps line numbers exact after interpolation', () => {
    const result = parseConfigText('gateway:\n  host: ${H:-localhost}\n  port: ${P:-nope}\n', { file: 'g.yaml' });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ file: 'g.yaml', line: 3, path: 'gateway.port' });
  });

  it('does not confuse a file that already contains the token text', () => {
    const { value } = raw('a: __aigw_env_0_\nb: ${B}\n', { B: 'bee' });
    expect(value).toEqual({ a: '__aigw_env_0_', b: 'bee' });
  });
});
