/**
 * The side paths (count_tokens, embeddings, any other /v1 path passed through to a provider) get what chat
 * calls get: the same identity rules, the same admission (pause, deny policies, rate limits, a budget hold),
 * the hold settled exactly once whatever happens, and an audit row built by the same settlement.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { GatewayError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { ModelPrice } from '../metering/index.js';
import { sendError, toGatewayError } from '../server/render-error.js';
import type { WireFormat } from '../wire/codec.js';
import type { Logger } from '../observe/logger.js';
import { maskSecret } from '../observe/redact.js';
import type { Admission, AdmissionRequest, Controls, Recorder } from './ports.js';
import { identify, type IdentifyOptions, type Identity } from './steps/identify.js';
import type { MeteredUsage } from './steps/meter.js';
import { settleRequest } from './settle.js';

export interface SideCallDeps {
  clock: Clock;
  logger: Logger;
  controls: Controls;
  recorder: Recorder;
  settings: () => IdentifyOptions;
}

export interface SideCallMeta {
  requestId: string;
  /** The API path called, e.g. `/v1/embeddings`. */
  path: string;
  /** How errors are rendered for this client. */
  errorFormat: WireFormat;
  /** What the audit calls the client's format, e.g. `openai-embeddings` or `passthrough`. */
  clientFormat: string;
}

/** One side call's bookkeeping, filled in as it goes; `runSideCall` settles it. */
export class SideCall {
  private readonly started: number;
  private readonly ts: number;
  identity: Identity | undefined;
  admission: Admission | undefined;
  provider: string | null = null;
  model = '';
  upstreamModel: string | null = null;
  upstreamFormat: string | null = null;
  stream = false;
  /** The request reached the provider: it counts, and whatever it cost is owed. */
  upstreamCalled = false;
  /** Status the client got; taken from the response when the handler leaves it at 0. */
  status = 0;
  errorCode: string | null = null;
  errorMessage: string | null = null;
  /** What the call used; undefined leaves it unpriced (cost NULL), never a silent $0. */
  metered: MeteredUsage | undefined;
  price: ModelPrice | undefined;
  bytesIn: number | null = null;
  bytesOut: number | null = null;
  ttfbMs: number | null = null;

  constructor(
    private readonly deps: SideCallDeps,
    readonly meta: SideCallMeta,
    private readonly res: ServerResponse,
  ) {
    this.started = deps.clock.monotonic();
    this.ts = deps.clock.now();
  }

  identify(pathAgent: string | undefined, headers: IncomingHttpHeaders): Identity {
    this.identity = identify(pathAgent, headers, this.deps.settings());
    this.res.setHeader('x-ai-gateway-agent', this.identity.agent);
    return this.identity;
  }

  /** Pause, deny policies, rate limits and the budget, as for a chat call; throws the refusal. */
  admit(request: Omit<AdmissionRequest, 'agent'>): Admission {
    this.admission = this.deps.controls.admit({ ...request, agent: this.identity?.agent ?? 'default' });
    return this.admission;
  }

  /** Milliseconds since the call arrived. */
  elapsed(): number {
    return this.deps.clock.monotonic() - this.started;
  }

  fail(error: GatewayError): void {
    this.status = error.status;
    this.errorCode = error.code;
    this.errorMessage = error.message;
  }

  settle(): void {
    const clientClosed = !this.res.writableEnded && this.errorCode === null;
    const status = clientClosed ? 499 : this.status || this.res.statusCode;
    settleRequest(this.deps.recorder, {
      admission: this.admission,
      upstreamCalled: this.upstreamCalled,
      ok: status < 400 || clientClosed,
      metered: this.metered,
      price: this.price,
      row: {
        id: this.meta.requestId,
        ts: this.ts,
        agent: this.identity?.agent ?? 'default',
        provider: this.provider,
        model: this.model,
        upstreamModel: this.upstreamModel,
        clientFormat: this.meta.clientFormat,
        upstreamFormat: this.upstreamFormat,
        stream: this.stream,
        status,
        errorCode: clientClosed ? 'client_closed' : status >= 400 ? (this.errorCode ?? 'upstream_error') : this.errorCode,
        latencyMs: Math.round(this.elapsed()),
        ttfbMs: this.ttfbMs === null ? null : Math.round(this.ttfbMs),
        dropped: null,
        path: this.meta.path,
        bytesIn: this.bytesIn,
        bytesOut: this.bytesOut,
        errorMessage: clientClosed || this.errorMessage === null ? null : maskSecret(this.errorMessage, this.identity?.clientKey),
      },
    });
  }
}

/**
 * Runs a side call: errors go to the client in its format, and the call is settled and recorded whatever
 * happened; a hold nothing settled (a throw while settling) is released in the `finally`.
 */
export async function runSideCall(deps: SideCallDeps, res: ServerResponse, meta: SideCallMeta, run: (call: SideCall) => Promise<void>): Promise<void> {
  const call = new SideCall(deps, meta, res);
  try {
    try {
      await run(call);
    } catch (err) {
      const error = toGatewayError(err);
      if (error.kind === 'internal') deps.logger.error('request failed', { request_id: meta.requestId, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      call.fail(error);
      sendError(res, error, meta.errorFormat, meta.requestId);
    }
    call.settle();
  } finally {
    call.admission?.abandon();
  }
}
