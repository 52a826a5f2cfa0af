/** The Recorder adapter: one audit row, one metrics observation and one event per request, its error text masked and bounded. */
import { describe, expect, it } from 'vitest';
import { AuditRecorder, MAX_ERROR_MESSAGE } from '../../../src/app/adapters/recorder.js';
import { ZERO_USAGE } from '../../../src/core/usage.js';
import type { RequestObservation } from '../../../src/observe/metrics.js';
import { Redactor } from '../../../src/observe/redact.js';
import type { RequestRecord } from '../../../src/pipeline/ports.js';
import type { RequestRow } from '../../../src/store/index.js';
import { makeRow } from '../store/helpers.js';

function recorder() {
  const order: string[] = [];
  const rows: RequestRow[] = [];
  const observed: RequestObservation[] = [];
  const redactor = new Redactor();
  redactor.setSecrets(['sk-upstream-secret-123']);
  const audit = new AuditRecorder({
    sink: { record: (row) => (rows.push(row), order.push('row')) },
    metrics: { requestFinished: (o) => (observed.push(o), order.push('metrics')) },
    redactor,
    onRecorded: () => order.push('event'),
  });
  return { audit, order, rows, observed };
}

const record = (row: Partial<RequestRow>): RequestRecord => ({ row: makeRow(row), usage: ZERO_USAGE, streamEvents: 3 });

describe('AuditRecorder', () => {
  it('masks keys an upstream echoed in its error and keeps the first characters only', () => {
    const r = recorder();
    const echoed = `invalid key sk-upstream-secret-123; ${'x'.repeat(3 * MAX_ERROR_MESSAGE)}`;
    r.audit.record(record({ status: 401, errorCode: 'invalid_api_key', errorMessage: echoed }));
    const stored = r.rows[0]?.errorMessage ?? '';
    expect(stored).not.toContain('sk-upstream-secret-123');
    expect(stored.startsWith('invalid key ')).toBe(true);
    expect(stored.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE);
  });

  it('queues the row, then observes the metrics, then tells the live views', () => {
    const r = recorder();
    r.audit.record(record({ provider: null, model: '', status: 400, latencyMs: 1500, ttfbMs: null }));
    expect(r.order).toEqual(['row', 'metrics', 'event']);
    expect(r.observed[0]).toMatchObject({ provider: 'none', model: 'none', status: 400, durationSeconds: 1.5, ttfbSeconds: undefined, streamEvents: 3 });
  });
});
