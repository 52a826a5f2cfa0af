import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PolicyParseError } from '../../../../src/control/policy/errors.js';
import { evaluateCondition } from '../../../../src/control/policy/evaluate.js';
import { parseCondition } from '../../../../src/control/policy/parser.js';
import type { PolicyVariables } from '../../../../src/control/policy/variables.js';

const vars: PolicyVariables = {
  error_rate: 0.6,
  cost_this_hour: 12.5,
  cost_today: 40,
  total_cost: 100,
  calls_this_hour: 10,
  call_count: 250,
  error_count: 30,
  status: 'active',
};

const holds = (src: string, v: PolicyVariables = vars) => evaluateCondition(parseCondition(src), v);

function parseError(src: string): PolicyParseError {
  try {
    parseCondition(src);
  } catch (e) {
    if (e instanceof PolicyParseError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(src)} not to parse`);
}

describe('policy conditions: evaluation', () => {
  it.each([
    ['error_rate > 0.5 && calls_this_hour >= 10', true],
    ['error_rate > 0.5 && calls_this_hour > 10', false],
    ['cost_this_hour > 50', false],
    ['cost_this_hour <= 12.5', true],
    ['cost_this_hour < 12.5', false],
    ['cost_today == 40 && total_cost != 99', true],
    ['error_count >= 30 || call_count < 0', true],
    ['!(error_rate > 0.5)', false],
    ['!error_rate > 0.5', false],
    ['!!(error_rate > 0.5)', true],
    ["status == 'active'", true],
    ['status != "paused"', true],
    ['(call_count > 1000 || error_rate > 0.5) && status == \'active\'', true],
    ['call_count > 1000 || error_rate > 0.5 && status == \'idle\'', false],
    ['total_cost > -1', true],
    ['.5 < error_rate', true],
    ['true', true],
    ['false || true == true', true],
    ['  error_rate\t>\n0.5  ', true],
  ])('%s -> %s', (src, expected) => {
    expect(holds(src)).toBe(expected);
  });

  it('binds && tighter than ||', () => {
    const v = { ...vars, error_rate: 0, call_count: 0, error_count: 0 };
    expect(holds('error_count > 1 && call_count > 1 || error_rate == 0', v)).toBe(true);
    expect(holds('error_rate == 0 || error_count > 1 && call_count > 1', v)).toBe(true);
    expect(holds('(error_rate == 0 || error_count > 1) && call_count > 1', v)).toBe(false);
  });

  it('reads strings with escapes', () => {
    expect(holds(`'it\\'s' == "it's"`)).toBe(true);
    expect(holds(`'a\\\\b' == "a\\\\b" && 'x' != 'y'`)).toBe(true);
    expect(parseError("status == 'it\\'s'").detail).toContain('status is one of');
  });
});

describe('policy conditions: errors carry the column', () => {
  it.each([
    ['error_rate >', 12, /unexpected end/],
    ['error_rate = 0.5', 11, /'=='/],
    ['error_rate > 0.5 & calls_this_hour > 1', 17, /'&&'/],
    ['error_rate > 0.5 | x', 17, /'\|\|'/],
    ['foo > 1', 0, /unknown variable 'foo'/],
    ['error_rate > 0.5 && calls > 3', 20, /unknown variable 'calls'.*calls_this_hour/],
    ['(error_rate > 0.5', 17, /expected '\)' to close the '\(' at column 1/],
    ['error_rate > 0.5)', 16, /unexpected '\)'/],
    ["status == 'paused", 10, /unterminated string/],
    ["status > 'a'", 7, /strings only support == and !=/],
    ['status == 1', 7, /cannot compare a string with a number/],
    ["status == 'stopped'", 10, /status is one of active, idle, paused/],
    ['error_rate', 0, /must be true or false/],
    ['error_rate && true', 0, /'&&' needs a true\/false operand/],
    ['!error_rate', 1, /'!' needs a true\/false operand/],
    ['1 < error_rate < 2', 15, /cannot be chained/],
    ['error_rate > 1.2.3', 13, /malformed number/],
    ['error_rate > 1e5', 13, /malformed number/],
    ['error_rate > - x', 15, /number after '-'/],
    ['error_rate > 0.5 #', 17, /unexpected character "#"/],
    ['', 0, /unexpected end/],
    ['()', 1, /unexpected '\)'/],
  ])('%j fails at %i', (src, position, message) => {
    const e = parseError(src);
    expect(e.position).toBe(position);
    expect(e.column).toBe(position + 1);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`at column ${position + 1}`);
    expect(e.kind).toBe('config');
  });

  it('refuses pathological nesting instead of overflowing the stack', () => {
    const deep = '('.repeat(2000) + 'true' + ')'.repeat(2000);
    expect(parseError(deep).message).toMatch(/nested more than 64 levels/);
    expect(parseError('!'.repeat(4000) + 'true').message).toMatch(/nested/);
    expect(holds('('.repeat(60) + 'true' + ')'.repeat(60))).toBe(true);
  });

  it('refuses very long conditions', () => {
    expect(parseError('true || '.repeat(1000) + 'true').message).toMatch(/longer than 4096/);
  });
});

describe('policy parser: property tests', () => {
  const alphabet = [
    'error_rate', 'cost_this_hour', 'status', 'call_count', 'foo', 'true', ' ', '(', ')', '!', '&&', '||', '&', '|',
    '==', '!=', '<', '<=', '>', '>=', '=', '-', '0.5', '10', '.', "'active'", '"idle"', "'", '"', '\\', '#', 'é',
  ];

  const checkOnlyParseErrors = (src: string) => {
    try {
      const ast = parseCondition(src);
      // Anything that parses evaluates to a boolean without throwing.
      expect(typeof evaluateCondition(ast, vars)).toBe('boolean');
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyParseError);
      const p = (e as PolicyParseError).position;
      expect(Number.isInteger(p)).toBe(true);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(src.length);
    }
  };

  it('random strings only ever throw PolicyParseError with a position inside the input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'binary' }), checkOnlyParseErrors), { numRuns: 2000 });
  });

  it('random token soups only ever throw PolicyParseError with a position inside the input', () => {
    const soup = fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((parts) => parts.join(''));
    fc.assert(fc.property(soup, checkOnlyParseErrors), { numRuns: 3000 });
  });

  it('well-formed random expressions parse and evaluate like the same expression in JavaScript', () => {
    const num = fc.constantFrom('error_rate', 'cost_today', 'call_count', '0', '0.5', '10', '40');
    const cmp = fc
      .tuple(num, fc.constantFrom('==', '!=', '<', '<=', '>', '>='), num)
      .map(([a, op, b]) => `${a} ${op} ${b}`);
    const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        cmp,
        fc.tuple(tie('e'), fc.constantFrom('&&', '||'), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`),
        tie('e').map((a) => `!(${a})`),
      ),
    })).e;
    fc.assert(
      fc.property(expr, (src) => {
        const js = src
          .replaceAll('error_rate', String(vars.error_rate))
          .replaceAll('cost_today', String(vars.cost_today))
          .replaceAll('call_count', String(vars.call_count))
          .replaceAll('==', '===')
          .replaceAll('!=', '!==')
          .replaceAll('!===', '!==');
        const expected = Function(`"use strict"; return (${js});`)() as boolean;
        expect(holds(src)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});
