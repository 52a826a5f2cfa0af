/** The key line at the bottom, generated from the command table, with a transient status message. */
import { Box, Text } from 'ink';
import { footerHints, type KeyContext } from './keymap.js';
import { type Tone, useTheme } from './theme.js';

export interface Flash {
  text: string;
  tone: Tone;
}

/**
 * The key hints for `width` cells: full descriptions, then short ones, then tighter gaps; past that the hints before
 * help and quit leave from the right end (the help overlay lists every key).
 */
export function footerText(context: KeyContext, width: number): string {
  const render = (hints: readonly { label: string; description: string }[], gap: string): string => hints.map((h) => `${h.label} ${h.description}`).join(gap);
  for (const [compact, gap] of [
    [false, '  '],
    [true, '  '],
    [true, ' '],
  ] as const) {
    const text = render(footerHints(context, compact), gap);
    if (text.length <= width) return text;
  }
  const hints = footerHints(context, true);
  const kept = hints.slice(-2);
  const rest = hints.slice(0, -2);
  while (rest.length > 0 && render([...rest, ...kept], ' ').length > width) rest.pop();
  return render([...rest, ...kept], ' ');
}

export function Footer(props: { context: KeyContext; width: number; flash: Flash | undefined }) {
  const theme = useTheme();
  const usable = Math.max(0, props.width - 1);
  return (
    <Box paddingLeft={1} width={props.width}>
      <Text wrap="truncate-end">
        {props.flash ? (
          <Text bold {...theme.tone(props.flash.tone)}>
            {props.flash.text}
            {'  '}
          </Text>
        ) : null}
        <Text {...theme.tone('muted')}>{footerText(props.context, props.flash ? Math.max(0, usable - props.flash.text.length - 2) : usable)}</Text>
      </Text>
    </Box>
  );
}
