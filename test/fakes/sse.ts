/** SSE framing exactly as each provider writes it. */

/** OpenAI: data-only events. */
export function openAIFrame(payload: unknown): Buffer {
  return Buffer.from(`data: ${JSON.stringify(payload)}\n\n`, 'utf8');
}

export const OPENAI_DONE: Buffer = Buffer.from('data: [DONE]\n\n', 'utf8');

/** Anthropic: a named event whose data carries the same `type`. */
export function anthropicFrame(event: string, payload: unknown): Buffer {
  return Buffer.from(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`, 'utf8');
}

/** Anthropic's ping is written with a space after the colon, unlike its other events. */
export const ANTHROPIC_PING: Buffer = Buffer.from('event: ping\ndata: {"type": "ping"}\n\n', 'utf8');

export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
});

/** Cuts a frame's JSON in the middle while keeping the SSE framing, for malformed_json. */
export function truncatedFrame(frame: Buffer): Buffer {
  const text = frame.toString('utf8').replace(/\n\n$/, '');
  const brace = text.indexOf('{');
  const cut = brace < 0 ? text.length : brace + Math.max(1, Math.floor((text.length - brace) / 2));
  return Buffer.from(`${text.slice(0, cut)}\n\n`, 'utf8');
}

/** A well-framed event whose data is the HTML error page a proxy in front of a provider sends: `data: <html>502…`. */
export const HTML_ERROR_FRAME: Buffer = Buffer.from('data: <html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>\n\n', 'utf8');
