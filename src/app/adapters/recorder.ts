/**
 * The pipeline's Recorder over the audit store and the metrics: each finished request becomes one audit row
 * (its error text masked and bounded), one set of metric samples, and one `request` event for the live views.
 */
import type { GatewayMetrics } from '../../observe/metrics.js';
import type { Redactor } from '../../observe/redact.js';
import type { Recorder, RequestRecord } from '../../pipeline/ports.js';
import type { AuditSink } from '../../store/index.js';

/** Characters of an error message kept in the audit (an upstream's error body can be long). */
export const MAX_ERROR_MESSAGE = 2000;

export interface AuditRecorderDeps {
  sink: Pick<AuditSink, 'record'>;
  metrics: Pick<GatewayMetrics, 'requestFinished'>;
  redactor: Pick<Redactor, 'redact'>;
  /** Told of every recorded request, after its row is queued. */
  onRecorded: (record: RequestRecord) => void;
}

export class AuditRecorder implements Recorder {
  constructor(private readonly d: AuditRecorderDeps) {}

  record(record: RequestRecord): void {
    const row = record.row;
    // Error text can quote what an upstream said, and upstreams echo keys: it is stored and shown masked.
    if (row.errorMessage) row.errorMessage = this.d.redactor.redact(row.errorMessage.slice(0, MAX_ERROR_MESSAGE));
    this.d.sink.record(row);
    this.d.metrics.requestFinished({
      agent: row.agent,
      provider: row.provider ?? 'none',
      model: row.model || 'none',
      status: row.status,
      durationSeconds: row.latencyMs / 1000,
      ttfbSeconds: row.ttfbMs === null ? undefined : row.ttfbMs / 1000,
      tokens: { input: row.inputTokens, output: row.outputTokens, cacheRead: row.cacheReadTokens, cacheWrite: row.cacheWriteTokens, reasoning: row.reasoningTokens },
      costUsd: row.costUsd,
      streamEvents: record.streamEvents,
    });
    this.d.onRecorded(record);
  }
}
