/**
 * A provider's chunk may hold many events (a burst read at once). The relay sends what leads up to the first
 * content as soon as it is read, translated or not, and the rest of the chunk after it: the client's first
 * token does not wait for the whole chunk. The bytes the client gets in total are unchanged.
 */
import { EventEmitter } from 'node:events';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UsageMeter } from '../../../src/pipeline/steps/meter.js';
import { relayStream } from '../../../src/pipeline/steps/relay-stream.js';
import type { WireFormat } from '../../../src/wire/codec.js';
import { ENCODER_OPTIONS, fixtureBytes, translate } from '../wire/helpers.js';

/** A client response that records each write. */
function recorder(): { res: ServerResponse; writes: string[] } {
  const writes: string[] = [];
  const res = { destroyed: false, write: (chunk: string | Uint8Array) => writes.push(Buffer.from(chunk).toString('utf8')) > 0, end: () => undefined };
  return { res: res as unknown as ServerResponse, writes };
}

/** Relays `chunks` (an OpenAI or Anthropic stream, as `providerFormat` says) to `res`; the relay must end cleanly. */
async function relay(res: ServerResponse, chunks: Buffer[], providerFormat: WireFormat, clientFormat: WireFormat, check: () => undefined = () => undefined): Promise<void> {
  const result = await relayStream({
    res,
    upstream: { status: 200, headers: {}, body: Readable.from(chunks) },
    providerName: 'fake',
    providerFormat,
    clientFormat,
    stripUsageChunk: false,
    encoder: { ...ENCODER_OPTIONS, includeUsage: true },
    meter: new UsageMeter(),
    signal: new AbortController().signal,
    check,
    begin: () => undefined,
  });
  expect(result.error).toBeUndefined();
}

async function relayOneChunk(fixture: string, clientFormat: WireFormat): Promise<string[]> {
  const { format, text } = fixtureBytes(fixture);
  const { res, writes } = recorder();
  await relay(res, [Buffer.from(text)], format, clientFormat);
  return writes;
}

describe('the first content of a many-event chunk', () => {
  it('goes out alone when the client speaks the provider format, then the rest, byte for byte', async () => {
    const writes = await relayOneChunk('openai-text-usage', 'openai-chat');
    expect(writes.length).toBeGreaterThan(1);
    expect(writes[0]).toContain('"content":"Hello"');
    expect(writes[0]).not.toContain('Grüße');
    expect(writes.join('')).toBe(fixtureBytes('openai-text-usage').text);
  });

  it('goes out alone once translated, then the rest, as the whole chunk would translate', async () => {
    const writes = await relayOneChunk('anthropic-text', 'openai-chat');
    expect(writes.length).toBeGreaterThan(1);
    expect(writes[0]).toContain('"content":"Hello"');
    expect(writes.slice(1).join('')).toContain('[DONE]');
    expect(writes.join('')).toBe(translate('anthropic-messages', 'openai-chat', [fixtureBytes('anthropic-text').text], true).output);
  });
});

describe('a client that cannot take more after the first content', () => {
  it.each<WireFormat>(['openai-chat', 'anthropic-messages'])('is waited for before the next upstream chunk is read, as after any other full write (client %s)', async (clientFormat) => {
    const [first, ...rest] = fixtureBytes('openai-text-usage').text.split(/(?<=\n\n)/);
    // One chunk with the role and the first content, then the rest: the early write is the chunk's last.
    const chunks = [Buffer.from(first! + rest[0]!), Buffer.from(rest.slice(1).join(''))];
    const steps: string[] = [];
    const res = Object.assign(new EventEmitter(), {
      destroyed: false,
      write: () => {
        steps.push('write');
        return false;
      },
      end: () => undefined,
    });
    // The relay waits with once(res, 'drain'): the client drains a moment after the wait begins.
    res.on('newListener', (event: string) => {
      if (event !== 'drain') return;
      steps.push('wait');
      setImmediate(() => res.emit('drain'));
    });
    await relay(res as unknown as ServerResponse, chunks, 'openai-chat', clientFormat);
    expect(steps.slice(0, 3)).toEqual(['write', 'wait', 'write']);
  });
});

describe('the first content on a real socket', () => {
  it.each<[string, WireFormat]>([
    ['openai-text-usage', 'openai-chat'],
    ['anthropic-text', 'openai-chat'],
  ])('is handed to the socket before the rest of its chunk is relayed (%s to %s)', async (fixture, clientFormat) => {
    const { format, text } = fixtureBytes(fixture);
    // What reaches the socket, in order, and when the relay has gone through the whole chunk (its check).
    const steps: string[] = [];
    const server = createServer((_req, res) => {
      const socket = res.socket as Socket & { _write: Socket['_write']; _writev?: Socket['_writev'] };
      const write = socket._write.bind(socket);
      const writev = socket._writev?.bind(socket);
      socket._write = (chunk: Buffer, encoding, cb) => {
        steps.push(`socket ${chunk.toString('utf8')}`);
        write(chunk, encoding, cb);
      };
      if (writev) {
        socket._writev = (chunks, cb) => {
          steps.push(`socket ${chunks.map((c) => Buffer.from(c.chunk as Buffer).toString('utf8')).join('')}`);
          writev(chunks, cb);
        };
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      void relay(res, [Buffer.from(text)], format, clientFormat, () => {
        steps.push('checked');
        return undefined;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'GET' }, (res) => {
          let all = '';
          res.setEncoding('utf8').on('data', (c: string) => (all += c)).on('end', () => resolve(all)).on('error', reject);
        });
        req.on('error', reject).end();
      });
      expect(body).toContain('[DONE]');
      const firstContent = steps.findIndex((s) => s.startsWith('socket') && s.includes('Hello'));
      expect(firstContent).toBeGreaterThanOrEqual(0);
      expect(firstContent).toBeLessThan(steps.indexOf('checked'));
    } finally {
      server.close();
    }
  });
});
