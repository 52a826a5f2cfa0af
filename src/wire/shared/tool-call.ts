/** OpenAI tool calls (Chat Completions and Responses) carry their arguments as JSON text. */
import type { ToolCallPart } from '../canonical.js';
import { parseToolArguments, str } from './json.js';

/** The canonical tool call; argument text that is not a JSON object is kept for a strict encoder to reject. */
export function toolCallFromArgumentText(id: string, name: string, argumentText: unknown): ToolCallPart {
  const args = parseToolArguments(str(argumentText) ?? '');
  return { type: 'tool-call', id, name, input: args.input, ...(args.invalid === undefined ? {} : { invalidArguments: args.invalid }) };
}
