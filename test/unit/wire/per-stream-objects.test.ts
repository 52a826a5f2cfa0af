/**
 * Objects made once per stream or per request hold plain data properties, never getters. An object literal with a
 * getter gets a hidden class of its own each time it is evaluated; V8 keeps those classes in the old generation, and
 * through them the closures of every stream (its decoder, its text, its chunks), so all of it was promoted and
 * freed only by full collections. Measured before the change: a translated stream's scavenges took 2.0 ms and
 * promoted 530 kB each; after it, 0.5 ms and 26 kB.
 */
import { describe, expect, it } from 'vitest';
import { GatewayControls } from '../../../src/app/adapters/controls.js';
import { parseConfigText } from '../../../src/config/index.js';
import { ZERO_USAGE } from '../../../src/core/usage.js';
import { codecFor, createStreamTranslator, type WireFormat } from '../../../src/wire/index.js';
import { FakeClock } from '../../helpers/clock.js';

/** Names of the object's own properties that are accessors rather than data. */
function accessors(value: object): string[] {
  return Object.entries(Object.getOwnPropertyDescriptors(value))
    .filter(([, d]) => d.get !== undefined || d.set !== undefined)
    .map(([name]) => name);
}

const options = { id: 'chatcmpl-1', created: 1, model: 'm', includeUsage: true };
const FORMATS: WireFormat[] = ['openai-chat', 'anthropic-messages', 'openai-responses', 'gemini'];

describe('objects made per stream', () => {
  it.each(FORMATS)('the %s stream encoder has no accessor, and its finished flag follows the stream', (format) => {
    const encoder = codecFor(format).createStreamEncoder(options);
    expect(accessors(encoder)).toEqual([]);
    encoder.push({ type: 'start', id: 'r', model: 'm' });
    encoder.push({ type: 'text-delta', text: 'Hi' });
    expect(encoder.finished).toBe(false);
    encoder.push({ type: 'finish', stopReason: 'stop', usage: { ...ZERO_USAGE, inputUncached: 3, output: 1 } });
    expect(encoder.finished).toBe(true);
  });

  it('the stream translator has no accessor', () => {
    expect(accessors(createStreamTranslator(codecFor('anthropic-messages'), codecFor('openai-chat'), options))).toEqual([]);
  });
});

describe('objects made per request', () => {
  it("the admission of a request under a budget has no accessor", () => {
    const { config } = parseConfigText('agents:\n  a: { budget: { max_cost_per_hour: 3 } }\n', { file: 'gateway.yaml', env: {}, baseDir: '.' });
    const controls = new GatewayControls({ clock: new FakeClock(), config: config!, onControlEvent: () => {}, onBreakerTransition: () => {}, onRateLimited: () => {} });
    const admission = controls.admit({ agent: 'a', provider: 'p', model: 'm', maxCostUsd: 0.5, tokens: 10 });
    if (admission instanceof Promise) throw new Error('controls without shared state admit synchronously');
    expect(admission.limited).toBe(true);
    expect(accessors(admission)).toEqual([]);
    admission.abandon();
  });
});
