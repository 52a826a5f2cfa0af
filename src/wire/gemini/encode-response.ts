/** CanonicalResponse → Gemini `GenerateContentResponse`, for Gemini clients. */
import { assertNever } from '../../core/assert-never.js';
import type { AssistantPart, CanonicalResponse } from '../canonical.js';
import { isObject, type JsonObject } from '../shared/json.js';
import { toGeminiFinishReason } from './map-stop-reason.js';
import type { GeminiPart, GeminiResponse } from './shapes.js';
import { modelTurnParts } from './model-parts.js';
import { writeGeminiUsage } from './usage.js';

/**
 * The parts of a model turn. Call ids are given to the client (Gemini's FunctionCall has an optional `id`) so its
 * functionResponse can name the call.
 */
export function geminiParts(content: AssistantPart[]): (GeminiPart | JsonObject)[] {
  return modelTurnParts(content, (part) => {
    switch (part.type) {
      case 'tool-call':
        return { functionCall: { id: part.id, name: part.name, args: part.input } };
      case 'redacted-thinking':
      case 'web-search':
        // Nothing a Gemini client could show or send back.
        return undefined;
      case 'foreign':
        return part.format === 'gemini' && isObject(part.raw) ? part.raw : undefined;
      default:
        return assertNever(part);
    }
  });
}

export function encodeGeminiResponse(response: CanonicalResponse, options: { model: string }): GeminiResponse {
  return {
    candidates: [{ content: { role: 'model', parts: geminiParts(response.content) }, finishReason: toGeminiFinishReason(response.stopReason), index: 0 }],
    usageMetadata: writeGeminiUsage(response.usage),
    modelVersion: options.model,
    responseId: response.id,
  };
}
