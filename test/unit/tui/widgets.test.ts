import { describe, expect, it } from 'vitest';
import { parseBudget } from '../../../src/tui/budget-input.js';
import { budgetForecasts, describeForecast, forecastAgent, minutesUntilLocalMidnight, spendRate } from '../../../src/tui/forecast.js';
import { agentColumns, columnsWidth, planBody, scrollWindow } from '../../../src/tui/layout.js';
import { visibleLog } from '../../../src/tui/log-filter.js';
import { bucketize, sparkline } from '../../../src/tui/sparkline.js';
import { breakerLabel, middleEllipsis } from '../../../src/tui/breakers-panel.js';
import { arrivedSince, cursorIndex, foldRejections, moveCursor } from '../../../src/tui/log-view.js';
import type { AgentStatus, LogEntry } from '../../../src/live/snapshot.js';
import { sampleSnapshot, T0 } from './helpers.js';

describe('sparkline', () => {
  it('scales to the largest value and keeps its width', () => {
    expect(sparkline([0, 1, 2, 4, 8], 5)).toBe('▁▂▃▅█');
    expect(sparkline([5], 3)).toBe('▁▁█');
    expect(sparkline([0, 0], 2)).toBe('▁▁');
    expect(sparkline([1, 2, 3, 4], 2)).toBe('▆█');
  });

  it('buckets timed values', () => {
    const items = [{ t: 0, v: 1 }, { t: 59_999, v: 2 }, { t: 60_000, v: 4 }, { t: -1, v: 100 }];
    expect(bucketize(items, { now: 120_000, bucketMs: 60_000, count: 2, time: (i) => i.t, value: (i) => i.v })).toEqual([3, 4]);
  });
});

describe('forecast', () => {
  const agents = sampleSnapshot().agents;
  const researcher = agents.find((a) => a.id === 'researcher')!;
  const BUCKET = 20_000;
  /** 30 buckets of 20 s ending with the (just begun) bucket that holds `at`. */
  /** The agent without a spend history. */
  const withoutHistory = (a: AgentStatus): AgentStatus => {
    const { spendHistory: _, ...rest } = a;
    return rest;
  };
  const history = (values: number[]) => ({ bucketMs: BUCKET, buckets: [...new Array<number>(30 - values.length).fill(0), ...values] });

  it('forecasts from the spend of the last five minutes, and says it was steady', () => {
    const f = forecastAgent(researcher, T0);
    expect(f?.window).toBe('hourly');
    // $1.79 left at $0.054 a minute ($0.018 every 20 s), not at the hour's average of $3.21/h.
    expect(f?.minutes).toBeCloseTo(1.79 / 0.054, 2);
    expect(f?.confidence).toBe('steady');
    expect(describeForecast(f!)).toBe('researcher: hourly budget gone in ~33 min (steady)');
  });

  it('calls uneven spend bursty', () => {
    const bursty = { ...researcher, spendHistory: history([...new Array<number>(14).fill(0).map((_, i) => (i % 3 === 0 ? 0.09 : 0)), 0]) };
    const f = forecastAgent(bursty, T0);
    expect(f?.confidence).toBe('bursty');
    expect(describeForecast(f!)).toMatch(/^researcher: hourly budget gone in ~\d+ min \(bursty\)$/);
  });

  it('near the end says <1 min, and gone once the budget is spent; never the hour\'s average', () => {
    // Quiet for most of the hour, then $1 a minute for the last 5 minutes: $4.90 of $5 spent, 6 s left.
    const burst = { ...researcher, costHourUsd: 4.9, spendHistory: history([...new Array<number>(15).fill(1 / 3), 0]) };
    const f = forecastAgent(burst, T0);
    expect(f?.minutes).toBeCloseTo(0.1, 2);
    expect(describeForecast(f!)).toBe('researcher: hourly budget gone in <1 min (steady)');
    // The hour's average ($4.90/h) would have said about a minute and a quarter: not what the last minutes say.
    expect((5 - 4.9) / (4.9 / 60)).toBeGreaterThan(1);
    const over = { ...burst, costHourUsd: 5.2 };
    expect(describeForecast(forecastAgent(over, T0)!)).toBe('researcher: hourly budget gone ($5.20 of $5)');
    expect(forecastAgent({ ...over, status: 'paused' }, T0)).toBeUndefined();
    expect(forecastAgent({ ...over, status: 'idle' }, T0)).toBeUndefined();
  });

  it('gives an early estimate from less than a minute of spend, and says there is not enough data without any', () => {
    // An agent that started 40 s ago and has spent 90% of its hourly budget already.
    const starter = { ...researcher, costHourUsd: 0.009, budget: { hourly: 0.01 }, spendHistory: history([0.004, 0.005, 0]) };
    const early = forecastAgent(starter, T0 + 10_000);
    expect(early?.confidence).toBe('early');
    expect(describeForecast(early!)).toBe('researcher: hourly budget gone in <1 min (early estimate)');
    const quiet = withoutHistory(starter);
    expect(describeForecast(forecastAgent(quiet, T0)!)).toBe('researcher: hourly budget 90% used; not enough data for a forecast');
    expect(forecastAgent({ ...quiet, costHourUsd: 0.005 }, T0)).toBeUndefined();
  });

  it('measures the rate over the part of the window since spending began', () => {
    // $0.05 in each of the last 6 complete buckets (2 minutes), nothing before.
    const rate = spendRate(history([0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0]), T0);
    expect(rate.usdPerMinute).toBeCloseTo(0.15, 3);
    expect(rate.confidence).toBe('steady');
    expect(spendRate(undefined, T0)).toEqual({ usdPerMinute: 0, confidence: 'unknown' });
  });

  it('counts an early estimate from the first call, not from the start of the bucket it fell in', () => {
    // 15 s into a bucket; the agent's first call was 5 s ago and it has spent $0.005 since.
    const at = T0 + 15_000;
    const rate = spendRate({ ...history([0.005]), since: at - 5000 }, at);
    expect(rate.confidence).toBe('early');
    expect(rate.usdPerMinute).toBeCloseTo(0.06, 3);
    expect(spendRate(history([0.005]), at).usdPerMinute).toBeCloseTo(0.02, 3);
  });

  it('forecasts a daily budget only when it runs out before midnight', () => {
    // $1 a minute.
    const daily = { ...researcher, budget: { daily: 80 }, costTodayUsd: 20, spendHistory: history([...new Array<number>(15).fill(1 / 3), 0]) };
    const left = minutesUntilLocalMidnight(T0);
    const f = forecastAgent(daily, T0);
    if (left >= 60) expect(f?.minutes).toBeCloseTo(60, 1);
    else expect(f).toBeUndefined();
    expect(forecastAgent(withoutHistory(daily), T0)).toBeUndefined();
  });

  it('sorts forecasts by urgency', () => {
    const list = budgetForecasts([{ ...researcher, id: 'a' }, { ...researcher, id: 'b', costHourUsd: 4.5 }], T0);
    expect(list.map((f) => f.agent)).toEqual(['b', 'a']);
  });
});

