/** `routing:` (routing by task), gateway-wide and per agent: defaults, the agent's rules over the gateway's, located problems. */
import { describe, expect, it } from 'vitest';
import { formatProblem, parseConfigText } from '../../../src/config/index.js';

const parse = (text: string) => parseConfigText(text, { file: 'gateway.yaml', env: {} });
const BASE = ['providers:', '  oa: { type: openai, base_url: http://h/v1 }', '  an: { type: anthropic, base_url: http://a }', 'models:', '  "gpt-*": oa', '  "claude-*": an'];

describe('routing', () => {
  it('reads each rule with its defaults, and lays an agent\'s rules over the gateway\'s', () => {
    const r = parse(
      [
        ...BASE,
        'routing:',
        '  background: gpt-4o-mini',
        '  thinking: claude-opus-4-1',
        '  long_context: { model: gpt-4.1 }',
        '  web_search: gpt-4o',
        '  vision: oa/gpt-4o',
        'agents:',
        '  coder:',
        '    routing:',
        '      background: { model: claude-haiku-4-5, match: ["*haiku*", "*-mini"] }',
        '      long_context: { model: gpt-4.1-long, threshold_tokens: 100000 }',
        '  plain: {}',
      ].join('\n'),
    );
    expect(r.errors.map(formatProblem)).toEqual([]);
    const global = r.config!.routing;
    expect(global).toMatchObject({ background: { model: 'gpt-4o-mini', match: ['*haiku*'] }, thinking: 'claude-opus-4-1', longContext: { model: 'gpt-4.1', thresholdTokens: 60_000 }, webSearch: 'gpt-4o', vision: 'oa/gpt-4o' });
    expect(global.background!.matches('claude-3-5-haiku-20241022')).toBe(true);
    expect(global.background!.matches('gpt-4o-mini')).toBe(false);
    const coder = r.config!.agents.get('coder')!.routing;
    expect(coder).toMatchObject({ background: { model: 'claude-haiku-4-5' }, thinking: 'claude-opus-4-1', longContext: { model: 'gpt-4.1-long', thresholdTokens: 100_000 }, vision: 'oa/gpt-4o' });
    expect(coder.background!.matches('gpt-4o-mini')).toBe(true);
    expect(r.config!.agents.get('plain')!.routing).toEqual(global);
    expect(parse(BASE.join('\n')).config!.routing).toEqual({});
  });

  it('locates a target no route serves, a bad threshold, a bad glob, and warns about an unknown trait', () => {
    const r = parse(
      [
        ...BASE,
        'routing:',
        '  thinking: o3',
        '  vision: nowhere/x',
        '  long_contxt: gpt-4.1',
        'agents:',
        '  coder:',
        '    routing:',
        '      long_context: { model: gpt-4.1, threshold_tokens: 0 }',
      ].join('\n'),
    );
    expect(r.errors.map((p) => [p.path, p.line])).toEqual([['agents.coder.routing.long_context.threshold_tokens', 14]]);
    expect(r.warnings.map((p) => [p.path, p.message, p.fix])).toEqual([['routing.long_contxt', 'unknown key "long_contxt" is ignored', 'did you mean "long_context"?']]);
    const targets = parse([...BASE, 'routing:', '  thinking: mystery-model', '  vision: nowhere/x', '  background: { model: gpt-4o-mini, match: ["[a-"] }'].join('\n'));
    expect(targets.errors.map((p) => [p.path, p.message, p.line])).toEqual([
      ['routing.background.match[0]', 'unterminated "[" in pattern "[a-"', 10],
      ['routing.thinking', 'routing thinking goes to model "mystery-model", which no route serves', 8],
      ['routing.vision', 'routing vision goes to model "nowhere/x", which no route serves', 9],
    ]);
    // An agent whose provider is forced routes any model name.
    expect(parse([...BASE, 'agents:', '  a:', '    provider: oa', '    routing: { thinking: o3 }'].join('\n')).errors).toEqual([]);
  });
});

describe('price and capability keys', () => {
  it('are globs in the routing dialect: an unterminated class is an error at its key, with its line', () => {
    const r = parse([...BASE, 'prices:', '  "o[0-9*": { input: 1, output: 2 }', '  "o[0-9]*": { input: 1, output: 2 }', 'capabilities:', '  "[a-": { vision: true }'].join('\n'));
    expect(r.errors.map((p) => [p.path, p.message, p.line])).toEqual([
      ['prices["o[0-9*"]', 'unterminated "[" in pattern "o[0-9*"', 8],
      ['capabilities["[a-"]', 'unterminated "[" in pattern "[a-"', 11],
    ]);
    const ok = parse([...BASE, 'prices:', '  "o[0-9]*": { input: 1, output: 2 }'].join('\n'));
    expect(ok.errors).toEqual([]);
    expect([...ok.config!.prices.keys()]).toEqual(['o[0-9]*']);
  });
});
