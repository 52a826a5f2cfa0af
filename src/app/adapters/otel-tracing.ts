/**
 * The pipeline's Tracing port over the OpenTelemetry SDK: one SERVER span per proxied request (a child of the
 * client's traceparent), INTERNAL spans for admission and stream relay, and a CLIENT span per upstream attempt
 * whose context the upstream call carries. The provider is the gateway's own, never registered globally: parents
 * are passed explicitly, so no other code's context or tracer changes. Spans go out in batches over OTLP/HTTP
 * (JSON). Loaded only when tracing is configured (app/adapters/tracing.ts imports this module on demand).
 */
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TracingSettings } from '../../config/types.js';
import { GatewayError, messageOf } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { AttemptSpan, LogFields, RequestTrace, StreamSpan, TraceSpan, Tracing } from '../../pipeline/ports.js';
import { rowFacts } from '../../pipeline/steps/record.js';
import type { ProviderAdapter } from '../../providers/provider.js';
import type { AssistantPart, CanonicalResponse, CanonicalStreamEvent } from '../../wire/canonical.js';
import { assistantPart, ATTR, genAiProvider, inputContent, outputContent, requestSpan, type MessagePart } from './trace-attributes.js';

/** A running exporter: the port, and the flush-and-stop of shutdown. */
export interface OtelTracing {
  tracing: Tracing;
  /** Exports what is pending and stops; later spans are dropped. */
  shutdown(): Promise<void>;
}

/** Upper bound of one export and of the flush at shutdown, so an unreachable collector cannot hold a stop. */
const EXPORT_TIMEOUT_MS = 5_000;

/** Where export trouble is told: once when exports start failing, once when they work again. */
export interface ExportLog {
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
}

export function openOtelTracing(settings: TracingSettings, log: ExportLog): OtelTracing {
  const otlp = new OTLPTraceExporter({ url: settings.endpoint, headers: { ...settings.headers }, timeoutMillis: EXPORT_TIMEOUT_MS });
  const exporter = new ReportingExporter(otlp, settings.endpoint, log);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: VERSION }),
    spanProcessors: [new BatchSpanProcessor({ exporter, exportTimeoutMillis: EXPORT_TIMEOUT_MS })],
  });
  const tracer = provider.getTracer('ai-gateway', VERSION);
  const propagator = new W3CTraceContextPropagator();
  const capture = settings.captureContent;
  return {
    tracing: { start: (ctx) => new OtelRequestTrace(tracer, propagator, ctx, capture, log) },
    // A stop never fails on the collector's account: what went wrong was logged, and the spans are lost either way.
    shutdown: () =>
      provider.shutdown().catch((err: unknown) => {
        if (!exporter.failing) log.warn('trace export at shutdown failed; the last spans are lost', { endpoint: settings.endpoint, error: messageOf(err) });
      }),
  };
}

/**
 * The OTLP exporter, telling the log when exports start and stop failing (the SDK itself only tells its global
 * diagnostic logger, which the gateway leaves alone). The collector's headers are secrets the log redacts.
 */
class ReportingExporter implements SpanExporter {
  /** The last export failed. */
  failing = false;

  constructor(
    private readonly inner: SpanExporter,
    private readonly endpoint: string,
    private readonly log: ExportLog,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      const failed = result.code !== ExportResultCode.SUCCESS;
      if (failed && !this.failing) {
        this.log.warn('trace export failed; spans are dropped until the collector answers', { endpoint: this.endpoint, spans: spans.length, error: result.error?.message });
      } else if (!failed && this.failing) this.log.info('trace export works again', { endpoint: this.endpoint });
      this.failing = failed;
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** The error.type of a failure: the gateway's error code, else the error's class name. */
function errorType(error: unknown): string {
  if (error instanceof GatewayError) return error.code;
  return error instanceof Error ? error.name : 'error';
}

/** A phase span; ends once, whatever calls end later. */
class Phase implements TraceSpan {
  protected ended = false;
  protected status = 0;

  constructor(protected readonly span: Span) {}

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (error !== undefined) {
      this.span.setAttribute(ATTR.errorType, errorType(error));
      this.span.setStatus(error instanceof GatewayError ? { code: SpanStatusCode.ERROR, message: error.kind } : { code: SpanStatusCode.ERROR });
    } else if (this.status >= 400) {
      this.span.setAttribute(ATTR.errorType, String(this.status));
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.span.end();
  }
}

class Attempt extends Phase implements AttemptSpan {
  readonly headers: Record<string, string> = {};

  constructor(span: Span, propagator: W3CTraceContextPropagator) {
    super(span);
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), this.headers, defaultTextMapSetter);
  }

  answered(status: number): void {
    this.status = status;
    this.span.setAttribute(ATTR.httpStatus, status);
  }

  retrying(waitMs: number): void {
    this.span.setAttribute(ATTR.retryWaitMs, Math.round(waitMs));
  }
}

class Stream extends Phase implements StreamSpan {
  constructor(
    span: Span,
    private readonly onFirst: () => void,
  ) {
    super(span);
  }

  firstEvent(): void {
    this.span.addEvent('first_event');
    this.onFirst();
  }
}

/** Folds streamed canonical events into the answer's parts, for gen_ai.output.messages. */
class OutputParts {
  private readonly parts: MessagePart[] = [];
  /** Tool calls by stream index: where they sit in `parts`, and their argument text so far. */
  private readonly calls = new Map<number, { at: number; id: string; name: string; text: string }>();