describe('budget input', () => {
  it('rejects text and negatives, accepts decimals, treats empty as no limit', () => {
    expect(parseBudget({ hourly: 'abc', daily: '', total: '' })).toMatchObject({ ok: false, field: 'hourly' });
    expect(parseBudget({ hourly: '', daily: '-1', total: '' })).toMatchObject({ ok: false, field: 'daily', message: 'daily: "-1" is not a number ≥ 0' });
    expect(parseBudget({ hourly: '1e3', daily: '', total: '' }).ok).toBe(false);
    expect(parseBudget({ hourly: '2.5', daily: ' ', total: '$10' })).toEqual({ ok: true, change: { hourly: 2.5, daily: null, total: 10 } });
    expect(parseBudget({ hourly: '0', daily: '.5', total: '' })).toEqual({ ok: true, change: { hourly: 0, daily: 0.5, total: null } });
  });
});

describe('layout', () => {
  const agents = sampleSnapshot().agents;

  it('keeps every column when there is room', () => {
    const c = agentColumns(agents, 116);
    expect(c.tokens).toBeGreaterThan(0);
    expect(c.total).toBeGreaterThan(0);
    expect(c.model).toBe('claude-sonnet-4-5'.length);
    expect(columnsWidth(c)).toBeLessThanOrEqual(116);
  });

  it('drops TOKENS, then TOTAL, then shortens MODEL as the width shrinks', () => {
    const full = columnsWidth(agentColumns(agents, 200));
    // The longest pause reason gives up its last cell before any column goes.
    expect(agentColumns(agents, full - 1).tokens).toBeGreaterThan(0);
    const noTokens = agentColumns(agents, full - 2);
    expect(noTokens.tokens).toBe(0);
    expect(noTokens.total).toBeGreaterThan(0);
    // Each step: one cell less comes out of the pause reason, two take the next column.
    const noTotal = agentColumns(agents, columnsWidth(noTokens) - 2);
    expect(noTotal.total).toBe(0);
    expect(noTotal.model).toBe(17);
    const shortModel = agentColumns(agents, columnsWidth(noTotal) - 2);
    expect(shortModel.model).toBe(15); // cut to 12, then given back the cells the status did not take
    expect(agentColumns(agents, columnsWidth(noTotal) - 5).model).toBe(12);
    for (const w of [76, 60, 50]) expect(columnsWidth(agentColumns(agents, w))).toBeLessThanOrEqual(w);
  });

  it('shows the same columns whether or not an agent is paused', () => {
    const active = agents.map((a): AgentStatus => {
      const { pauseReason: _, ...rest } = a;
      return { ...rest, status: 'active' };
    });
    const shown = (c: ReturnType<typeof agentColumns>): string[] =>
      (['agent', 'status', 'model', 'calls', 'tokens', 'hourly', 'budget', 'today', 'total'] as const).filter((k) => c[k] > 0);
    for (const width of [140, 116, 100, 90, 76, 60]) {
      const before = agentColumns(active, width);
      const paused = active.map((a, i): AgentStatus => (i === 1 ? { ...a, status: 'paused', pauseReason: 'policy:high-error-rate-on-weekends' } : a));
      const after = agentColumns(paused, width);
      expect(shown(after), `at ${width}`).toEqual(shown(before));
      expect(columnsWidth(after)).toBeLessThanOrEqual(width);
    }
  });

  it('plans rows that add up to the height', () => {
    const stacked = planBody({ height: 20, agentCount: 5, forecastCount: 1, breakerLines: 2, stacked: true });
    expect(3 + stacked.agentRows + stacked.forecastRows + 3 + stacked.breakerRows + stacked.logRows).toBe(20);
    expect(stacked.agentRows).toBe(5);
    const tight = planBody({ height: 12, agentCount: 30, forecastCount: 3, breakerLines: 5, stacked: true });
    expect(3 + tight.agentRows + tight.forecastRows + 3 + tight.breakerRows + tight.logRows).toBeLessThanOrEqual(12);
    const side = planBody({ height: 26, agentCount: 5, forecastCount: 0, breakerLines: 3, stacked: false });
    expect(3 + side.agentRows + 2 + side.logRows).toBe(26);
  });

  it('scrolls to keep the selection visible', () => {
    expect(scrollWindow(3, 5, 2)).toBe(0);
    expect(scrollWindow(20, 5, 0)).toBe(0);
    expect(scrollWindow(20, 5, 10)).toBe(8);
    expect(scrollWindow(20, 5, 19)).toBe(15);
  });
});

