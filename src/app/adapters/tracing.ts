/**
 * The gateway's Tracing port: a no-op until `open` finds a `tracing:` section, then the OpenTelemetry exporter
 * (otel-tracing.ts), whose SDK is loaded only then, so a gateway without tracing never loads it. A changed
 * `tracing:` section applies at the next start: the running exporter keeps its spans and settings.
 */
import type { TracingSettings } from '../../config/types.js';
import { NO_TRACING } from '../../pipeline/no-tracing.js';
import type { RequestTrace, Tracing } from '../../pipeline/ports.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { ExportLog, OtelTracing } from './otel-tracing.js';

export class GatewayTracing implements Tracing {
  private active: Tracing = NO_TRACING;
  private otel: OtelTracing | undefined;
  private settings: TracingSettings | undefined;

  start(ctx: RequestContext): RequestTrace {
    return this.active.start(ctx);
  }

  /** Starts exporting when the config asks for it. */
  async open(settings: TracingSettings | undefined, log: ExportLog): Promise<void> {
    this.settings = settings;
    if (settings === undefined) return;
    const { openOtelTracing } = await import('./otel-tracing.js');
    this.otel = openOtelTracing(settings, log);
    this.active = this.otel.tracing;
  }

  /** Whether a reloaded config changes tracing, which only a restart applies. */
  changedBy(next: TracingSettings | undefined): boolean {
    return JSON.stringify(next ?? null) !== JSON.stringify(this.settings ?? null);
  }

  /** Exports the pending spans and stops; requests after this are not traced. */
  async close(): Promise<void> {
    const otel = this.otel;
    this.active = NO_TRACING;
    this.otel = undefined;
    await otel?.shutdown();
  }
}
