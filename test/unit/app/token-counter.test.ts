/**
 * The tokenizer's worker thread: its counts are gpt-tokenizer's own, and a worker that dies or hangs costs byte
 * estimates (marked), never a count that does not come. The worker script is the built one (dist/), as the gateway
 * runs it; the failure cases use small scripts that speak the same protocol.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { WorkerTokenCounter } from '../../../src/app/token-counter.js';
import { byteEstimate } from '../../../src/metering/index.js';
import { longPrompt } from '../../helpers/prompts.js';

const WORKER = new URL('../../../dist/app/token-worker.js', import.meta.url);
const built = existsSync(fileURLToPath(WORKER));
if (!built) console.warn('[token worker] skipped: dist/app/token-worker.js is missing: run `npm run build` first');

const direct = (text: string): number => countTokens(text, { disallowedSpecial: new Set() });

/** A worker that answers each text's length, and ends its thread on a text that says so. */
const CRASHY = dataWorker(`
  import { parentPort } from 'node:worker_threads';
  parentPort.on('message', ({ id, texts }) => {
    if (texts.includes('crash')) process.exit(3);
    parentPort.postMessage({ id, counts: texts.map((t) => t.length) });
  });`);

/** A worker that answers each text with its thread's id, so a test can tell one worker from the next. */
const WHOAMI = dataWorker(`
  import { parentPort, threadId } from 'node:worker_threads';
  parentPort.on('message', ({ id, texts }) => {
    const answer = () => parentPort.postMessage({ id, counts: texts.map(() => threadId) });
    if (texts.includes('slow')) setTimeout(answer, 400);
    else answer();
  });`);

/** A worker that takes messages and never answers. */
const SILENT = dataWorker(`import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => {});`);

function dataWorker(source: string): URL {
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

const counters: WorkerTokenCounter[] = [];
function counter(url: URL, extra: Partial<ConstructorParameters<typeof WorkerTokenCounter>[0]> = {}): { counter: WorkerTokenCounter; warnings: string[] } {
  const warnings: string[] = [];
  const c = new WorkerTokenCounter({ script: url, warn: (m) => warnings.push(m), ...extra });
  counters.push(c);
  return { counter: c, warnings };
}

afterEach(async () => {
  await Promise.all(counters.splice(0).map((c) => c.close()));
});

describe.skipIf(!built)('the token worker', () => {
  it("counts exactly as gpt-tokenizer does, special-token strings as text, a 300 KB prompt included", async () => {
    const { counter: c } = counter(WORKER);
    const texts = ['', 'Hello, world!', 'say <|endoftext|> please <|im_start|>', '漢字とカタカナ、emoji 😀👍', JSON.stringify({ tools: [{ name: 'f', x: [1, 2, 3] }] }), longPrompt()];
    const { counts, estimated } = await c.countTokens(texts);
    expect(estimated).toBe(false);
    expect(counts).toEqual(texts.map(direct));
  });

  it('answers a short count while a long one is still being counted', async () => {
    const { counter: c } = counter(WORKER);
    await c.countTokens(['load the tables first']);
    const order: string[] = [];
    const long = c.countTokens([longPrompt(3_000_000)]).then(() => order.push('long'));
    const short = c.countTokens(['hi']).then((r) => order.push(`short ${r.counts[0]}`));
    await Promise.all([long, short]);
    expect(order).toEqual(['short 1', 'long']);
  });

  it('starts no thread until asked to count', async () => {
    const { counter: c } = counter(CRASHY);
    // Empty texts are 0 tokens without asking anyone.
    expect(await c.countTokens(['', ''])).toEqual({ counts: [0, 0], estimated: false });
    c.prepare();
    expect(await c.countTokens(['abc'])).toEqual({ counts: [3], estimated: false });
  });
});

describe('an idle token worker', () => {
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const thread = async (c: WorkerTokenCounter, text = 'x'): Promise<number> => (await c.countTokens([text])).counts[0]!;

  it('is stopped once unused for the idle time, and the next count starts a new one, with no warning', async () => {
    const { counter: c, warnings } = counter(WHOAMI, { idleMs: 500 });
    const first = await thread(c);
    // Counts within the idle time keep the same worker, however long they go on in all.
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      expect(await thread(c)).toBe(first);
    }
    await sleep(1200);
    const next = await thread(c);
    expect(next).not.toBe(first);
    expect(warnings).toEqual([]);
  });

  it('is not stopped while it owes a count, however long that count takes', async () => {
    const { counter: c } = counter(WHOAMI, { idleMs: 100 });
    const first = await thread(c);
    // The idle time passes while this one is being answered.
    expect(await thread(c, 'slow')).toBe(first);
    expect(await thread(c)).toBe(first);
  });

  it('is kept by prepare(), which counts as use', async () => {
    const { counter: c } = counter(WHOAMI, { idleMs: 500 });
    const first = await thread(c);
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      c.prepare();
    }
    expect(await thread(c)).toBe(first);
  });
});

