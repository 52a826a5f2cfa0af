/**
 * A fake OpenTelemetry collector's OTLP/HTTP traces receiver on 127.0.0.1:0, as strict as the real one about what
 * it accepts: only `POST /v1/traces` with `Content-Type: application/json` (the OTLP/JSON encoding that
 * @opentelemetry/exporter-trace-otlp-http sends) and a body that is an ExportTraceServiceRequest. Anything else
 * gets the status a collector answers (404, 405, 415, 400). Spans are decoded into plain records (ids in hex, kinds
 * and attribute values typed) so tests read them as they would in a tracing backend. Nothing here imports the
 * gateway's own code.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type OtlpValue = string | number | boolean | OtlpValue[] | null;

export interface CollectedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  attributes: Record<string, OtlpValue>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  events: { name: string; attributes: Record<string, OtlpValue> }[];
  startNs: bigint;
  endNs: bigint;
  /** The resource's attributes (service.name…). */
  resource: Record<string, OtlpValue>;
}

export interface CollectorRequest {
  method: string;
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  status: number;
}

export interface FakeCollector {
  /** `http://127.0.0.1:<port>/v1/traces`. */
  readonly endpoint: string;
  readonly spans: readonly CollectedSpan[];
  readonly requests: readonly CollectorRequest[];
  /** Resolves once at least `count` spans arrived. */
  waitForSpans(count: number, timeoutMs?: number): Promise<readonly CollectedSpan[]>;
  close(): Promise<void>;
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(message: string): never {
  throw new Error(message);
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(`${what} is not an array`);
  return v;
}

/** One AnyValue of OTLP/JSON: exactly one of its typed fields. int64 may come as a string or a number. */
function anyValue(v: unknown): OtlpValue {
  if (!isObject(v)) fail('an attribute value is not an object');
  const keys = Object.keys(v);
  if (keys.length === 0) return null;
  if (keys.length !== 1) fail(`an AnyValue has ${keys.length} fields: ${keys.join(', ')}`);
  const key = keys[0]!;
  const value = v[key];
  switch (key) {
    case 'stringValue':
      if (typeof value !== 'string') fail('stringValue is not a string');
      return value;
    case 'boolValue':
      if (typeof value !== 'boolean') fail('boolValue is not a boolean');
      return value;
    case 'intValue':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
      return fail('intValue is not an integer');
    case 'doubleValue':
      if (typeof value !== 'number') fail('doubleValue is not a number');
      return value;
    case 'arrayValue':
      if (!isObject(value)) fail('arrayValue is not an object');
      return list(value.values, 'arrayValue.values').map(anyValue);
    default:
      return fail(`unsupported AnyValue field ${key}`);
  }
}

function attributes(v: unknown): Record<string, OtlpValue> {
  const out: Record<string, OtlpValue> = {};
  for (const kv of list(v, 'attributes')) {
    if (!isObject(kv) || typeof kv.key !== 'string') fail('an attribute has no key');
    out[kv.key] = anyValue(kv.value);
  }
  return out;
}

function hexId(v: unknown, bytes: number, what: string, optional = false): string {
  if ((v === undefined || v === '') && optional) return '';
  if (typeof v !== 'string' || !new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(v)) fail(`${what} is not ${bytes} bytes of lower-case hex`);
  return v;
}

function nanos(v: unknown, what: string): bigint {
  if ((typeof v === 'string' && /^\d+$/.test(v)) || (typeof v === 'number' && Number.isInteger(v))) return BigInt(v);
  return fail(`${what} is not a uint64`);
}

/** An ExportTraceServiceRequest in OTLP/JSON, decoded; throws on anything malformed. */
export function decodeTraces(body: unknown): CollectedSpan[] {
  if (!isObject(body)) fail('the body is not a JSON object');
  const spans: CollectedSpan[] = [];
  for (const rs of list(body.resourceSpans, 'resourceSpans')) {
    if (!isObject(rs)) fail('a resourceSpans entry is not an object');
    const resource = isObject(rs.resource) ? attributes(rs.resource.attributes) : {};
    for (const ss of list(rs.scopeSpans, 'scopeSpans')) {
      if (!isObject(ss)) fail('a scopeSpans entry is not an object');
      for (const s of list(ss.spans, 'spans')) {
        if (!isObject(s)) fail('a span is not an object');
        if (typeof s.name !== 'string' || s.name === '') fail('a span has no name');
        const kind = typeof s.kind === 'number' ? KINDS[s.kind] : undefined;
        if (kind === undefined) fail(`span ${s.name} has an unknown kind`);
        const status = isObject(s.status) ? s.status : {};
        spans.push({
          traceId: hexId(s.traceId, 16, 'traceId'),
          spanId: hexId(s.spanId, 8, 'spanId'),
          parentSpanId: hexId(s.parentSpanId, 8, 'parentSpanId', true),
          name: s.name,
          kind,
          attributes: attributes(s.attributes),
          statusCode: typeof status.code === 'number' ? status.code : 0,
          events: list(s.events, 'events').map((e) => {
            if (!isObject(e) || typeof e.name !== 'string') fail('an event has no name');
            return { name: e.name, attributes: attributes(e.attributes) };
          }),
          startNs: nanos(s.startTimeUnixNano, 'startTimeUnixNano'),
          endNs: nanos(s.endTimeUnixNano, 'endTimeUnixNano'),
          resource,
        });
      }
    }
  }
  return spans;
}

function answer(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startFakeCollector(): Promise<FakeCollector> {
  const spans: CollectedSpan[] = [];
  const requests: CollectorRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const wake = (): void => {
    for (const w of [...waiters]) {
      if (spans.length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const record: CollectorRequest = { method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, status: 0 };
    requests.push(record);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const reply = (status: number, body: Json): void => {
      record.status = status;
      answer(res, status, body);
    };
    if (req.url !== '/v1/traces') return reply(404, { code: 5, message: `no receiver at ${req.url}` });
    if (req.method !== 'POST') return reply(405, { code: 12, message: 'use POST' });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return reply(415, { code: 3, message: `unsupported content type ${type}` });
    let decoded: CollectedSpan[];
    try {
      decoded = decodeTraces(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch (err) {
      return reply(400, { code: 3, message: err instanceof Error ? err.message : String(err) });
    }
    spans.push(...decoded);
    reply(200, {});
    wake();
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    get spans() {
      return spans;
    },
    get requests() {
      return requests;
    },
    waitForSpans(count, timeoutMs = 5000) {
      if (spans.length >= count) return Promise.resolve(spans);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${spans.length} of ${count} spans arrived`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(spans);
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
