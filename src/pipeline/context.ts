/**
 * One request as it walks the pipeline: what it came with, what each step found out, and what the audit row
 * will say. Every step reads and fills in this one object (src/pipeline/step.ts); the row builder
 * (steps/record.ts) reads only it, so every endpoint records alike.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayError } from '../core/errors.js';
import type { ModelPrice } from '../metering/index.js';
import type { ProviderAdapter } from '../providers/provider.js';
import type { CanonicalRequest } from '../wire/canonical.js';
import type { WireFormat } from '../wire/codec.js';
import type { GeminiTarget } from '../wire/index.js';
import type { Admission, PipelineDeps, ProxySettings, RequestTrace, RouteTarget } from './ports.js';
import type { Hold } from './steps/admit.js';
import type { Attempt } from './steps/forward.js';
import type { Identity } from './steps/identify.js';
import { UsageMeter, type MeteredUsage } from './steps/meter.js';
import type { ResolvedState } from './steps/responses-state.js';
import type { UpstreamBody } from './steps/translate.js';
import type { UsageWarning } from './usage-warnings.js';

/** What an endpoint is, for the request's bookkeeping. */
export interface EndpointInfo {
  requestId: string;
  /** The API path called, e.g. `/v1/chat/completions`. */
  path: string;
  /** The query string (`?…`, or empty), passed on by pass-through. */
  search: string;
  /** The agent named by an `/agents/{id}/…` path prefix. */
  pathAgent: string | undefined;
  /** The client's wire format: how its body is read and its errors are written. */
  wire: WireFormat;
  /** What the audit calls the client's format (`openai-embeddings`, `passthrough`, or the wire format). */
  auditFormat: string;
  /** A Gemini call names its model and whether it streams in the URL, not the body. */
  gemini?: GeminiTarget | undefined;
}

/** The last upstream error response, kept raw so a same-format client gets it as the provider wrote it. */
export interface UpstreamFailure {
  format: WireFormat;
  status: number;
  text: string;
  error: GatewayError;
}

export class RequestContext {
  readonly started: number;
  /** When the request arrived, epoch ms. */
  readonly arrivedAt: number;
  readonly settings: ProxySettings;
  /** Aborted when the client leaves before its answer was written: the upstream call stops with it. */
  readonly abort = new AbortController();
  /** Headers every answer of this request carries. */
  readonly headers: Record<string, string>;
  readonly meter = new UsageMeter();
  /** The request's trace (a shared no-op when tracing is off). */
  readonly trace: RequestTrace;

  identity: Identity | undefined;
  body: Buffer | undefined;
  /** The body as text, read once (translation and estimates use it). */
  bodyText = '';
  /** The body parsed as JSON. */
  json: unknown;
  request: CanonicalRequest | undefined;
  /** Where the request may go: primary first, then fallbacks. */
  targets: RouteTarget[] = [];
  /** Earlier responses a Responses request refers to, expanded; an error kept until a translating target is tried. */
  state: ResolvedState | GatewayError | undefined;
  hold: Hold | undefined;
  admission: Admission | undefined;
  upstreamBody: UpstreamBody | undefined;
  /** The provider a pass-through call goes to. */
  passthrough: ProviderAdapter | undefined;
  attempt: Attempt | undefined;
  upstreamFailure: UpstreamFailure | undefined;
  /** The price of what answered (or is about to); undefined leaves the call unpriced, never a silent $0. */
  price: ModelPrice | undefined;
  metered: MeteredUsage | undefined;
  /** What the call cost, once settled; undefined when unpriced or never answered. */
  costUsd: number | undefined;

  // What the row says, filled in as the request goes.
  provider: string | null = null;
  model = '';
  upstreamModel: string | null = null;
  upstreamFormat: string | null = null;
  stream = false;
  fallbackFrom: string | null = null;
  /** Requests sent upstream for this call, retries and fallbacks included. */
  attempts = 0;
  /** The routing rule that chose the model (`background`, `thinking`…); null when the request's own model was routed. */
  routeRule: string | null = null;
  /** The provider was called: the call counts, and whatever it cost is owed. */
  upstreamCalled = false;
  /** Status the client got; 0 until an answer or error is written. */
  status = 0;
  error: GatewayError | undefined;
  clientClosed = false;
  ttfbMs: number | null = null;
  bytesIn: number | null = null;
  bytesOut: number | null = null;

  /** Milliseconds from arrival until the client's response closed; undefined while it is open. */
  private closedAfter: number | undefined;
  private readonly onClose = (): void => {
    this.closedAfter ??= this.elapsed();
    if (!this.res.writableFinished) this.abort.abort();
  };

  constructor(
    readonly deps: PipelineDeps,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly endpoint: EndpointInfo,
    /** Told when a provider's usage report held counts that are no token counts (it logs once per provider). */
    readonly warnUsage: UsageWarning,
  ) {
    this.started = deps.clock.monotonic();
    this.arrivedAt = deps.clock.now();
    this.settings = deps.settings();
    this.headers = { 'x-request-id': endpoint.requestId };
    res.on('close', this.onClose);
    this.trace = deps.tracing.start(this);
  }

  /** The agent the request is for; `default` until it is identified. */
  get agent(): string {
    return this.identity?.agent ?? 'default';
  }

  /** Milliseconds since the request arrived. */
  elapsed(): number {
    return this.deps.clock.monotonic() - this.started;
  }

  /**
   * The request's latency as its client saw it: until the response closed, or until now while it is open. Metering a
   * cut-off stream (counting its tokens) can go on after the client has its answer, and is not the client's wait.
   */
  latency(): number {
    return this.closedAfter ?? this.elapsed();
  }

  /** Records the target a request is being sent to, so a failed call's row still names the provider that failed. */
  trying(target: RouteTarget, upstreamFormat: string): void {
    this.provider = target.provider.spec.name;
    this.upstreamModel = target.upstreamModel;
    this.upstreamFormat = upstreamFormat;
    const primary = this.targets[0];
    this.fallbackFrom = primary !== undefined && target !== primary ? primary.provider.spec.name : null;
  }

  /** The request has ended: stop listening for the client, release a hold nothing settled. */
  close(): void {
    this.res.off('close', this.onClose);
    // After a settlement this does nothing; after a throw it is what releases the hold.
    this.admission?.abandon();
  }
}
