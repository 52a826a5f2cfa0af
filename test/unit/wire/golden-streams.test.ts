/**
 * Recorded-style provider streams translated to each client format and compared byte for byte with
 * reviewed golden outputs in test/fixtures/wire/*.golden.sse.
 */
import { describe, expect, it } from 'vitest';
import type { WireFormat } from '../../../src/wire/codec.js';
import { anthropicViolations, fixtureBytes, openAIViolations, parseAnthropicOutput, STREAM_FIXTURE_NAMES, translate } from './helpers.js';

const TARGETS: Array<[WireFormat, string]> = [
  ['openai-chat', 'to-openai'],
  ['anthropic-messages', 'to-anthropic'],
];

describe('golden stream translations', () => {
  for (const name of STREAM_FIXTURE_NAMES) {
    for (const [target, suffix] of TARGETS) {
      it(`${name} → ${target}`, async () => {
        const { format, text } = fixtureBytes(name);
        const { output } = translate(format, target, [text]);
        await expect(output).toMatchFileSnapshot(`../../fixtures/wire/${name}.${suffix}.golden.sse`);
        if (target === 'anthropic-messages') expect(anthropicViolations(parseAnthropicOutput(output))).toEqual([]);
        else expect(openAIViolations(output, true)).toEqual([]);
      });
    }
  }

  it('openai usage chunk is stripped when the client did not ask for it', () => {
    const { text } = fixtureBytes('openai-text-usage');
    const { output } = translate('openai-chat', 'openai-chat', [text], false);
    expect(output).not.toContain('"usage"');
    expect(openAIViolations(output, false)).toEqual([]);
  });
});