describe('log filter', () => {
  const recent = sampleSnapshot().recent;
  it('matches every word against agent, model, provider, status and error code', () => {
    expect(visibleLog(recent, '').map((e) => e.id)).toEqual(['r4', 'r3', 'r2', 'r1']);
    expect(visibleLog(recent, 'CODER').map((e) => e.id)).toEqual(['r3']);
    expect(visibleLog(recent, '5xx').map((e) => e.id)).toEqual(['r1']);
    expect(visibleLog(recent, 'anthropic 200').map((e) => e.id)).toEqual(['r4', 'r2']);
    expect(visibleLog(recent, 'budget_exceeded').map((e) => e.id)).toEqual(['r3']);
    expect(visibleLog(recent, 'stream').map((e) => e.id)).toEqual(['r4']);
    expect(visibleLog(recent, 'nothing-like-this')).toEqual([]);
  });
});

describe('log view', () => {
  const e = (id: string, status: number, agent = 'coder', errorCode?: string): LogEntry => ({
    id, ts: 0, agent, model: 'm', provider: 'p', status, tokensIn: 0, tokensOut: 0, costUsd: null, latencyMs: 1, stream: false, estimated: false,
    ...(errorCode ? { errorCode } : {}),
  });

  it('folds only runs of the same agent, status and error code, and only failures', () => {
    const lines = foldRejections([e('a', 429, 'coder', 'budget_exceeded'), e('b', 429, 'coder', 'budget_exceeded'), e('c', 429, 'coder', 'rate_limited'), e('d', 429, 'other', 'rate_limited'), e('f', 200), e('g', 200)]);
    expect(lines.map((l) => [l.entry.id, l.count, l.key])).toEqual([
      ['a', 2, 'b'],
      ['c', 1, 'c'],
      ['d', 1, 'd'],
      ['f', 1, 'f'],
      ['g', 1, 'g'],
    ]);
  });

  it('moves a cursor that follows the newest line at the top, and counts arrivals while frozen', () => {
    const lines = foldRejections([e('a', 200), e('b', 200), e('c', 200)]);
    expect(moveCursor(lines, undefined, 1)).toBe('b');
    expect(moveCursor(lines, 'b', 5)).toBe('c');
    expect(moveCursor(lines, 'b', -1)).toBeUndefined();
    expect(cursorIndex(lines, 'gone')).toBe(0);
    expect(arrivedSince([e('a', 200)], [e('a', 200), e('b', 200), e('c', 200)])).toBe(2);
  });
});

describe('breaker labels', () => {
  it('cut in the middle, keeping the provider of an agent\'s own breaker whole', () => {
    expect(middleEllipsis('summarizer', 6)).toBe('summ…r');
    expect(breakerLabel('openai', 16)).toBe('openai');
    expect(breakerLabel('a-very-long-provider-name', 10)).toBe('a-very-…me');
    expect(breakerLabel('summarizer:openai', 13)).toBe('summ…r:openai');
    expect(breakerLabel('summarizer:anthropic', 16)).toBe('summ…r:anthropic');
    expect(breakerLabel('summarizer:sim-openai', 12)).toBe('…:sim-openai');
    expect(breakerLabel('summarizer:sim-openai', 8)).toBe('…:sim-…i');
    for (const [key, width] of [['summarizer:openai', 13], ['summarizer:sim-openai', 8], ['x', 1]] as const) expect(Array.from(breakerLabel(key, width)).length).toBeLessThanOrEqual(width);
  });
});
