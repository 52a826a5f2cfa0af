/**
 * The built-in simulated provider behind `--demo` (and `type: mock` in a config). It speaks a real wire
 * format — bytes produced by the same codecs that translate real traffic — with realistic latency and
 * usage, and can simulate an outage window so breakers have something to do.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../core/clock.js';
import { GatewayError } from '../../core/errors.js';
import { ZERO_USAGE, type Usage } from '../../core/usage.js';
import type { CanonicalStreamEvent } from '../../wire/canonical.js';
import type { WireFormat } from '../../wire/codec.js';
import { codecFor } from '../../wire/index.js';
import type { ProviderAdapter, ProviderSpec, UpstreamRequest, UpstreamResponse } from '../provider.js';

export interface MockBehaviour {
  /** Delay before the first byte, ms. */
  firstByteMs: number;
  /** Delay between stream chunks, ms. */
  chunkMs: number;
  /** Outage: for `durationMs` out of every `everyMs` the provider answers 503/529. */
  outage?: { everyMs: number; durationMs: number } | undefined;
}

export const DEFAULT_MOCK_BEHAVIOUR: MockBehaviour = { firstByteMs: 120, chunkMs: 25 };

const PHRASES = [
  'The gateway forwards each request to its provider',
  'and meters every token on the way back.',
  'Budgets are reserved before a call starts',
  'and settled with the real cost when it ends,',
  'so concurrent calls cannot overshoot a limit.',
  'Breakers open when a provider keeps failing',
  'and let a few probes through before closing again.',
];

/** A mock provider for a spec: it speaks the wire format the config gives it (`wire:`, OpenAI by default). */
export function createMockProvider(spec: ProviderSpec, clock: Clock, behaviour?: MockBehaviour): MockProvider {
  return new MockProvider(spec, spec.wire === 'anthropic' ? 'anthropic-messages' : 'openai-chat', clock, behaviour);
}

export class MockProvider implements ProviderAdapter {
  readonly formats: readonly WireFormat[];

  constructor(
    readonly spec: ProviderSpec,
    readonly format: WireFormat,
    private readonly clock: Clock,
    private readonly behaviour: MockBehaviour = DEFAULT_MOCK_BEHAVIOUR,
  ) {
    this.formats = [format];
  }

  async send(req: UpstreamRequest): Promise<UpstreamResponse> {
    const codec = codecFor(this.format);
    await sleep(this.behaviour.firstByteMs, undefined, { signal: req.signal });
    if (this.inOutage()) {
      const status = this.format === 'anthropic-messages' ? 529 : 503;
      const error = new GatewayError('upstream_error', 'simulated outage of the demo provider', { status, code: 'overloaded' });
      return jsonResponse(status, codec.renderError(error, 'mock').body);
    }
    if (req.method === 'GET') return jsonResponse(200, { object: 'list', data: [] });
    const request = codec.decodeRequest(JSON.parse(req.body ?? '{}') as unknown);
    const seed = hash(req.body ?? '');
    const words = replyWords(seed, request.maxTokens);
    const usage: Usage = {
      ...ZERO_USAGE,
      inputUncached: Math.max(8, Math.ceil((req.body?.length ?? 0) / 4)),
      output: words.length + 1,
    };
    const id = `mock-${seed.toString(16)}`;
    if (!request.stream) {
      const body = codec.encodeResponse(
        { id, model: request.model, created: Math.floor(this.clock.now() / 1000), content: [{ type: 'text', text: words.join(' ') }], stopReason: 'stop', usage },
        { model: request.model },
      );
      return jsonResponse(200, body);
    }
    const encoder = codec.createStreamEncoder({ model: request.model, id, created: Math.floor(this.clock.now() / 1000), includeUsage: request.includeUsage });
    const events: CanonicalStreamEvent[] = [
      { type: 'start', id, model: request.model, usage: { inputUncached: usage.inputUncached } },
      ...words.map((w, i): CanonicalStreamEvent => ({ type: 'text-delta', text: i === 0 ? w : ` ${w}` })),
      { type: 'finish', stopReason: 'stop', usage },
    ];
    const chunkMs = this.behaviour.chunkMs;
    const signal = req.signal;
    async function* generate(): AsyncGenerator<Buffer> {
      for (const event of events) {
        const text = encoder.push(event);
        if (text.length > 0) yield Buffer.from(text);
        if (event.type === 'text-delta') await sleep(chunkMs, undefined, { signal });
      }
    }
    return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: Readable.from(generate()) };
  }

  async close(): Promise<void> {}

  private inOutage(): boolean {
    const o = this.behaviour.outage;
    if (!o) return false;
    return this.clock.now() % o.everyMs < o.durationMs;
  }
}

function jsonResponse(status: number, body: unknown): UpstreamResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from(JSON.stringify(body))]) };
}

function replyWords(seed: number, maxTokens: number | undefined): string[] {
  const count = 12 + (seed % 40);
  const words: string[] = [];
  let i = seed;
  while (words.length < Math.min(count, maxTokens ?? count)) {
    const phrase = PHRASES[i % PHRASES.length]!;
    words.push(...phrase.split(' '));
    i = (i * 31 + 7) >>> 0;
  }
  return words.slice(0, Math.min(count, maxTokens ?? count));
}

/** FNV-1a: a stable, cheap seed from the request body. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
