/**
 * Every key of the dashboard, in one table. Components never compare raw keys: the app resolves a key
 * to a named command for the current context and dispatches on the name. The footer and the help
 * overlay are generated from this table, so what is shown is what works.
 */
import type { Key } from 'ink';

/** Where the keyboard focus is; each context has its own bindings. */
export type KeyContext = 'main' | 'detail' | 'request' | 'usage' | 'help' | 'filter' | 'budget';

export type CommandName =
  | 'nav.up'
  | 'nav.down'
  | 'nav.pageUp'
  | 'nav.pageDown'
  | 'focus.next'
  | 'agent.pause'
  | 'agent.budget'
  | 'view.open'
  | 'breaker.reset'
  | 'log.filter'
  | 'log.freeze'
  | 'agents.sort'
  | 'view.usage'
  | 'request.copy'
  | 'help.toggle'
  | 'view.back'
  | 'app.quit'
  | 'input.next'
  | 'input.prev'
  | 'input.submit'
  | 'input.cancel'
  | 'input.erase';

type NamedKey = 'upArrow' | 'downArrow' | 'pageUp' | 'pageDown' | 'return' | 'escape' | 'tab' | 'backspace' | 'delete';

export type KeyStroke = { char: string; ctrl?: boolean } | { key: NamedKey; shift?: boolean };

export interface Binding {
  command: CommandName;
  contexts: readonly KeyContext[];
  keys: readonly KeyStroke[];
  /** How the key is written in the footer and help, e.g. "↑↓" or "p". */
  label: string;
  description: string;
  /** Shorter description for narrow footers. */
  short?: string;
  /** Shown in the footer of these contexts (everything is shown in help). */
  footer?: readonly KeyContext[];
}

