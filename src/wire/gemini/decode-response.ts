/**
 * Gemini `GenerateContentResponse` → CanonicalResponse. The first candidate is the answer (the gateway never asks
 * for more). A prompt blocked before any candidate (`promptFeedback.blockReason`) is a content-filter stop with no
 * content, as Gemini's own SDK reports it. Function calls get ids when Gemini gave none (see callId).
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../../core/errors.js';
import type { CanonicalResponse } from '../canonical.js';
import { isObject, str } from '../shared/json.js';
import { ModelParts } from './decode-request.js';
import { fromGeminiFinishReason } from './map-stop-reason.js';
import { readGeminiUsage } from './usage.js';

/**
 * A stable id for the `index`th function call of a response: the same response always gives the same ids, and two
 * responses (whose ids differ) never share one.
 */
export function callId(responseId: string, index: number): string {
  return `call_${createHash('sha256').update(`${responseId}:${index}`).digest('hex').slice(0, 24)}`;
}

export function decodeGeminiResponse(body: unknown): CanonicalResponse {
  if (!isObject(body) || (body['candidates'] !== undefined && !Array.isArray(body['candidates']))) {
    throw new GatewayError('upstream_error', 'Upstream returned a malformed response.', { status: 502, upstreamBody: body });
  }
  const responseId = str(body['responseId']) ?? '';
  const candidates = Array.isArray(body['candidates']) ? body['candidates'].filter(isObject) : [];
  const candidate = candidates[0];
  const content = isObject(candidate?.['content']) ? candidate['content'] : {};
  const parts = Array.isArray(content['parts']) ? content['parts'].filter(isObject) : [];
  let calls = 0;
  const decoded = new ModelParts();
  for (const part of parts) decoded.add(part, isObject(part['functionCall']) ? callId(responseId, calls++) : '');
  const blocked = candidate === undefined && isObject(body['promptFeedback']) && body['promptFeedback']['blockReason'] !== undefined;
  const reading = readGeminiUsage(body['usageMetadata']);
  return {
    id: responseId,
    model: str(body['modelVersion']) ?? '',
    content: decoded.parts,
    stopReason: blocked ? 'content-filter' : fromGeminiFinishReason(candidate?.['finishReason'], calls > 0),
    usage: reading.usage,
    ...(reading.gaps === undefined ? {} : { usageGaps: reading.gaps }),
  };
}
