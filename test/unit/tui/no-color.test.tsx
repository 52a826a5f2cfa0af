import { describe, expect, it, vi } from 'vitest';

// Colour support is decided when chalk loads; force it on so the colour path is really exercised
// (test runs have no TTY) and NO_COLOR is what turns it off.
vi.hoisted(() => {
  process.env['FORCE_COLOR'] = '1';
});

import { noColorRequested } from '../../../src/tui/theme.js';
import { ANSI_COLOUR, KEYS, renderApp } from './helpers.js';

describe('NO_COLOR', () => {
  it('colours the dashboard normally', async () => {
    const app = await renderApp({ columns: 120, rows: 30, noColor: false });
    expect(app.lastFrame()).toMatch(ANSI_COLOUR);
    app.unmount();
  });

  it('emits no colour codes anywhere when NO_COLOR is set', async () => {
    const app = await renderApp({ columns: 120, rows: 30, noColor: true });
    expect(app.lastFrame()).not.toMatch(ANSI_COLOUR);
    await app.press('b', 'x', KEYS.enter);
    expect(app.lastFrame()).toContain('is not a number');
    await app.press(KEYS.esc, '?');
    await app.press(KEYS.esc, KEYS.enter);
    for (const frame of app.frames) expect(frame).not.toMatch(ANSI_COLOUR);
    app.unmount();
  });

  it('follows the no-color.org convention', () => {
    expect(noColorRequested({ NO_COLOR: '1' })).toBe(true);
    expect(noColorRequested({ NO_COLOR: '' })).toBe(false);
    expect(noColorRequested({})).toBe(false);
  });
});