export const COMMANDS: readonly Binding[] = [
  {
    command: 'nav.up',
    contexts: ['main', 'detail'],
    keys: [{ key: 'upArrow' }, { char: 'k' }],
    label: '↑↓',
    description: 'select',
    footer: ['main', 'detail'],
  },
  { command: 'nav.down', contexts: ['main', 'detail'], keys: [{ key: 'downArrow' }, { char: 'j' }], label: 'j k', description: 'select' },
  { command: 'nav.pageUp', contexts: ['main'], keys: [{ key: 'pageUp' }], label: 'PgUp', description: 'log: a page newer' },
  { command: 'nav.pageDown', contexts: ['main'], keys: [{ key: 'pageDown' }], label: 'PgDn', description: 'log: a page older' },
  {
    command: 'focus.next',
    contexts: ['main'],
    keys: [{ key: 'tab', shift: false }],
    label: 'tab',
    description: 'focus',
    footer: ['main'],
  },
  {
    command: 'agent.pause',
    contexts: ['main', 'detail'],
    keys: [{ char: 'p' }],
    label: 'p',
    description: 'pause/resume',
    short: 'pause',
    footer: ['main', 'detail'],
  },
  {
    command: 'agent.budget',
    contexts: ['main', 'detail'],
    keys: [{ char: 'b' }],
    label: 'b',
    description: 'budget',
    footer: ['main', 'detail'],
  },
  {
    command: 'view.open',
    contexts: ['main'],
    keys: [{ key: 'return' }],
    label: '⏎',
    description: 'details',
    short: 'detail',
    footer: ['main'],
  },
  {
    command: 'breaker.reset',
    contexts: ['main', 'detail'],
    keys: [{ char: 'r' }],
    label: 'r',
    description: 'reset breaker',
    short: 'reset',
  },
  {
    command: 'log.filter',
    contexts: ['main'],
    keys: [{ char: '/' }],
    label: '/',
    description: 'filter',
    footer: ['main'],
  },
  {
    command: 'log.freeze',
    contexts: ['main'],
    keys: [{ char: 'f' }],
    label: 'f',
    description: 'freeze',
    footer: ['main'],
  },
  {
    command: 'agents.sort',
    contexts: ['main'],
    keys: [{ char: 's' }],
    label: 's',
    description: 'sort',
    footer: ['main'],
  },
  {
    command: 'view.usage',
    contexts: ['main', 'usage'],
    keys: [{ char: 'm' }],
    label: 'm',
    description: 'spend by model',
    short: 'models',
    footer: ['main', 'usage'],
  },
  {
    command: 'request.copy',
    contexts: ['request'],
    keys: [{ char: 'c' }],
    label: 'c',
    description: 'copy request id',
    short: 'copy id',
    footer: ['request'],
  },
  {
    command: 'help.toggle',
    contexts: ['main', 'detail', 'request', 'usage', 'help'],
    keys: [{ char: '?' }],
    label: '?',
    description: 'help',
    footer: ['main', 'detail', 'request', 'usage', 'help'],
  },
  {
    command: 'view.back',
    contexts: ['detail', 'request', 'usage', 'help'],
    keys: [{ key: 'escape' }],
    label: 'esc',
    description: 'back',
    footer: ['detail', 'request', 'usage', 'help'],
  },
  {
    command: 'app.quit',
    contexts: ['main', 'detail', 'request', 'usage', 'help', 'filter', 'budget'],
    keys: [{ char: 'q' }, { char: 'c', ctrl: true }],
    label: 'q',
    description: 'quit',
    footer: ['main', 'detail', 'request', 'usage', 'help'],
  },
  {
    command: 'input.prev',
    contexts: ['budget'],
    keys: [{ key: 'tab', shift: true }, { key: 'upArrow' }],
    label: 'shift-tab',
    description: 'previous field',
  },
  {
    command: 'input.next',
    contexts: ['budget'],
    keys: [{ key: 'tab', shift: false }, { key: 'downArrow' }],
    label: 'tab',
    description: 'next field',
    short: 'next',
    footer: ['budget'],
  },
  {
    command: 'input.submit',
    contexts: ['budget', 'filter'],
    keys: [{ key: 'return' }],
    label: '⏎',
    description: 'save / apply',
    short: 'save',
    footer: ['budget', 'filter'],
  },
  {
    command: 'input.cancel',
    contexts: ['budget', 'filter'],
    keys: [{ key: 'escape' }],
    label: 'esc',
    description: 'cancel / clear',
    short: 'cancel',
    footer: ['budget', 'filter'],
  },
  {
    command: 'input.erase',
    contexts: ['budget', 'filter'],
    keys: [{ key: 'backspace' }, { key: 'delete' }],
    label: '⌫',
    description: 'delete a character',
  },
];

/** In text fields plain characters are text (typing "q" or "p" must not quit or pause); ctrl keys still act. */
const TEXT_CONTEXTS: ReadonlySet<KeyContext> = new Set(['filter', 'budget']);

/** Whether the context is a text field (log filter, budget editor), where typed and pasted text goes. */
export function isTextContext(context: KeyContext): boolean {
  return TEXT_CONTEXTS.has(context);
}

function matches(stroke: KeyStroke, input: string, key: Key): boolean {
  if ('char' in stroke) {
    return input === stroke.char && (stroke.ctrl ?? false) === key.ctrl && !key.meta;
  }
  if (!key[stroke.key]) return false;
  return stroke.shift === undefined || stroke.shift === key.shift;
}

/** The command bound to this key in this context, if any. */
export function resolveCommand(context: KeyContext, input: string, key: Key): CommandName | undefined {
  for (const binding of COMMANDS) {
    if (!binding.contexts.includes(context)) continue;
    for (const stroke of binding.keys) {
      if (TEXT_CONTEXTS.has(context) && 'char' in stroke && !stroke.ctrl) continue;
      if (matches(stroke, input, key)) return binding.command;
    }
  }
  return undefined;
}

