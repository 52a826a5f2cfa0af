import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { COMMANDS, footerHints, isTextContext, printableText, resolveCommand, textChunkKeys, typedText } from '../../../src/tui/keymap.js';

const none: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};
const key = (k: Partial<Key>): Key => ({ ...none, ...k });

describe('keymap', () => {
  it('maps keys to named commands per context', () => {
    expect(resolveCommand('main', 'j', none)).toBe('nav.down');
    expect(resolveCommand('main', '', key({ upArrow: true }))).toBe('nav.up');
    expect(resolveCommand('main', 'p', none)).toBe('agent.pause');
    expect(resolveCommand('main', '', key({ return: true }))).toBe('view.open');
    expect(resolveCommand('main', 'f', none)).toBe('log.freeze');
    expect(resolveCommand('main', 's', none)).toBe('agents.sort');
    expect(resolveCommand('main', 'm', none)).toBe('view.usage');
    expect(resolveCommand('main', '', key({ pageDown: true }))).toBe('nav.pageDown');
    expect(resolveCommand('request', 'c', none)).toBe('request.copy');
    expect(resolveCommand('main', 'c', none)).toBeUndefined();
    expect(resolveCommand('request', '', key({ escape: true }))).toBe('view.back');
    expect(resolveCommand('main', 'q', none)).toBe('app.quit');
    expect(resolveCommand('main', 'c', key({ ctrl: true }))).toBe('app.quit');
    expect(resolveCommand('main', 'c', none)).toBeUndefined();
    expect(resolveCommand('help', 'p', none)).toBeUndefined();
    expect(resolveCommand('budget', '', key({ tab: true, shift: true }))).toBe('input.prev');
    expect(resolveCommand('budget', '', key({ tab: true }))).toBe('input.next');
  });

  it('treats plain characters as text in text fields, but ctrl-c still quits', () => {
    expect(resolveCommand('filter', 'q', none)).toBeUndefined();
    expect(typedText('filter', 'q', none)).toBe('q');
    expect(resolveCommand('budget', 'p', none)).toBeUndefined();
    expect(resolveCommand('budget', 'c', key({ ctrl: true }))).toBe('app.quit');
    expect(typedText('main', 'q', none)).toBeUndefined();
    expect(typedText('budget', '2.5\r', none)).toBe('2.5');
  });

  it('splits a text run with control keys into keys, and keeps only the printable part of a paste', () => {
    expect(textChunkKeys('7.25\r')).toEqual([{ type: 'type', text: '7.25' }, { type: 'submit' }]);
    expect(textChunkKeys('\u007f2\t3')).toEqual([{ type: 'erase' }, { type: 'type', text: '2' }, { type: 'next' }, { type: 'type', text: '3' }]);
    expect(textChunkKeys('7.25')).toBeUndefined();
    expect(printableText('12.5\r\n\t')).toBe('12.5');
    expect(printableText('\r\n')).toBeUndefined();
    expect(isTextContext('budget')).toBe(true);
    expect(isTextContext('filter')).toBe(true);
    expect(isTextContext('main')).toBe(false);
  });

  it('binds every key at most once per context', () => {
    const seen = new Set<string>();
    for (const b of COMMANDS) {
      for (const ctx of b.contexts) {
        for (const k of b.keys) {
          const id = `${ctx}:${JSON.stringify(k)}`;
          expect(seen.has(id), id).toBe(false);
          seen.add(id);
        }
      }
    }
  });

  it('builds the footer from the table', () => {
    expect(footerHints('main').map((h) => h.label)).toEqual(['↑↓', 'tab', 'p', 'b', '⏎', '/', 'f', 's', 'm', '?', 'q']);
    expect(footerHints('request').map((h) => h.label)).toEqual(['c', '?', 'esc', 'q']);
  });
});
