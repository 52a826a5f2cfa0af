/**
 * Anthropic's server-side web search in a response: a `server_tool_use` block named `web_search` and the
 * `web_search_tool_result` block that answers it become one canonical WebSearchPart, which keeps both blocks
 * verbatim so they can be replayed to Anthropic on a later turn (it wants its encrypted results back).
 */
import type { WebSearchPart } from '../canonical.js';
import { isObject, str } from '../shared/json.js';
import type { ReceivedBlock } from './shapes.js';

export function isWebSearchUse(block: ReceivedBlock): boolean {
  return block.type === 'server_tool_use' && block.name === 'web_search';
}

/** Whether `result` answers the search `use` started. */
export function answersSearch(use: ReceivedBlock, result: ReceivedBlock): boolean {
  return result.type === 'web_search_tool_result' && result.tool_use_id === use.id;
}

export function webSearchPart(use: ReceivedBlock, result: ReceivedBlock): WebSearchPart {
  const input = isObject(use.input) ? use.input : {};
  // On failure the content is one error object rather than a list of results.
  const results = Array.isArray(result.content) ? result.content : [];
  return {
    type: 'web-search',
    id: str(use.id) ?? '',
    query: str(input['query']) ?? '',
    sources: results.flatMap((r) => {
      if (!isObject(r) || typeof r['url'] !== 'string') return [];
      const title = str(r['title']);
      return [title === undefined ? { url: r['url'] } : { url: r['url'], title }];
    }),
    format: 'anthropic-messages',
    raw: [use, result],
  };
}