/** Printable text typed into a text context (filter, budget fields), or undefined for control keys. */
export function typedText(context: KeyContext, input: string, key: Key): string | undefined {
  if (!TEXT_CONTEXTS.has(context)) return undefined;
  if (key.ctrl || key.meta || input === '') return undefined;
  return printableText(input);
}

/** The text without control characters (line breaks, tabs, escapes that a paste may carry), or undefined if none is left. */
export function printableText(input: string): string | undefined {
  const text = Array.from(input)
    .filter((c) => c >= ' ' && c !== '\u007f')
    .join('');
  return text === '' ? undefined : text;
}

/** One key of a chunk typed into a text field. */
export type TextKey = { type: 'type'; text: string } | { type: 'erase' } | { type: 'next' } | { type: 'submit' };

/**
 * Ink splits what it reads from the terminal at escape sequences and at backspace and ctrl-c bytes, but
 * a run of other characters stays one input: keys that arrive together (fast typing while the event loop
 * is busy, a paste without bracketed paste) reach a text field as e.g. "7.25\r" or "2\t3". Returns those
 * keys in order, or undefined when the input holds no control key and is plain text or a single key.
 * (The pieces of one read arrive as separate inputs in the same tick; the app applies each to the
 * state the previous one left, see use-current-state.ts.)
 */
export function textChunkKeys(input: string): TextKey[] | undefined {
  const chars = Array.from(input);
  if (chars.length < 2 || !chars.some((c) => c === '\r' || c === '\t' || c === '\b' || c === '\u007f')) return undefined;
  const keys: TextKey[] = [];
  for (const c of chars) {
    if (c === '\r') keys.push({ type: 'submit' });
    else if (c === '\t') keys.push({ type: 'next' });
    else if (c === '\b' || c === '\u007f') keys.push({ type: 'erase' });
    else if (c >= ' ') {
      const last = keys[keys.length - 1];
      if (last?.type === 'type') last.text += c;
      else keys.push({ type: 'type', text: c });
    }
  }
  return keys;
}

/**
 * Outside text fields, a run of keys read at once ("jj", "m\t" from fast typing or a busy loop) is split into its
 * keys, each with the flags Ink would have given it alone; undefined when the input is a single key.
 */
export function splitKeys(input: string, key: Key): Array<{ input: string; key: Key }> | undefined {
  const chars = Array.from(input);
  if (chars.length < 2 || key.ctrl || key.meta || chars.includes('\u001B')) return undefined;
  return chars.map((c) => ({
    input: c,
    key: { ...key, tab: c === '\t', return: c === '\r', backspace: c === '\u007f' || c === '\b', shift: false },
  }));
}

/** Key hints for the footer of a context, in table order; `compact` uses the short descriptions. */
export function footerHints(context: KeyContext, compact = false): Array<{ label: string; description: string }> {
  return COMMANDS.filter((b) => b.footer?.includes(context)).map((b) => ({
    label: b.label,
    description: compact ? (b.short ?? b.description) : b.description,
  }));
}

/** Help rows: one per binding, with every key that triggers it. */
export function helpRows(): Array<{ keys: string; description: string; contexts: readonly KeyContext[] }> {
  return COMMANDS.map((b) => ({ keys: b.keys.map(describeStroke).join(' '), description: b.description, contexts: b.contexts }));
}

function describeStroke(stroke: KeyStroke): string {
  if ('char' in stroke) return stroke.ctrl ? `ctrl-${stroke.char}` : stroke.char;
  switch (stroke.key) {
    case 'upArrow':
      return '↑';
    case 'downArrow':
      return '↓';
    case 'pageUp':
      return 'PgUp';
    case 'pageDown':
      return 'PgDn';
    case 'return':
      return '⏎';
    case 'escape':
      return 'esc';
    case 'tab':
      return stroke.shift ? 'shift-tab' : 'tab';
    case 'backspace':
      return '⌫';
    case 'delete':
      return 'del';
  }
}
