/**
 * Tool id and name sanitising (pitfall 4). Anthropic wants ids `^[a-zA-Z0-9_-]+$` and names of at most
 * 128 such characters; OpenAI wants names of at most 64. Both functions are deterministic, so a tool call
 * and its result map to the same id, and a changed value gets a short hash so two different originals
 * never collide.
 */
import { createHash } from 'node:crypto';
import type { CanonicalRequest, CanonicalResponse, CanonicalStreamEvent } from '../canonical.js';

const INVALID = /[^a-zA-Z0-9_-]/g;

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}

export function sanitizeToolId(id: string): string {
  if (id !== '' && !/[^a-zA-Z0-9_-]/.test(id)) return id;
  const base = id.replace(INVALID, '_');
  return `${base === '' ? 'toolu' : base}_${shortHash(id)}`;
}

export function sanitizeToolName(name: string, maxLength: number): string {
  const valid = name !== '' && !/[^a-zA-Z0-9_-]/.test(name);
  if (valid && name.length <= maxLength) return name;
  const suffix = `_${shortHash(name)}`;
  const base = name.replace(INVALID, '_').slice(0, maxLength - suffix.length);
  return `${base === '' ? 'tool' : base}${suffix}`;
}

export const OPENAI_TOOL_NAME_MAX = 64;
export const ANTHROPIC_TOOL_NAME_MAX = 128;

/**
 * Maps tool names as the upstream will report them back to the names the client declared. The pipeline
 * applies it to responses and stream events when a request's tool names had to be rewritten.
 */
export function toolNameRestorer(request: CanonicalRequest, maxLength: number): (name: string) => string {
  const back = new Map<string, string>();
  for (const tool of request.tools) {
    if (tool.type !== 'function') continue;
    const sent = sanitizeToolName(tool.name, maxLength);
    if (sent !== tool.name) back.set(sent, tool.name);
  }
  return (name) => back.get(name) ?? name;
}

export function restoreToolNamesInResponse(
  response: CanonicalResponse,
  restore: (name: string) => string,
): CanonicalResponse {
  return {
    ...response,
    content: response.content.map((part) => (part.type === 'tool-call' ? { ...part, name: restore(part.name) } : part)),
  };
}

export function restoreToolNameInEvent(
  event: CanonicalStreamEvent,
  restore: (name: string) => string,
): CanonicalStreamEvent {
  return event.type === 'tool-call-start' ? { ...event, name: restore(event.name) } : event;
}
