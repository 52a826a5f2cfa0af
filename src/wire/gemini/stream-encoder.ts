/**
 * Canonical stream events → Gemini `streamGenerateContent?alt=sse` chunks, each a whole GenerateContentResponse
 * framed `data: {…}\r\n\r\n` as Google frames them. Text and thoughts go out as they come; a function call goes out
 * whole (Gemini never streams arguments) once its block stops, or at the latest with the final chunk, which carries
 * `finishReason` and the usage. A failure is a chunk `{"error":{code,message,status}}`, which the Gemini SDK throws.
 *
 * A signature that arrives in a thinking block goes out on an empty thought part (the decoder folds it into the
 * thought before it); one that arrives alone goes on the next part, where Gemini itself puts it.
 */
import { assertNever } from '../../core/assert-never.js';
import type { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/usage.js';
import { ZERO_USAGE } from '../../core/usage.js';
import type { StreamEncoder, StreamEncoderOptions } from '../codec.js';
import type { CanonicalStreamEvent } from '../canonical.js';
import { formatSseJsonCrlf } from '../sse.js';
import { parseToolArguments, type JsonObject } from '../shared/json.js';
import { mergeUsage } from '../shared/usage.js';
import { geminiErrorPayload } from './errors.js';
import { toGeminiFinishReason } from './map-stop-reason.js';
import type { GeminiPart, GeminiResponse } from './shapes.js';
import { writeGeminiUsage } from './usage.js';

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

export function createGeminiStreamEncoder(options: StreamEncoderOptions): StreamEncoder {
  let usage: Usage = { ...ZERO_USAGE };
  let thinking = false;
  let signature: string | undefined;
  const calls = new Map<number, PendingCall>();

  function chunk(parts: (GeminiPart | JsonObject)[], final?: Pick<GeminiResponse, 'usageMetadata'> & { finishReason: string }): string {
    const candidate: JsonObject = { ...(parts.length > 0 ? { content: { parts, role: 'model' } } : {}) };
    if (final !== undefined) candidate['finishReason'] = final.finishReason;
    candidate['index'] = 0;
    return formatSseJsonCrlf({
      candidates: [candidate],
      ...(final?.usageMetadata === undefined ? {} : { usageMetadata: final.usageMetadata }),
      modelVersion: options.model,
      responseId: options.id,
    });
  }

  function signed(part: GeminiPart | JsonObject): GeminiPart | JsonObject {
    if (signature === undefined) return part;
    const out = { ...part, thoughtSignature: signature };
    signature = undefined;
    return out;
  }

  function callParts(): (GeminiPart | JsonObject)[] {
    const parts = [...calls.values()].map((call) => signed({ functionCall: { id: call.id, name: call.name, args: parseToolArguments(call.args).input } }));
    calls.clear();
    return parts;
  }

  function flushCalls(): string {
    return calls.size === 0 ? '' : chunk(callParts());
  }

  function onEvent(event: CanonicalStreamEvent): string {
    switch (event.type) {
      case 'start':
        if (event.usage !== undefined) usage = mergeUsage(usage, event.usage);
        return '';
      case 'text-delta': {
        thinking = false;
        if (event.text === '') return '';
        return flushCalls() + chunk([signed({ text: event.text })]);
      }
      case 'thinking-delta':
        thinking = true;
        return event.text === '' ? '' : flushCalls() + chunk([{ text: event.text, thought: true }]);
      case 'signature':
        if (thinking) return chunk([{ text: '', thought: true, thoughtSignature: event.signature }]);
        signature = event.signature;
        return '';
      case 'redacted-thinking':
      case 'web-search':
        return '';
      case 'tool-call-start':
        thinking = false;
        if (!calls.has(event.index)) calls.set(event.index, { id: event.id, name: event.name, args: '' });
        return '';
      case 'tool-call-delta': {
        const call = calls.get(event.index);
        if (call !== undefined) call.args += event.argsJson;
        return '';
      }
      case 'block-stop':
        thinking = false;
        return flushCalls();
      case 'usage':
        usage = mergeUsage(usage, event.usage);
        return '';
      case 'finish': {
        usage = mergeUsage(usage, event.usage);
        const parts = callParts();
        if (signature !== undefined) parts.push(signed({ text: '' }));
        encoder.finished = true;
        return chunk(parts, { finishReason: toGeminiFinishReason(event.stopReason), usageMetadata: writeGeminiUsage(usage) });
      }
      case 'error':
        return fail(event.error);
      default:
        return assertNever(event);
    }
  }

  function fail(error: GatewayError): string {
    if (encoder.finished) return '';
    encoder.finished = true;
    return formatSseJsonCrlf(geminiErrorPayload(error));
  }

  const encoder = {
    push(event: CanonicalStreamEvent): string {
      return encoder.finished ? '' : onEvent(event);
    },
    fail,
    finished: false,
  };
  return encoder;
}
