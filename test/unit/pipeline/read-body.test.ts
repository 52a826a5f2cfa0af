/** Absurdly deep JSON is refused by one byte loop before JSON.parse sees it; strings never count as nesting. */
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { MAX_JSON_DEPTH, NestingScanner, decodeUtf8, nestsDeeperThan, parseJsonBody, readBody } from '../../../src/pipeline/steps/read-body.js';

/** Sends `body` in 64 KB writes to a real server and gives what `read` made of it (or the error it threw). */
async function roundTrip(body: Buffer, declareLength: boolean, read: (req: IncomingMessage) => Promise<Buffer>): Promise<Buffer | unknown> {
  let result: Promise<Buffer | unknown> = Promise.resolve(undefined);
  const server = createServer((req, res) => {
    result = read(req).catch((err: unknown) => err);
    void result.then(() => res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await new Promise<void>((resolve, reject) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (declareLength) headers['content-length'] = String(body.length);
      const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', headers }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      for (let at = 0; at < body.length; at += 65_536) req.write(body.subarray(at, at + 65_536));
      req.end();
    });
    return await result;
  } finally {
    server.close();
  }
}

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not brackets inside strings or escaped quotes', () => {
    expect(nestsDeeperThan(Buffer.from('{"a":[{"b":[1]}]}'), 4)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('{"a":[{"b":[1]}]}'), 3)).toBe(true);
    expect(nestsDeeperThan(Buffer.from(`{"text":"${'['.repeat(500)}"}`), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`{"text":"\\"${'{'.repeat(500)}"}`), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`{"t":"\\\\",${'['.repeat(5)}`), 4)).toBe(true);
  });
});

describe('NestingScanner', () => {
  /** Feeds `text` cut at every position into two pieces (and as one byte per piece); the verdicts must all agree. */
  const verdicts = (text: string, limit: number): boolean[] => {
    const bytes = Buffer.from(text);
    const out: boolean[] = [];
    for (let cut = 0; cut <= bytes.length; cut++) {
      const scanner = new NestingScanner(limit);
      const first = scanner.feed(bytes.subarray(0, cut));
      out.push(scanner.feed(bytes.subarray(cut)) || first);
    }
    const single = new NestingScanner(limit);
    let deep = false;
    for (const byte of bytes) deep = single.feed(Buffer.from([byte])) || deep;
    out.push(deep);
    return out;
  };

  it('gives the same verdict wherever the text is cut, an escape at the cut included', () => {
    for (const [text, limit, deep] of [
      ['{"a":[{"b":[1]}]}', 4, false],
      ['{"a":[{"b":[1]}]}', 3, true],
      [`{"t":"\\\\",${'['.repeat(5)}`, 4, true],
      [`{"t":"\\\\\\"${'['.repeat(5)}"}`, 1, false],
      [`{"t":"\\"${'{'.repeat(50)}"}`, 1, false],
    ] as const) {
      expect(new Set(verdicts(text, limit)), text).toEqual(new Set([deep]));
    }
  });

  it('stays past the limit once there, and counts every byte fed', () => {
    const scanner = new NestingScanner(2);
    expect(scanner.feed(Buffer.from('[[['))).toBe(true);
    expect(scanner.feed(Buffer.from(']]]'))).toBe(true);
    expect(scanner).toMatchObject({ exceeded: true, bytes: 6 });
  });
});

describe('readBody', () => {
  const large = Buffer.from(JSON.stringify({ text: 'ünïcödé, line after line. '.repeat(120_000) }));

  it('gives a large body back byte for byte, with or without a declared length', async () => {
    expect(large.length).toBeGreaterThan(3_000_000);
    for (const declared of [true, false]) {
      const got = await roundTrip(large, declared, (req) => readBody(req, 8_000_000, new NestingScanner(MAX_JSON_DEPTH)));
      expect(Buffer.isBuffer(got) && got.equals(large), `declared length: ${declared}`).toBe(true);
    }
  });

  it('refuses a body nested too deep once it has all come, and a deep body over the limit as too large', async () => {
    const deep = Buffer.from(`{"a":${'['.repeat(2_000_000)}`);
    const read = (limit: number) => (req: IncomingMessage) => readBody(req, limit, new NestingScanner(MAX_JSON_DEPTH));
    expect(await roundTrip(deep, true, read(8_000_000))).toMatchObject({ status: 400, code: 'json_too_deep' });
    expect(await roundTrip(deep, false, read(1_000_000))).toMatchObject({ code: 'request_too_large' });
  });
});

describe('parseJsonBody', () => {
  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} with a 400 that says why, and accepts ${MAX_JSON_DEPTH}`, () => {
    const deep = Buffer.from('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1));
    let error: unknown;
    try {
      parseJsonBody(deep);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, code: 'json_too_deep' });
    expect(parseJsonBody(Buffer.from('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)))).toBeInstanceOf(Array);
  });
});

describe('decodeUtf8', () => {
  const strict = new TextDecoder('utf-8', { fatal: true });
  /** What a strict TextDecoder makes of the bytes (it drops a leading BOM), or 'refused'. */
  const reference = (bytes: Buffer): string => {
    try {
      return strict.decode(bytes);
    } catch {
      return 'refused';
    }
  };
  const ours = (bytes: Buffer): string => {
    try {
      return decodeUtf8(bytes);
    } catch (err) {
      expect(err).toMatchObject({ status: 400, message: 'request body is not valid UTF-8' });
      return 'refused';
    }
  };
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);

  it('reads text as a strict decoder does, with or without a BOM, and refuses what is not UTF-8', () => {
    const text = fc.string({ unit: 'binary' }).map((s) => Buffer.from(s, 'utf8'));
    const anyBytes = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));
    fc.assert(
      fc.property(fc.oneof(text, anyBytes), fc.boolean(), (body, withBom) => {
        const bytes = withBom ? Buffer.concat([bom, body]) : body;
        expect(ours(bytes)).toBe(reference(bytes));
      }),
      { numRuns: 500 },
    );
  });
});
