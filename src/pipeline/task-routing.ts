/**
 * Routing by task, as claude-code-router users know it: a request's traits pick the model before its targets are
 * resolved. Pure: the traits are read from the canonical request, and the only outside help is a token counter,
 * asked only when the request could be long (its body has more bytes than the threshold has tokens).
 *
 * Traits, tried in this order; the first one that has a rule and matches wins:
 * 1. `long_context`: the request's text (system, messages, tool calls and results, tool definitions) is above the
 *    threshold in tokens (o200k count; images are not counted);
 * 2. `web_search`: it offers a hosted web search (Responses `web_search*`, Anthropic `web_search_*`, Chat
 *    `web_search_options`);
 * 3. `vision`: an image is anywhere in the conversation (a user turn or a tool result);
 * 4. `thinking`: reasoning is asked for (any reasoning setting but disabled);
 * 5. `background`: the requested model matches the rule's globs (default `*haiku*`: the small model coding agents
 *    use for titles, summaries and other side calls).
 * The first three are what a model must be able to do to answer at all (a context window, a search tool, image
 * input), so they come before the preferences (a reasoning model, a cheap model).
 */
import type { CanonicalRequest, ToolResultContent, UserPart } from '../wire/canonical.js';
import type { TaskRules } from './ports.js';

/** Trait names as the config and the audit spell them, in the order they are tried. */
export const ROUTE_TRAITS = ['long_context', 'web_search', 'vision', 'thinking', 'background'] as const;
export type RouteTrait = (typeof ROUTE_TRAITS)[number];

export interface TaskChoice {
  rule: RouteTrait;
  model: string;
}

export interface TaskInput {
  /** Bytes of the request body: no text has more tokens than bytes, so a body this small is never long. */
  bodyBytes: number;
  countTokens: (text: string) => Promise<number>;
}

/** The rule that picks this request's model and the model it picks, or undefined to route the request as it came. */
export async function chooseTaskModel(request: CanonicalRequest, rules: TaskRules | undefined, input: TaskInput): Promise<TaskChoice | undefined> {
  if (rules === undefined) return undefined;
  const long = rules.longContext;
  if (long !== undefined && input.bodyBytes > long.thresholdTokens && (await input.countTokens(requestText(request))) > long.thresholdTokens) {
    return { rule: 'long_context', model: long.model };
  }
  if (rules.webSearch !== undefined && offersWebSearch(request)) return { rule: 'web_search', model: rules.webSearch };
  if (rules.vision !== undefined && hasImages(request)) return { rule: 'vision', model: rules.vision };
  if (rules.thinking !== undefined && wantsThinking(request)) return { rule: 'thinking', model: rules.thinking };
  if (rules.background !== undefined && rules.background.matches(request.model)) return { rule: 'background', model: rules.background.model };
  return undefined;
}

/** Reasoning asked for in any format's way (effort, budget, adaptive), and not switched off. */
export function wantsThinking(request: CanonicalRequest): boolean {
  return request.reasoning !== undefined && request.reasoning.type !== 'disabled';
}

/** A hosted search the provider runs: canonical web search, Anthropic's server tool, or Chat's search options. */
export function offersWebSearch(request: CanonicalRequest): boolean {
  for (const tool of request.tools) {
    if (tool.type === 'web-search') return true;
    if (tool.type === 'foreign' && typeof tool.raw['type'] === 'string' && tool.raw['type'].startsWith('web_search')) return true;
  }
  return request.extensions.some((field) => field.path === 'web_search_options' && field.value !== null && field.value !== undefined);
}

/** An image anywhere the model will read it: user turns and tool results. */
export function hasImages(request: CanonicalRequest): boolean {
  const image = (part: UserPart | ToolResultContent): boolean =>
    part.type === 'image' || (part.type === 'tool-result' && part.content.some(image));
  return request.messages.some((m) => m.role === 'user' && m.content.some(image));
}

/** The text a model reads in a request, for counting its tokens. */
export function requestText(request: CanonicalRequest): string {
  const out: string[] = request.system.map((p) => p.text);
  const userPart = (part: UserPart | ToolResultContent): void => {
    if (part.type === 'text') out.push(part.text);
    else if (part.type === 'document' && part.source.kind === 'text') out.push(part.source.data);
    else if (part.type === 'tool-result') part.content.forEach(userPart);
  };
  for (const message of request.messages) {
    if (message.role === 'user') {
      message.content.forEach(userPart);
      continue;
    }
    for (const part of message.content) {
      if (part.type === 'text' || part.type === 'thinking') out.push(part.text);
      else if (part.type === 'tool-call') out.push(part.name, JSON.stringify(part.input));
    }
  }
  if (request.tools.length > 0) out.push(JSON.stringify(request.tools.map((t) => (t.type === 'function' ? { name: t.name, description: t.description, parameters: t.inputSchema } : t.raw))));
  return out.join('\n');
}
