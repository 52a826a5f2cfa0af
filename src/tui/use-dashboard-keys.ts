/**
 * The dashboard's keyboard: each key read from the terminal is resolved through the command table in the context
 * the key before it left, then dispatched by name (dashboard-commands.ts) or typed into the open text field.
 */
import { type Key, useInput, usePaste } from 'ink';
import { useRef } from 'react';
import { editBudget } from './budget-input.js';
import { COMMANDS, type CommandContext } from './dashboard-commands.js';
import { isTextContext, type KeyContext, printableText, resolveCommand, splitKeys, type TextKey, textChunkKeys, typedText } from './keymap.js';
import { deriveView, type UiState } from './ui-state.js';

/** What a key needs besides the UI state of the moment: everything a command acts through. */
export type KeyDeps = Omit<CommandContext, 'ui' | 'view'> & { currentUi: () => UiState };

/** Text typed or pasted into the open text field (budget editor or log filter). */
function typeText(d: KeyDeps, text: string): void {
  const s = d.currentUi();
  if (s.editor) {
    if (!s.editor.saving) d.ops.setEditor((e) => e && editBudget(e, { type: 'type', text }));
  } else if (s.filterEditing) {
    d.ops.patchUi({ filter: s.filter + text });
  }
}

/** Several keys read at once in a text field, applied in order to the field's value. */
function typeChunk(d: KeyDeps, keys: TextKey[]): void {
  const s = d.currentUi();
  if (s.editor) {
    if (s.editor.saving) return;
    let state = s.editor;
    for (const k of keys) {
      if (k.type === 'submit') return d.ops.saveBudget(state);
      state = editBudget(state, k.type === 'erase' ? k : k.type === 'next' ? { type: 'move', by: 1 } : k);
    }
    d.ops.setEditor(() => state);
  } else if (s.filterEditing) {
    let value = s.filter;
    for (const k of keys) {
      if (k.type === 'submit') return d.ops.applyFilter(value);
      if (k.type === 'erase') value = Array.from(value).slice(0, -1).join('');
      else if (k.type === 'type') value += k.text;
    }
    d.ops.patchUi({ filter: value });
  }
}

function onInput(d: KeyDeps, input: string, key: Key): void {
  const context = deriveView(d.currentUi(), d.snapshot).context;
  const chunk = isTextContext(context) ? textChunkKeys(input) : undefined;
  if (chunk) return typeChunk(d, chunk);
  const keys = isTextContext(context) ? undefined : splitKeys(input, key);
  // Each key acts in the context the one before it left (a key may open a text field: the rest is typed there).
  if (keys) return keys.forEach((k) => onInput(d, k.input, k.key));
  const command = resolveCommand(context, input, key);
  if (command) {
    const ui = d.currentUi();
    return COMMANDS[command]({ ...d, ui, view: deriveView(ui, d.snapshot) });
  }
  const text = typedText(context, input, key);
  if (text !== undefined) typeText(d, text);
}

/** Binds the keys and bracketed paste; `context` is the key context of this render. */
export function useDashboardKeys(deps: KeyDeps, context: KeyContext): void {
  // Ink re-subscribes a new handler only after the commit's effects run, so the handlers go through a
  // ref to see this render's snapshot and props; the UI state itself comes from currentUi().
  const latest = useRef(deps);
  latest.current = deps;
  useInput((input, key) => onInput(latest.current, input, key));
  // A bracketed paste is text for the open field, whatever it holds: a pasted newline does not save.
  const onPaste = (pasted: string): void => {
    const text = printableText(pasted);
    if (text !== undefined) typeText(latest.current, text);
  };
  // Bracketed paste only while a text field is open: elsewhere keys keep reaching the terminal as typed.
  usePaste(onPaste, { isActive: isTextContext(context) });
}
