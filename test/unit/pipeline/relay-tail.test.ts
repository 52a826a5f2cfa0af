/**
 * A same-format whole answer is metered from its tail, never parsed whole: for every format relayed that way, the
 * usage read off the last bytes of the fakes' real bodies must equal what decoding the whole body reports.
 */
import { describe, expect, it } from 'vitest';
import { ByteTail } from '../../../src/pipeline/steps/usage-tail.js';
import { readAnthropicUsage } from '../../../src/wire/anthropic-messages/index.js';
import { codecFor, type WireFormat } from '../../../src/wire/index.js';
import { readOpenAIUsage } from '../../../src/wire/openai-chat/index.js';
import { readResponsesUsage } from '../../../src/wire/openai-responses/index.js';
import type { UsageReading } from '../../../src/core/usage.js';
import {
  planBodyBytes,
  renderAnthropicMessages,
  renderOpenAIChat,
  renderOpenAIResponses,
  type JsonObject,
  type RenderEnv,
  type ResponsePlan,
  type Scenario,
} from '../../fakes/index.js';
import { fillerText } from '../../fakes/scenario.js';

const env: RenderEnv = { seed: 7, created: 1_700_000_000 };
const messages = [{ role: 'user', content: 'hi' }];
const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { usage: { type: 'object' } } } } }];

interface Format {
  format: WireFormat;
  read: (value: unknown) => UsageReading;
  render: (scenario: Scenario) => ResponsePlan;
}

const FORMATS: Format[] = [
  {
    format: 'openai-chat',
    read: readOpenAIUsage,
    render: (s) => renderOpenAIChat(s, { model: 'gpt-4o-mini', messages, stream: false, tools } as JsonObject, env),
  },
  {
    format: 'openai-responses',
    read: readResponsesUsage,
    render: (s) => renderOpenAIResponses(s, { model: 'gpt-4o-mini', input: 'hi', stream: false, metadata: { usage: 'report' } } as JsonObject, [], env).plan,
  },
  {
    format: 'anthropic-messages',
    read: readAnthropicUsage,
    render: (s) => renderAnthropicMessages(s, { model: 'claude-haiku-4-5', max_tokens: 100, messages, stream: false } as JsonObject, env),
  },
];

/** What the body reports: a complete usage, one with a side rejected, or none. */
type Report = 'complete' | 'gaps' | 'none';

const SCENARIOS: Array<[string, Scenario, Report]> = [
  ['plain text', { kind: 'text', usage: { input: 120, output: 45 } }, 'complete'],
  ['cache reads and writes', { kind: 'text', usage: { input: 30, output: 9, cacheRead: 700, cacheWrite: 50 } }, 'complete'],
  ['reasoning', { kind: 'thinking', usage: { input: 11, output: 300, reasoning: 200 } }, 'complete'],
  // Tool arguments that themselves hold a "usage" key must not be taken for the report.
  ['tool calls with a usage argument', { kind: 'tools', calls: [{ name: 'lookup', arguments: { usage: { input_tokens: 1, prompt_tokens: 1 } } }], usage: { input: 64, output: 21 } }, 'complete'],
  ['a 3 MB answer', { kind: 'oversized', bytes: 3 * 1024 * 1024, text: fillerText(3 * 1024 * 1024), usage: { input: 9, output: 800_000 } }, 'complete'],
  ['counts that are no counts', { kind: 'text', usageWire: { output_tokens: -5, completion_tokens: -5 } }, 'gaps'],
  ['no usage at all', { kind: 'text', usageWire: 'omit' }, 'none'],
];

function tailOf(body: Buffer, chunk: number): ByteTail {
  const tail = new ByteTail();
  for (let i = 0; i < body.length; i += chunk) tail.push(body.subarray(i, i + chunk));
  return tail;
}

describe('usage read off the tail equals the full decode', () => {
  for (const f of FORMATS) {
    for (const [name, scenario, report] of SCENARIOS) {
      it(`${f.format}: ${name}`, () => {
        const body = planBodyBytes(f.render(scenario));
        const full = codecFor(f.format).decodeResponse(JSON.parse(body.toString('utf8')));
        const value = tailOf(body, 65_536).usage();
        if (report === 'none') {
          // Nothing to read: the relay estimates instead (decoding a small body, guessing a large one's size).
          expect(value).toBeUndefined();
          expect(full.usageGaps).toMatchObject({ input: true, output: true });
          return;
        }
        const reading = f.read(value);
        expect(reading.usage).toEqual(full.usage);
        expect(reading.gaps).toEqual(full.usageGaps);
        if (report === 'complete') expect(reading.gaps).toBeUndefined();
        else expect(reading.gaps?.output).toBe(true);
      });
    }
  }
});
