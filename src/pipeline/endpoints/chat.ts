/**
 * The chat-style endpoints (OpenAI Chat Completions, Anthropic Messages, OpenAI Responses) are one composition:
 * identify → read → decode → route → admit → forward (translating per target, falling back) → relay, then the
 * runner's meter → settle → record. The client's format, carried by the context, is all that differs.
 */
import type { RequestContext } from '../context.js';
import type { Step } from '../step.js';
import { admit } from '../steps/admit.js';
import { forward } from '../steps/forward.js';
import { identifyCaller } from '../steps/identify.js';
import { readJson } from '../steps/read-body.js';
import { relayJson } from '../steps/relay-json.js';
import { relayStreamed } from '../steps/relay-stream.js';
import { route } from '../steps/route.js';
import { decode } from '../steps/translate.js';

/** Relay: chunk by chunk for a stream, whole otherwise. */
function relay(ctx: RequestContext): Promise<void> {
  return ctx.request!.stream ? relayStreamed(ctx) : relayJson(ctx);
}

export const CHAT_STEPS: readonly Step[] = [identifyCaller, readJson, decode, route, admit, forward, relay];