describe('a token worker that fails', () => {
  it('answers what a dead worker owed with byte estimates, and the next count starts a new one', async () => {
    const { counter: c, warnings } = counter(CRASHY);
    expect(await c.countTokens(['abcd'])).toEqual({ counts: [4], estimated: false });
    const owed = await Promise.all([c.countTokens(['crash', 'abcdefgh']), c.countTokens(['another one'])]);
    expect(owed).toEqual([
      { counts: [byteEstimate('crash'), 2], estimated: true },
      { counts: [byteEstimate('another one')], estimated: true },
    ]);
    expect(await c.countTokens(['restarted'])).toEqual({ counts: [9], estimated: false });
    expect(warnings).toEqual([]);
  });

  it('gives up on workers that keep dying without an answer, and says so once', async () => {
    const { counter: c, warnings } = counter(CRASHY);
    for (let i = 0; i < 3; i++) expect(await c.countTokens(['crash'])).toEqual({ counts: [2], estimated: true });
    expect(await c.countTokens(['fine'])).toEqual({ counts: [1], estimated: true });
    expect(warnings).toEqual(['the token counter failed repeatedly; token counts are byte estimates for the next 60 s']);
  });

  it('answers estimates when the thread cannot even be created, and gives up after three tries', async () => {
    // Node refuses such a script at once, as it does a thread it has no room for: a throw, not an 'error' event.
    const { counter: c, warnings } = counter(new URL('http://127.0.0.1/worker.js'));
    c.prepare();
    for (let i = 0; i < 3; i++) expect(await c.countTokens(['four'])).toEqual({ counts: [1], estimated: true });
    expect(warnings.filter((w) => w.startsWith('the token counter could not start'))).toHaveLength(3);
    expect(warnings.at(-1)).toBe('the token counter failed repeatedly; token counts are byte estimates for the next 60 s');
  });

  it('tries one more worker once the wait after giving up is over', async () => {
    let now = 1_000_000;
    const { counter: c, warnings } = counter(new URL('http://127.0.0.1/worker.js'), { now: () => now, retryAfterMs: 5_000 });
    for (let i = 0; i < 3; i++) await c.countTokens(['four']);
    expect(warnings.filter((w) => w.startsWith('the token counter could not start'))).toHaveLength(3);
    now += 4_999;
    await c.countTokens(['four']);
    expect(warnings.filter((w) => w.startsWith('the token counter could not start'))).toHaveLength(3);
    now += 1;
    expect(await c.countTokens(['four'])).toEqual({ counts: [1], estimated: true });
    // One more try, which fails again: the counter gives up for another wait, and says so.
    expect(warnings.filter((w) => w.startsWith('the token counter could not start'))).toHaveLength(4);
    expect(warnings.at(-1)).toBe('the token counter failed repeatedly; token counts are byte estimates for the next 5 s');
  });

  it('takes a worker that does not answer in time for stuck: estimates, and a warning', async () => {
    const { counter: c, warnings } = counter(SILENT, { deadlineMs: 200, deadlineMsPerChar: 0 });
    expect(await c.countTokens(['a stuck count'])).toEqual({ counts: [byteEstimate('a stuck count')], estimated: true });
    expect(warnings[0]).toMatch(/did not answer within 200 ms/);
  });

  it('after close, answers estimates at once and has no thread left', async () => {
    const { counter: c } = counter(SILENT);
    const pending = c.countTokens(['owed when closing']);
    await c.close();
    expect(await pending).toEqual({ counts: [byteEstimate('owed when closing')], estimated: true });
    expect(await c.countTokens(['later'])).toEqual({ counts: [2], estimated: true });
  });
});
