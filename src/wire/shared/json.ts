/** Narrowing helpers for untrusted JSON; decoders never trust a body's shape. */
import { GatewayError } from '../../core/errors.js';

/**
 * A JSON object not yet narrowed: a body at the decode edge, or a payload the gateway carries verbatim without
 * reading it (tool arguments, JSON Schemas, a format's own blocks replayed to that format).
 */
export type JsonObject = Record<string, unknown>;

/** Every key that any member of a union has. */
type KeysOf<T> = T extends unknown ? keyof T : never;

/**
 * A received object seen through the wire shape it should have: only that shape's fields can be read, and each
 * stays `unknown` until a guard narrows it, because an upstream or a client may send anything.
 */
export type Unchecked<T> = { readonly [K in KeysOf<T>]?: unknown };

/** A guard for a closed set of type tags; anything else (a newer tag, garbage) is undefined, for the caller's existing path. */
export function tagGuard<const T extends string>(tags: readonly T[]): (value: unknown) => T | undefined {
  const known = new Set<unknown>(tags);
  return (value) => (known.has(value) ? (value as T) : undefined);
}

/** JSON's insignificant whitespace (RFC 8259 §2): space, tab, line feed, carriage return; a char code or a byte. */
export function isJsonSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A non-negative integer token count, or undefined (null and garbage are "not reported"). */
export function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
}

export function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

export function invalid(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}

/** The body must be a JSON object with a non-empty string `model`. */
export function requireBody(body: unknown): JsonObject {
  if (!isObject(body)) throw invalid('The request body must be a JSON object.', 'body');
  const model = body['model'];
  if (typeof model !== 'string' || model.trim() === '') {
    throw invalid('`model` is required and must be a non-empty string.', 'model');
  }
  return body;
}

export function optionalNumber(body: JsonObject, key: string, param = key): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`\`${param}\` must be a number.`, param);
  return value;
}

export function optionalTokenLimit(body: JsonObject, key: string): number | undefined {
  const value = optionalNumber(body, key);
  if (value === undefined) return undefined;
  // Safe integers only: 1e308 is an integer too, and would turn a budget reservation into Infinity.
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`\`${key}\` must be a non-negative integer.`, key);
  return value;
}

export function optionalBoolean(body: JsonObject, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(`\`${key}\` must be a boolean.`, key);
  return value;
}

/** An optional array of objects such as `tools`: absent is empty, and errors name the element by index. */
export function objectList<T>(value: unknown, param: string, decode: (item: JsonObject, at: string) => T): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`\`${param}\` must be an array.`, param);
  return value.map((item, i) => {
    const at = `${param}[${i}]`;
    if (!isObject(item)) throw invalid(`\`${at}\` must be an object.`, at);
    return decode(item, at);
  });
}

/** Parses tool-call argument text. Empty means `{}` (pitfall 11); anything but an object is invalid. */
export function parseToolArguments(text: string): { input: JsonObject; invalid?: string } {
  if (text.trim() === '') return { input: {} };
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed)) return { input: parsed };
  } catch {
    // fall through: kept verbatim so a strict encoder can reject it
  }
  return { input: {}, invalid: text };
}

/** Parses JSON text, or undefined. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
