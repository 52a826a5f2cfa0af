/**
 * Tool id and name sanitising (pitfall 4), and the one mapping between the names a client declared and the names
 * an upstream sees. Anthropic wants ids `^[a-zA-Z0-9_-]+$` and names of at most 128 such characters; OpenAI Chat
 * wants names of at most 64. A tool declared inside a Responses `namespace` is offered as one flat name,
 * `<namespace>__<name>` as Codex itself flattens them, and a free-form (`custom`) tool as a function
 * (shared/freeform.ts); calls come back under the client's name, namespace and kind. Both functions are
 * deterministic, so a tool call and its result map to the same id, and a changed value gets a short hash so two
 * different originals never collide.
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

/** A tool's name as the client knows it: a Responses function may sit in a namespace, or be a free-form tool. */
export interface ClientToolName {
  name: string;
  namespace?: string;
  /** The client declared a free-form tool: its calls go back as free text. */
  freeform?: boolean;
}

/**
 * The name a tool (or a call of it) goes by upstream: the namespace joined to the name with `__` (trailing `_` of
 * the namespace and leading `_` of the name trimmed, as Codex's flat names are), then sanitised to the target's rules.
 */
export function upstreamToolName(tool: ClientToolName, maxLength: number): string {
  return sanitizeToolName(tool.namespace === undefined ? tool.name : `${trimEnd(tool.namespace)}__${trimStart(tool.name)}`, maxLength);
}

function trimEnd(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === '_') end--;
  return s.slice(0, end);
}

function trimStart(s: string): string {
  let start = 0;
  while (start < s.length && s[start] === '_') start++;
  return s.slice(start);
}

/**
 * Maps tool names as the upstream will report them back to the names (and namespaces, and free-form kind) the client
 * declared, or undefined when every declared tool goes upstream as a plain function of the same name. The pipeline
 * applies it to responses and stream events.
 */
export function toolNameRestorer(request: CanonicalRequest, maxLength: number): ((name: string) => ClientToolName) | undefined {
  const back = new Map<string, ClientToolName>();
  for (const tool of request.tools) {
    if (tool.type !== 'function') continue;
    const sent = upstreamToolName(tool, maxLength);
    if (sent !== tool.name || tool.namespace !== undefined || tool.freeform === true) {
      back.set(sent, {
        name: tool.name,
        ...(tool.namespace === undefined ? {} : { namespace: tool.namespace }),
        ...(tool.freeform === true ? { freeform: true } : {}),
      });
    }
  }
  if (back.size === 0) return undefined;
  return (name) => back.get(name) ?? { name };
}

export function restoreToolNamesInResponse(
  response: CanonicalResponse,
  restore: (name: string) => ClientToolName,
): CanonicalResponse {
  return {
    ...response,
    content: response.content.map((part) => (part.type === 'tool-call' ? { ...part, ...restore(part.name) } : part)),
  };
}

export function restoreToolNameInEvent(
  event: CanonicalStreamEvent,
  restore: (name: string) => ClientToolName,
): CanonicalStreamEvent {
  return event.type === 'tool-call-start' ? { ...event, ...restore(event.name) } : event;
}
