/**
 * eachChunk reads every upstream body the relays see. It must hand over each chunk in order, stop (and close the
 * upstream) when told, hold the body while a verdict is pending, and keep a verdict given on the last chunk: a
 * budget cut-off decided after the upstream ended is still a cut-off.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { eachChunk } from '../../../src/pipeline/steps/upstream-body.js';

/** A body whose chunks the test pushes, and ends or breaks, itself. */
function body(): Readable {
  return new Readable({ read() {} });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('eachChunk', () => {
  it('hands over every chunk in order and resolves at the end', async () => {
    const b = body();
    const seen: string[] = [];
    const done = eachChunk(b, (c) => seen.push(c.toString()) > 0);
    b.push('a');
    b.push('b');
    await tick();
    b.push('c');
    b.push(null);
    await done;
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('stops when told: no further chunk, and the body is destroyed so the upstream stops sending', async () => {
    const b = body();
    const seen: string[] = [];
    const done = eachChunk(b, (c) => {
      seen.push(c.toString());
      return seen.length < 2;
    });
    for (const c of ['a', 'b', 'c']) b.push(c);
    await done;
    expect(seen).toEqual(['a', 'b']);
    expect(b.destroyed).toBe(true);
  });

  it('reads nothing more while a verdict is pending, and goes on once it says so', async () => {
    const b = body();
    const seen: string[] = [];
    let release!: (goOn: boolean) => void;
    const done = eachChunk(b, (c) => {
      seen.push(c.toString());
      return seen.length === 1 ? new Promise<boolean>((r) => (release = r)) : true;
    });
    b.push('a');
    await tick();
    b.push('b');
    await tick();
    expect(seen).toEqual(['a']);
    release(true);
    await tick();
    expect(seen).toEqual(['a', 'b']);
    b.push(null);
    await done;
  });

  it('keeps a stop decided after the body ended: the end waits for the verdict', async () => {
    const b = body();
    let release!: (goOn: boolean) => void;
    let settled = false;
    const done = eachChunk(b, () => new Promise<boolean>((r) => (release = r))).finally(() => (settled = true));
    b.push('last');
    b.push(null);
    await tick();
    await tick();
    expect(settled).toBe(false);
    release(false);
    await done;
    expect(b.destroyed).toBe(true);
  });

  it('rejects with the body’s error, and when the body closes before its end', async () => {
    const broken = body();
    const failed = eachChunk(broken, () => true);
    broken.push('a');
    broken.destroy(new Error('socket reset'));
    await expect(failed).rejects.toThrow('socket reset');

    const cut = body();
    const closed = eachChunk(cut, () => true);
    cut.destroy();
    await expect(closed).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('rejects with what the reader threw or its verdict rejected with, and destroys the body', async () => {
    const b = body();
    const done = eachChunk(b, () => {
      throw new Error('decoder failed');
    });
    b.push('a');
    await expect(done).rejects.toThrow('decoder failed');
    expect(b.destroyed).toBe(true);

    const c = body();
    const waited = eachChunk(c, () => Promise.reject(new Error('client went away')));
    c.push('a');
    await expect(waited).rejects.toThrow('client went away');
    expect(c.destroyed).toBe(true);
  });

  it('settles at once for a body that has already ended or been destroyed', async () => {
    const ended = Readable.from([]);
    ended.resume();
    await new Promise((r) => ended.once('end', r));
    await expect(eachChunk(ended, () => true)).resolves.toBeUndefined();
    const gone = body();
    gone.on('error', () => undefined);
    gone.destroy(new Error('gone'));
    await expect(eachChunk(gone, () => true)).rejects.toThrow('gone');
  });
});
