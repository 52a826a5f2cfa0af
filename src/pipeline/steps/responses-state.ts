/**
 * The Responses API's server-side state, for requests the gateway translates (to Anthropic or a Chat-only
 * server): `previous_response_id` and `item_reference` items are resolved from the agent's stored responses
 * before translation, and each translated answer is stored for later ones. A request passed through to a
 * provider that speaks Responses never comes here: that provider keeps its own state.
 */
import { GatewayError } from '../../core/errors.js';
import { formatUptime } from '../../core/format.js';
import type { AssistantPart, CanonicalMessage, CanonicalRequest, FormatField } from '../../wire/canonical.js';
import type { ResponseStore, StoredItem } from '../ports.js';

export interface ResolvedState {
  request: CanonicalRequest;
  /** JSON bytes the stored content added to the request, for its budget hold. */
  addedBytes: number;
}

/** Expands a request's references to earlier responses of the same agent; an unknown id is a 400. */
export function resolveState(request: CanonicalRequest, agent: string, store: ResponseStore): ResolvedState {
  let addedBytes = 0;
  let system = request.system;
  let messages = request.messages;
  let extensions = request.extensions;
  const previous = extensions.find(isPreviousResponseId);
  if (previous !== undefined) {
    const id = String(previous.value);
    const stored = store.response(agent, id);
    if (stored === undefined) throw notKept(`Previous response with id '${id}' not found.`, store, 'previous_response_id', 'previous_response_not_found');
    addedBytes += Buffer.byteLength(JSON.stringify(stored));
    // The earlier input and answer come first; this request's `instructions` still lead the system text.
    const instructions = hasInstructions(request) ? system.slice(0, 1) : [];
    system = [...instructions, ...stored.system, ...system.slice(instructions.length)];
    const answer: CanonicalMessage = { role: 'assistant', content: stored.output.flatMap((item) => item.parts) };
    messages = [...stored.messages, answer, ...messages];
    extensions = extensions.filter((field) => field !== previous);
  }
  const expand = (part: AssistantPart): AssistantPart[] => {
    const id = referencedId(part);
    if (id === undefined) return [part];
    const item = store.item(agent, id);
    if (item === undefined) throw notKept(`Item with id '${id}' not found.`, store, 'input');
    addedBytes += Buffer.byteLength(JSON.stringify(item.parts));
    return item.parts;
  };
  messages = messages.map((message) => (message.role === 'assistant' ? { ...message, content: message.content.flatMap(expand) } : message));
  return { request: { ...request, system, messages, extensions }, addedBytes };
}

/** Whether a request refers to stored state at all (most do not, and skip the copying above). */
export function refersToState(request: CanonicalRequest): boolean {
  return request.extensions.some(isPreviousResponseId) || request.messages.some((m) => m.role === 'assistant' && m.content.some((p) => referencedId(p) !== undefined));
}

/** Keeps a translated answer for later references, unless the client asked for `store: false` as OpenAI allows. */
export function saveState(store: ResponseStore, agent: string, request: CanonicalRequest, id: string, output: StoredItem[]): void {
  if (request.raw['store'] === false) return;
  store.save(agent, { id, system: hasInstructions(request) ? request.system.slice(1) : request.system, messages: request.messages, output });
}

function isPreviousResponseId(field: FormatField): boolean {
  return field.format === 'openai-responses' && field.path === 'previous_response_id' && typeof field.value === 'string';
}

function hasInstructions(request: CanonicalRequest): boolean {
  return typeof request.raw['instructions'] === 'string' && request.raw['instructions'] !== '';
}

/** The id an `item_reference` input item points at (the Responses decoder keeps those items as they came). */
function referencedId(part: AssistantPart): string | undefined {
  if (part.type !== 'foreign' || part.format !== 'openai-responses') return undefined;
  const raw = part.raw as { type?: unknown; id?: unknown } | null;
  return raw?.type === 'item_reference' && typeof raw.id === 'string' ? raw.id : undefined;
}

/** In OpenAI's own words for an unknown id, then what the gateway keeps and for how long. */
function notKept(what: string, store: ResponseStore, param: string, code?: string): GatewayError {
  const message =
    `${what} The gateway keeps the responses it translated in memory for ${formatUptime(store.ttlMs)}, for the agent that made them: ` +
    'responses made with `store` set to false, by another agent, before a restart or passed through to the provider are not kept here. ' +
    'Send the items themselves instead of a reference.';
  return new GatewayError('invalid_request', message, { param, ...(code === undefined ? {} : { code }) });
}
