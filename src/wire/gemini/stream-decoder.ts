/**
 * Gemini `streamGenerateContent?alt=sse` chunks → canonical stream events. Every chunk is a whole
 * GenerateContentResponse holding the next parts; text and thoughts arrive in pieces, a function call whole (so its
 * arguments are one delta). `usageMetadata` is cumulative: overwrite, never add. The chunk with a `finishReason` is
 * the last; a mid-stream failure is a chunk `{"error":{code,message,status}}`.
 *
 * A thought signature on a part is emitted as its own `signature` event before the part, after closing a thinking
 * block in progress, so that a client format that shows signed thinking (Anthropic) keeps it apart from the thought
 * text and gives it back in front of the same part.
 */
import { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/usage.js';
import { ZERO_USAGE } from '../../core/usage.js';
import type { SseEvent, StreamDecoder } from '../codec.js';
import type { CanonicalStreamEvent, StopReason } from '../canonical.js';
import { isObject, str, tryParseJson, type JsonObject } from '../shared/json.js';
import { malformedStreamError } from '../shared/malformed.js';
import { gapsOf, mergeUsage } from '../shared/usage.js';
import { callId } from './decode-response.js';
import { fromGeminiFinishReason } from './map-stop-reason.js';
import { readGeminiUsagePartial } from './usage.js';

export function createGeminiStreamDecoder(): StreamDecoder {
  let done = false;
  let started = false;
  let responseId = '';
  let usage: Usage = { ...ZERO_USAGE };
  let inputReported = false;
  let outputReported = false;
  const rejected: string[] = [];
  let tools = 0;
  let open: 'text' | 'thinking' | undefined;

  function part(p: JsonObject): CanonicalStreamEvent[] {
    const out: CanonicalStreamEvent[] = [];
    const signature = str(p['thoughtSignature']);
    const text = str(p['text']);
    if (p['thought'] === true) {
      if (open !== 'thinking' && open !== undefined) out.push({ type: 'block-stop' });
      open = 'thinking';
      if (text !== undefined && text !== '') out.push({ type: 'thinking-delta', text });
      if (signature !== undefined) out.push({ type: 'signature', signature });
      return out;
    }
    if (signature !== undefined) {
      if (open !== undefined) out.push({ type: 'block-stop' });
      out.push({ type: 'signature', signature }, { type: 'block-stop' });
      open = undefined;
    }
    if (text !== undefined) {
      if (text === '') return out;
      if (open === 'thinking') out.push({ type: 'block-stop' });
      open = 'text';
      out.push({ type: 'text-delta', text });
      return out;
    }
    const call = p['functionCall'];
    if (isObject(call)) {
      if (open !== undefined) out.push({ type: 'block-stop' });
      open = undefined;
      const index = tools++;
      const args = isObject(call['args']) ? call['args'] : {};
      out.push({ type: 'tool-call-start', index, id: str(call['id']) ?? callId(responseId, index), name: str(call['name']) ?? '' });
      out.push({ type: 'tool-call-delta', index, argsJson: JSON.stringify(args) }, { type: 'block-stop' });
    }
    // Executable code, inline images and newer part kinds have no canonical stream event.
    return out;
  }

  function chunk(data: JsonObject): CanonicalStreamEvent[] {
    const error = data['error'];
    if (isObject(error)) {
      done = true;
      const code = typeof error['code'] === 'number' ? error['code'] : 500;
      const status = str(error['status']);
      return [
        {
          type: 'error',
          error: new GatewayError(code === 429 ? 'rate_limited' : 'upstream_error', str(error['message']) ?? 'Upstream stream failed.', {
            status: code,
            ...(status === undefined ? {} : { upstreamType: status }),
            upstreamBody: data,
          }),
        },
      ];
    }
    const out: CanonicalStreamEvent[] = [];
    const reading = readGeminiUsagePartial(data['usageMetadata']);
    if (reading.usage.inputUncached !== undefined) inputReported = true;
    if (reading.usage.output !== undefined) outputReported = true;
    rejected.push(...reading.rejected);
    usage = mergeUsage(usage, reading.usage);
    if (!started) {
      started = true;
      responseId = str(data['responseId']) ?? '';
      const model = str(data['modelVersion']);
      out.push({ type: 'start', id: responseId, ...(model === undefined ? {} : { model }), usage: reading.usage });
    } else if (Object.keys(reading.usage).length > 0) {
      out.push({ type: 'usage', usage: reading.usage });
    }
    const candidate = Array.isArray(data['candidates']) ? data['candidates'].find(isObject) : undefined;
    const content = isObject(candidate?.['content']) ? candidate['content'] : {};
    if (Array.isArray(content['parts'])) for (const p of content['parts']) if (isObject(p)) out.push(...part(p));
    const finish = candidate?.['finishReason'];
    const blocked = candidate === undefined && isObject(data['promptFeedback']) && data['promptFeedback']['blockReason'] !== undefined;
    if (finish !== undefined || blocked) {
      done = true;
      const stopReason: StopReason = blocked ? 'content-filter' : fromGeminiFinishReason(finish, tools > 0);
      const gaps = gapsOf(inputReported, outputReported, rejected);
      out.push({ type: 'finish', stopReason, usage: { ...usage }, ...(gaps === undefined ? {} : { usageGaps: gaps }) });
    }
    return out;
  }

  return {
    push(event: SseEvent): CanonicalStreamEvent[] {
      if (done) return [];
      const data = tryParseJson(event.data);
      if (!isObject(data)) {
        done = true;
        return [{ type: 'error', error: malformedStreamError(event.data) }];
      }
      return chunk(data);
    },
    end(): CanonicalStreamEvent[] {
      return [];
    },
  };
}
