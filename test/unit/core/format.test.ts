import { describe, expect, it } from 'vitest';
import {
  budgetBar,
  fit,
  formatCost,
  formatCount,
  formatCountdown,
  formatLatency,
  formatMinutes,
  formatPercent,
  formatTokens,
  formatUptime,
  formatUsd,
  shortenModel,
} from '../../../src/core/format.js';

describe('format', () => {
  it('formats counts, tokens and money', () => {
    expect(formatCount(1204)).toBe('1,204');
    expect([800, 1200, 12_400, 310_000, 999_999, 2_100_000, 21_000_000].map(formatTokens)).toEqual(['800', '1.2k', '12k', '310k', '1M', '2.1M', '21M']);
    expect(formatUsd(3.214)).toBe('3.21');
    expect(formatUsd(0)).toBe('0.00');
    expect(formatUsd(0.001)).toBe('<0.01');
    expect(formatCost(0.0087)).toBe('$0.0087');
    expect(formatCost(1.5)).toBe('$1.50');
    expect(formatCost(null)).toBe('unpriced');
    expect(formatCost(0)).toBe('$0');
    expect(formatPercent(0.004)).toBe('0.4%');
    expect(formatPercent(0.5)).toBe('50%');
  });

  it('spells every dollar amount by one rule: no cents on whole dollars, two to four decimals below $1', () => {
    const cases: [number | null, string][] = [
      [0, '$0'],
      [5, '$5'],
      [20, '$20'],
      [8.4, '$8.40'],
      [1.234, '$1.23'],
      [0.5, '$0.50'],
      [0.12, '$0.12'],
      [0.123456, '$0.1235'],
      [0.087, '$0.087'],
      [0.0021, '$0.0021'],
      [0.00004, '<$0.0001'],
      [0.99999, '$1.00'],
      [-0.5, '-$0.50'],
      [null, 'unpriced'],
    ];
    expect(cases.map(([v]) => formatCost(v))).toEqual(cases.map(([, s]) => s));
  });

  it('formats durations', () => {
    expect(formatUptime(45_000)).toBe('45s');
    expect(formatUptime((72 * 60 + 5) * 1000)).toBe('1h12m');
    expect(formatUptime(27 * 3600_000)).toBe('1d3h');
    expect(formatCountdown(11_001)).toBe('12s');
    expect(formatCountdown(245_000)).toBe('4m05s');
    expect(formatLatency(820)).toBe('820ms');
    expect(formatLatency(1234)).toBe('1.2s');
    expect(formatMinutes(0.5)).toBe('<1 min');
    expect(formatMinutes(14.2)).toBe('~14 min');
    expect(formatMinutes(130)).toBe('~2h10m');
  });

  it('fits text to a width and shortens model names', () => {
    expect(fit('abc', 5)).toBe('abc  ');
    expect(fit('abc', 5, 'right')).toBe('  abc');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(shortenModel('claude-sonnet-4-5', 12)).toBe('claude-sonn…');
    expect(shortenModel('anthropic/claude-haiku', 12)).toBe('claude-haiku');
    expect(budgetBar(0.64, 10)).toBe('██████░░░░');
    expect(budgetBar(3, 5)).toBe('█████');
  });
});

