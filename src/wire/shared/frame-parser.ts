/**
 * JSON.parse for the events of one stream, which repeat one shape: a provider's deltas differ only in one string
 * (the text, a tool's arguments) with the same id, model and keys around it. Once an event parses, its text is kept
 * as a template around that string; a later event with the very same text before and after its string is read by
 * parsing only the new string literal, which is put in the template's object in place. Putting one valid string
 * literal in place of another keeps the JSON valid and changes only that value, so the result is what JSON.parse
 * gives; anything else (a new shape, a bad escape, garbage) is parsed whole, with JSON.parse's verdict.
 * Parsing every event whole was a fifth of the CPU a stream cost the gateway; copying the objects on the string's
 * path for each event, a tenth of what remained.
 */

/** Where a delta's string sits in an event: object keys and array positions. The last step is the string's key. */
export type FramePath = readonly [...(string | number)[], string];

export interface FrameParser {
  /**
   * The event's JSON value, or undefined when it is not JSON. The value may be the parser's own object, updated by
   * the next call: read it before then, and copy what you keep.
   */
  parse(text: string): unknown;
}

interface Template {
  /** The event's text up to and including the string's opening quote. */
  prefix: string;
  /** From the string's closing quote to the end. */
  suffix: string;
  value: unknown;
  path: FramePath;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** `paths`: where the strings that vary from event to event may sit, tried in order. */
export function createFrameParser(paths: readonly FramePath[]): FrameParser {
  const markers = paths.map((path) => `"${path[path.length - 1]}":"`);
  let template: Template | undefined;

  function parseWhole(text: string): unknown {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      template = undefined;
      return undefined;
    }
    template = templateOf(text, value, paths, markers);
    return value;
  }

  return {
    parse(text) {
      const t = template;
      // Cut and compared rather than startsWith, which V8 runs many times slower on the sliced strings an SSE
      // reader hands out.
      if (t === undefined || text.length <= t.prefix.length + t.suffix.length || text.slice(0, t.prefix.length) !== t.prefix) return parseWhole(text);
      const start = t.prefix.length;
      // Without a backslash the string ends at the first quote; the native searches beat a loop over its characters.
      const quote = text.indexOf('"', start);
      const backslash = text.indexOf('\\', start);
      const close = backslash === -1 || backslash > quote ? quote : closingQuote(text, start);
      if (close < 0 || text.length - close !== t.suffix.length || text.slice(close) !== t.suffix) return parseWhole(text);
      // Parsed even without escapes: a string of its own, where a slice of the event would keep the upstream's whole
      // chunk alive for as long as the text is kept (the meter's record of a long stream, a stored answer).
      let string: unknown;
      try {
        string = JSON.parse(text.slice(start - 1, close + 1));
      } catch {
        return parseWhole(text);
      }
      setValueAt(t.value, t.path, string);
      return t.value;
    },
  };
}

/** A template from a parsed event: the first path that holds a string whose key appears once in the text. */
function templateOf(text: string, value: unknown, paths: readonly FramePath[], markers: readonly string[]): Template | undefined {
  for (let p = 0; p < paths.length; p++) {
    const path = paths[p]!;
    if (typeof valueAt(value, path) !== 'string') continue;
    const marker = markers[p]!;
    const at = text.indexOf(marker);
    // Unescaped quotes around the key: it is a key, not text inside a string. Once only: it is the path's key.
    if (at < 0 || text.includes(marker, at + 1)) continue;
    const open = at + marker.length - 1;
    const close = closingQuote(text, open + 1);
    if (close < 0) continue;
    return { prefix: text.slice(0, open + 1), suffix: text.slice(close), value, path };
  }
  return undefined;
}

/** The index of the quote that ends a JSON string whose content starts at `from`, or -1. */
function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

/** Puts `string` at `path`, which templateOf found to lead to a string in `value`. */
function setValueAt(value: unknown, path: FramePath, string: unknown): void {
  let node = value as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) node = node[path[i]!] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = string;
}

function valueAt(value: unknown, path: FramePath): unknown {
  let node = value;
  for (const step of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node;
}
