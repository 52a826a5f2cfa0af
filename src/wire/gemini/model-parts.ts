/**
 * The parts of a Gemini model turn, as both a request (history sent to Gemini) and a response (to a Gemini client)
 * write them. Gemini puts a thought signature on the part it belongs to; the canonical form carries it as a signed
 * thinking part, so an empty signed thinking part hands its signature to the part after it (or to an empty text
 * part when none follows).
 */
import type { AssistantPart } from '../canonical.js';
import type { JsonObject } from '../shared/json.js';
import type { GeminiPart } from './shapes.js';

/** A part that is neither text nor thinking: what the caller makes of it in its direction. */
export type OtherAssistantPart = Exclude<AssistantPart, { type: 'text' } | { type: 'thinking' }>;

export function modelTurnParts(
  content: readonly AssistantPart[],
  other: (part: OtherAssistantPart) => GeminiPart | JsonObject | undefined,
): (GeminiPart | JsonObject)[] {
  const out: (GeminiPart | JsonObject)[] = [];
  let signature: string | undefined;
  const add = (part: GeminiPart | JsonObject): void => {
    out.push(signature === undefined ? part : { ...part, thoughtSignature: signature });
    signature = undefined;
  };
  for (const part of content) {
    if (part.type === 'text') {
      if (part.text !== '' || signature !== undefined) add({ text: part.text });
    } else if (part.type === 'thinking') {
      // An empty signature (an unsigned thinking block as an Anthropic client replays it) is no signature.
      const sig = part.signature === '' ? undefined : part.signature;
      if (part.text === '' && sig === undefined) continue;
      if (part.text === '' && sig !== undefined) {
        if (signature !== undefined) add({ text: '' });
        signature = sig;
      } else add({ text: part.text, thought: true, ...(sig === undefined ? {} : { thoughtSignature: sig }) });
    } else {
      const mapped = other(part);
      if (mapped !== undefined) add(mapped);
    }
  }
  if (signature !== undefined) add({ text: '' });
  return out;
}
