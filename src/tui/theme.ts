/**
 * One colour per meaning, and nothing at all under NO_COLOR. Components never name colours; they ask
 * for a tone and spread the result into an Ink <Text>.
 */
import { createContext, useContext } from 'react';

export type Tone =
  | 'ok' // healthy: active agents, closed breakers, 2xx
  | 'warn' // needs attention: half-open, 4xx, budget near its limit
  | 'error' // broken: open breakers, 5xx, budget used up
  | 'paused' // stopped on purpose
  | 'accent' // selection, titles, keys
  | 'muted'; // frames, idle, secondary text

const COLORS: Record<Tone, string> = {
  ok: 'green',
  warn: 'yellow',
  error: 'red',
  paused: 'magenta',
  accent: 'cyan',
  muted: 'gray',
};

export interface Theme {
  readonly noColor: boolean;
  /** Props for <Text>: a colour, or nothing under NO_COLOR. */
  tone(tone: Tone | undefined): { color?: string };
}

export function createTheme(noColor: boolean): Theme {
  return {
    noColor,
    tone: (tone) => (noColor || tone === undefined ? {} : { color: COLORS[tone] }),
  };
}

/** NO_COLOR convention (no-color.org): present and non-empty disables colour. */
export function noColorRequested(env: NodeJS.ProcessEnv): boolean {
  const v = env['NO_COLOR'];
  return v !== undefined && v !== '';
}

export const ThemeContext = createContext<Theme>(createTheme(false));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}

/** Tone of an HTTP status in the log. */
export function statusTone(status: number): Tone {
  if (status >= 500) return 'error';
  if (status >= 400) return 'warn';
  if (status >= 200 && status < 300) return 'ok';
  return 'muted';
}
