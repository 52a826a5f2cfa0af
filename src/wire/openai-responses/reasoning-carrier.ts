/**
 * Anthropic thinking signatures ride to Responses clients in `encrypted_content` (spec §4.5 ⚠ design),
 * tagged so that only values the gateway put there are ever replayed to Anthropic as signatures —
 * OpenAI's own encrypted reasoning must never be sent to Anthropic (spec §4.5, last point).
 */
const SIGNATURE = 'gw-anthropic-signature:';
const REDACTED = 'gw-anthropic-redacted:';

export function carrySignature(signature: string): string {
  return `${SIGNATURE}${signature}`;
}

export function carryRedacted(data: string): string {
  return `${REDACTED}${data}`;
}

export type Carried = { kind: 'signature'; value: string } | { kind: 'redacted'; value: string } | undefined;

export function readCarried(encrypted: unknown): Carried {
  if (typeof encrypted !== 'string') return undefined;
  if (encrypted.startsWith(SIGNATURE)) return { kind: 'signature', value: encrypted.slice(SIGNATURE.length) };
  if (encrypted.startsWith(REDACTED)) return { kind: 'redacted', value: encrypted.slice(REDACTED.length) };
  return undefined;
}
