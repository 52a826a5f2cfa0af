/**
 * The first local token count of a fresh gateway must not stall the proxy: loading the o200k tables blocks for a
 * fraction of a second (more on a busy machine), and counting a large prompt takes longer. The built gateway runs as
 * its own process, a client polls /health every 10 ms, and a count_tokens call with a 1 MB prompt (answered locally:
 * the model's provider is not Anthropic) may not leave two answers further apart than 250 ms. A stall detector, not
 * a benchmark.
 */
import { describe, expect, it } from 'vitest';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { TOKENS_PER_MESSAGE, TOKENS_REPLY_PRIMER } from '../../src/metering/index.js';
import { hasBuiltCli, SKIP_REASON } from '../helpers/gateway.js';
import { stallGateways } from '../helpers/stall-gateway.js';
import { longPrompt } from '../helpers/prompts.js';
import { pollHealth } from '../helpers/health-poll.js';

if (!hasBuiltCli) console.warn(`[token stall] skipped: ${SKIP_REASON}`);

const MAX_GAP_MS = 250;

const direct = (text: string): number => countTokens(text, { disallowedSpecial: new Set() });

describe.skipIf(!hasBuiltCli)('the first local token count of a fresh gateway', () => {
  const start = stallGateways('token-stall');

  it(`keeps answering: no gap over ${MAX_GAP_MS} ms between /health answers polled every 10 ms`, async () => {
    const { gw } = await start(['providers:', '  fo: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-provider-0000000000 }', 'models:', '  "gpt-*": fo', ''].join('\n'));
    const prompt = longPrompt(1_000_000);
    const body = JSON.stringify({ model: 'gpt-4o', max_tokens: 10, system: 'You are terse.', messages: [{ role: 'user', content: prompt }] });

    const poll = pollHealth(gw.url);
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    const res = await fetch(`${gw.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body });
    const answer = (await res.json()) as { input_tokens?: number };
    const took = performance.now() - started;
    await new Promise((r) => setTimeout(r, 100));
    const { longest, answers } = await poll.stop();

    console.info(`[token stall] count of a ${Math.round(prompt.length / 1000)} KB prompt took ${Math.round(took)} ms; worst gap between /health answers ${Math.round(longest)} ms over ${answers} answers`);
    expect(res.status).toBe(200);
    expect(answer.input_tokens).toBe(TOKENS_REPLY_PRIMER + 2 * TOKENS_PER_MESSAGE + direct('You are terse.') + direct(prompt));
    expect(answers).toBeGreaterThan(10);
    expect(longest).toBeLessThan(MAX_GAP_MS);
  }, 60_000);
});
