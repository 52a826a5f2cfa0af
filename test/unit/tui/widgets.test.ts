import { describe, expect, it } from 'vitest';
import { parseBudget } from '../../../src/tui/budget-input.js';
import { budgetForecasts, describeForecast, forecastAgent, minutesUntilLocalMidnight } from '../../../src/tui/forecast.js';
import { agentColumns, columnsWidth, planBody, scrollWindow } from '../../../src/tui/layout.js';
import { visibleLog } from '../../../src/tui/log-filter.js';
import { bucketize, sparkline } from '../../../src/tui/sparkline.js';
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
  const researcher = agents[0]!;

  it('forecasts the hourly budget of an active agent from its hourly rate', () => {
    const f = forecastAgent(researcher, T0);
    expect(f?.window).toBe('hourly');
    // $1.79 left at $3.21/h
    expect(f?.minutes).toBeCloseTo((1.79 / 3.21) * 60, 5);
    expect(describeForecast(f!)).toBe('researcher: hourly budget gone in ~33 min at the current rate');
  });

  it('reports an exhausted budget and ignores idle and paused agents', () => {
    const over = { ...researcher, costHourUsd: 6 };
    expect(describeForecast(forecastAgent(over, T0)!)).toBe('researcher: hourly budget used up ($6.00 of $5.00)');
    expect(forecastAgent({ ...over, status: 'paused' }, T0)).toBeUndefined();
    expect(forecastAgent({ ...over, status: 'idle' }, T0)).toBeUndefined();
  });

  it('forecasts a daily budget only when it runs out before midnight', () => {
    const daily = { ...researcher, costHourUsd: 1, budget: { daily: 20 }, costTodayUsd: 19 };
    const left = minutesUntilLocalMidnight(T0);
    const f = forecastAgent(daily, T0);
    if (left >= 60) expect(f?.minutes).toBeCloseTo(60, 5);
    else expect(f).toBeUndefined();
    expect(forecastAgent({ ...daily, costTodayUsd: 0 }, T0)).toBeUndefined();
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
    const noTokens = agentColumns(agents, full - 1);
    expect(noTokens.tokens).toBe(0);
    expect(noTokens.total).toBeGreaterThan(0);
    const noTotal = agentColumns(agents, columnsWidth(noTokens) - 1);
    expect(noTotal.total).toBe(0);
    expect(noTotal.model).toBe(17);
    const shortModel = agentColumns(agents, columnsWidth(noTotal) - 1);
    expect(shortModel.model).toBe(16); // cut to 12, then given back the spare cells
    expect(agentColumns(agents, columnsWidth(noTotal) - 5).model).toBe(12);
    for (const w of [76, 60, 50]) expect(columnsWidth(agentColumns(agents, w))).toBeLessThanOrEqual(w);
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
