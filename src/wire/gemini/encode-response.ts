/** CanonicalResponse → Gemini `GenerateContentResponse`, for Gemini clients. */
import { assertNever } from '../../core/assert-never.js';
import type { AssistantPart, CanonicalResponse } from '../canonical.js';
import { isObject, type JsonObject } from '../shared/json.js';
import { toGeminiFinishReason } from './map-stop-reason.js';
import type { GeminiPart, GeminiResponse } from './shapes.js';
import { writeGeminiUsage } from './usage.js';

/**
 * The parts of a model turn. Call ids are given to the client (Gemini's FunctionCall has an optional `id`) so its
 * functionResponse can name the call; an empty signed thinking part is the signature of the part after it.
 */
export function geminiParts(content: AssistantPart[]): (GeminiPart | JsonObject)[] {
  const out: (GeminiPart | JsonObject)[] = [];
  let signature: string | undefined;
  const add = (part: GeminiPart | JsonObject): void => {
    out.push(signature === undefined ? part : { ...part, thoughtSignature: signature });
    signature = undefined;
  };
  for (const part of content) {
    switch (part.type) {
      case 'text':
        if (part.text !== '' || signature !== undefined) add({ text: part.text });
        break;
      case 'thinking': {
        // An empty signature (an unsigned thinking block as an Anthropic client replays it) is no signature.
        const sig = part.signature === '' ? undefined : part.signature;
        if (part.text === '' && sig === undefined) break;
        if (part.text === '' && sig !== undefined) {
          if (signature !== undefined) add({ text: '' });
          signature = sig;
        } else add({ text: part.text, thought: true, ...(sig === undefined ? {} : { thoughtSignature: sig }) });
        break;
      }
      case 'tool-call':
        add({ functionCall: { id: part.id, name: part.name, args: part.input } });
        break;
      case 'redacted-thinking':
      case 'web-search':
        // Nothing a Gemini client could show or send back.
        break;
      case 'foreign':
        if (part.format === 'gemini' && isObject(part.raw)) add(part.raw);
        break;
      default:
        assertNever(part);
    }
  }
  if (signature !== undefined) add({ text: '' });
  return out;
}

export function encodeGeminiResponse(response: CanonicalResponse, options: { model: string }): GeminiResponse {
  return {
    candidates: [{ content: { role: 'model', parts: geminiParts(response.content) }, finishReason: toGeminiFinishReason(response.stopReason), index: 0 }],
    usageMetadata: writeGeminiUsage(response.usage),
    modelVersion: options.model,
    responseId: response.id,
  };
}