  observe(event: CanonicalStreamEvent): void {
    switch (event.type) {
      case 'text-delta':
      case 'thinking-delta': {
        const type = event.type === 'text-delta' ? 'text' : 'reasoning';
        const last = this.parts[this.parts.length - 1];
        if (last !== undefined && last.type === type && 'content' in last) last.content += event.text;
        else this.parts.push({ type, content: event.text });
        break;
      }
      case 'tool-call-start':
        this.calls.set(event.index, { at: this.parts.length, id: event.id, name: event.name, text: '' });
        this.parts.push({ type: 'tool_call' });
        break;
      case 'tool-call-delta': {
        const call = this.calls.get(event.index);
        if (call !== undefined) call.text += event.argsJson;
        break;
      }
      default:
        break;
    }
  }

  /** The parts, tool-call arguments parsed where they are JSON. */
  done(): MessagePart[] {
    const parts = [...this.parts];
    for (const call of this.calls.values()) {
      let args: unknown = call.text;
      try {
        args = JSON.parse(call.text);
      } catch {
        /* kept as the text that came */
      }
      parts[call.at] = { type: 'tool_call', id: call.id, name: call.name, arguments: args };
    }
    return parts;
  }
}

class OtelRequestTrace implements RequestTrace {
  private readonly span: Span;
  private readonly context: Context;
  private readonly startedAt = performance.now();
  private firstEventMs: number | undefined;
  private readonly output: OutputParts | undefined;
  private response: AssistantPart[] | undefined;
  readonly onStreamEvent: ((event: CanonicalStreamEvent) => void) | undefined;

  constructor(
    private readonly tracer: Tracer,
    private readonly propagator: W3CTraceContextPropagator,
    ctx: RequestContext,
    private readonly capture: boolean,
    private readonly log: ExportLog,
  ) {
    const parent = propagator.extract(ROOT_CONTEXT, ctx.req.headers, defaultTextMapGetter);
    // SERVER: the span is the gateway's side of the client's call; the upstream attempts are its CLIENT children.
    this.span = tracer.startSpan(ctx.endpoint.auditFormat, { kind: SpanKind.SERVER, attributes: { [ATTR.requestId]: ctx.endpoint.requestId } }, parent);
    this.context = trace.setSpan(parent, this.span);
    if (capture) {
      const output = new OutputParts();
      this.output = output;
      this.onStreamEvent = (event) => output.observe(event);
    }
  }

  admission(): TraceSpan {
    return new Phase(this.tracer.startSpan('admission', { kind: SpanKind.INTERNAL }, this.context));
  }

  attempt(n: number, provider: ProviderAdapter): AttemptSpan {
    const url = URL.parse(provider.spec.baseUrl);
    const span = this.tracer.startSpan(
      `upstream attempt ${n}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR.attempt]: n,
          [ATTR.provider]: provider.spec.name,
          [ATTR.providerName]: genAiProvider(provider.spec.type),
          ...(url !== null && url.hostname !== '' ? { [ATTR.serverAddress]: url.hostname, [ATTR.serverPort]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) } : {}),
        },
      },
      this.context,
    );
    return new Attempt(span, this.propagator);
  }

  stream(): StreamSpan {
    return new Stream(this.tracer.startSpan('stream', { kind: SpanKind.INTERNAL }, this.context), () => {
      this.firstEventMs ??= performance.now() - this.startedAt;
    });
  }

  readonly onAnswer = (response: CanonicalResponse): void => {
    if (this.capture) this.response = response.content;
  };

  end(ctx: RequestContext): void {
    // A trace never fails its request: a mistake here is logged, and the span still ends.
    try {
      this.complete(ctx);
    } catch (err) {
      this.log.warn('request trace could not be completed', { request_id: ctx.endpoint.requestId, error: messageOf(err) });
    } finally {
      this.span.end();
    }
  }

  private complete(ctx: RequestContext): void {
    const row = rowFacts(ctx);
    const target = ctx.targets.find((t) => t.provider.spec.name === ctx.provider)?.provider ?? ctx.passthrough;
    const shape = requestSpan({
      clientFormat: ctx.endpoint.auditFormat,
      requestId: ctx.endpoint.requestId,
      agent: ctx.agent,
      requestModel: ctx.model,
      provider: ctx.provider,
      providerType: target?.spec.type,
      upstreamModel: ctx.upstreamModel,
      responseModel: ctx.meter.model,
      stream: ctx.stream,
      status: row.status,
      errorCode: row.errorCode,
      attempts: ctx.attempts,
      fallbackFrom: ctx.fallbackFrom,
      routeRule: ctx.routeRule,
      usage: ctx.metered?.usage,
      estimated: ctx.metered?.estimated ?? false,
      costUsd: ctx.costUsd,
      stopReason: ctx.meter.stopReason,
    });
    const span = this.span;
    span.updateName(shape.name);
    span.setAttributes(shape.attributes);
    if (this.firstEventMs !== undefined) span.setAttribute(ATTR.timeToFirstChunk, this.firstEventMs / 1000);
    if (this.capture) this.captureContent(ctx);
    if (shape.failed) span.setStatus(ctx.error === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message: ctx.error.kind });
  }

  /** Prompt and completion text, only with capture_content. */
  private captureContent(ctx: RequestContext): void {
    if (ctx.request !== undefined) this.span.setAttributes(inputContent(ctx.request));
    const parts = this.response?.map(assistantPart) ?? this.output?.done();
    if (parts !== undefined && parts.length > 0) this.span.setAttribute(ATTR.outputMessages, outputContent(parts, ctx.meter.stopReason));
  }
}
