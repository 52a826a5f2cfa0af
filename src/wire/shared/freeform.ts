/**
 * Free-form tools (OpenAI Responses `custom` tools, such as Codex's apply_patch) toward formats that only have JSON
 * function tools. The tool is offered as a function with one string argument, `input`, its description followed by
 * the grammar its text must follow, as Codex itself offers apply_patch to models without custom tools. A call's text
 * is that argument; while the call streams, the text is read out of the argument JSON as it arrives.
 */
import { assertNever } from '../../core/assert-never.js';
import type { FunctionTool, ToolCallPart } from '../canonical.js';
import { isObject, str, type JsonObject } from './json.js';

/** The one argument that carries a free-form tool's text. */
export const FREEFORM_ARGUMENT = 'input';

/** A Responses `custom` tool as the function other formats can offer. */
export function freeformTool(name: string, spec: JsonObject): FunctionTool {
  const own = str(spec['description']);
  const how = inputFormat(spec['format']);
  return {
    type: 'function',
    name,
    description: own === undefined || own === '' ? how : `${own}\n\n${how}`,
    inputSchema: {
      type: 'object',
      properties: { [FREEFORM_ARGUMENT]: { type: 'string', description: "The tool's whole input, as plain text." } },
      required: [FREEFORM_ARGUMENT],
      additionalProperties: false,
    },
    freeform: true,
  };
}

/** What the model must write: plain text, or text that follows the tool's grammar (Lark or a regular expression). */
function inputFormat(format: unknown): string {
  const lead = `Pass the whole input as plain text in the string argument \`${FREEFORM_ARGUMENT}\``;
  if (!isObject(format) || format['type'] !== 'grammar') return `${lead}.`;
  const definition = str(format['definition']);
  if (definition === undefined || definition === '') return `${lead}.`;
  const kind = format['syntax'] === 'regex' ? 'regular expression' : 'Lark grammar';
  return `${lead}; the text must follow this ${kind}:\n${definition}`;
}

/** A call of a free-form tool from its text (a Responses `custom_tool_call` item). */
export function freeformCall(id: string, name: string, text: string): ToolCallPart {
  return { type: 'tool-call', id, name, input: { [FREEFORM_ARGUMENT]: text }, freeform: true };
}

/**
 * The text of a free-form call: its `input` argument. A model that named its one string argument otherwise still
 * gets it through; any other arguments reach the client as their JSON text, for its tool to refuse.
 */
export function freeformText(call: Pick<ToolCallPart, 'input' | 'invalidArguments'>): string {
  const text = call.input[FREEFORM_ARGUMENT];
  if (typeof text === 'string') return text;
  const values = Object.values(call.input);
  if (values.length === 1 && typeof values[0] === 'string') return values[0];
  return call.invalidArguments ?? JSON.stringify(call.input);
}

/** Argument JSON fragments in, the text they complete out. */
export type FreeformReader = (fragment: string) => string;

const PREFIX = `{"${FREEFORM_ARGUMENT}":"`;
/** Positions in PREFIX where JSON allows whitespace: before `{`, the key, the colon and the value. */
const BETWEEN_TOKENS = new Set([0, 1, PREFIX.length - 2, PREFIX.length - 1]);
const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function isHex(c: string): boolean {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/**
 * Reads a free-form call's text out of its streamed arguments: once `{"input":"` has arrived (whitespace allowed
 * between the tokens), the string's characters are unescaped and passed on until its closing quote. Arguments of any
 * other shape yield nothing; the caller sends what is missing once the call is complete (freeformText). A high
 * surrogate at the end of a piece waits for its pair, so every piece is well-formed text.
 */
export function createFreeformReader(): FreeformReader {
  let state: 'prefix' | 'text' | 'escape' | 'unicode' | 'over' = 'prefix';
  let matched = 0;
  let hex = '';
  let held = '';
  return (fragment) => {
    let out = held;
    held = '';
    let i = 0;
    while (i < fragment.length && state !== 'over') {
      const c = fragment.charAt(i);
      switch (state) {
        case 'prefix':
          if (c === PREFIX.charAt(matched)) {
            matched++;
            if (matched === PREFIX.length) state = 'text';
          } else if (!(WHITESPACE.has(c) && BETWEEN_TOKENS.has(matched))) {
            state = 'over';
          }
          i++;
          break;
        case 'text': {
          // The run up to the next quote or backslash is copied at once.
          let end = i;
          while (end < fragment.length && fragment.charAt(end) !== '"' && fragment.charAt(end) !== '\\') end++;
          out += fragment.slice(i, end);
          i = end;
          if (i < fragment.length) {
            state = fragment.charAt(i) === '"' ? 'over' : 'escape';
            i++;
          }
          break;
        }
        case 'escape': {
          const unescaped = ESCAPES[c];
          if (c === 'u') {
            state = 'unicode';
            hex = '';
          } else if (unescaped === undefined) {
            state = 'over';
          } else {
            out += unescaped;
            state = 'text';
          }
          i++;
          break;
        }
        case 'unicode':
          if (!isHex(c)) {
            state = 'over';
            break;
          }
          hex += c;
          i++;
          if (hex.length === 4) {
            out += String.fromCharCode(Number.parseInt(hex, 16));
            state = 'text';
          }
          break;
        default:
          assertNever(state);
      }
    }
    const last = out.charCodeAt(out.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      // Past the end of the text nothing more comes here: the caller's rest carries it.
      held = state === 'over' ? '' : out.slice(-1);
      out = out.slice(0, -1);
    }
    return out;
  };
}
