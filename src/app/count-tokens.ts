/**
 * A local input-token estimate for `POST /v1/messages/count_tokens` when the target is not Anthropic:
 * system, every message's text (tool calls and results included) and the tool definitions all count.
 */
import { estimateRequestInputTokens } from '../metering/index.js';

/** Images are priced by size upstream; without decoding them, count a typical 1024×1024 image. */
const IMAGE_TOKENS = 1600;

export function countTokensLocally(body: Record<string, unknown>): Promise<number> {
  let images = 0;
  const textOf = (content: unknown): string => {
    if (typeof content === 'string') return content;
    if (!Array.isArray(content)) return content === undefined ? '' : JSON.stringify(content);
    const parts: string[] = [];
    for (const block of content as unknown[]) {
      if (typeof block !== 'object' || block === null) continue;
      const b = block as Record<string, unknown>;
      if (b.type === 'text' && typeof b.text === 'string') parts.push(b.text);
      else if (b.type === 'image') images++;
      else if (b.type === 'tool_use') parts.push(`${String(b.name)} ${JSON.stringify(b.input ?? {})}`);
      else if (b.type === 'tool_result') parts.push(textOf(b.content));
      else if (b.type === 'thinking' && typeof b.thinking === 'string') parts.push(b.thinking);
      else parts.push(JSON.stringify(b));
    }
    return parts.join('\n');
  };
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]).map((m) => textOf((m as { content?: unknown } | null)?.content)) : [];
  const count = estimateRequestInputTokens({
    system: textOf(body.system),
    messages,
    tools: body.tools,
    fixedTokens: images * IMAGE_TOKENS,
  });
  return count;
}
