/**
 * A framed panel with titles in its frame lines ("┌ Agents ────┐"), optionally split into sections by
 * divider lines ("├ Log ─── /filter ┤"). Content lines are single-line children; the side borders
 * come from an Ink <Box> so they span whatever height the content has.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { fit } from '../core/format.js';
import { useTheme } from './theme.js';

export interface PanelSection {
  title: string;
  /** Text at the right end of the section's frame line (e.g. the log filter). */
  right?: string;
  /** Emphasise the title (the focused panel). */
  focused?: boolean;
  /** Fixed content height in rows, so side-by-side panels and sparse lists keep the layout steady. */
  height?: number;
  children: ReactNode;
}

/** Inner content width of a panel `width` cells wide (frame and one space of padding each side). */
export function panelInnerWidth(width: number): number {
  return Math.max(0, width - 4);
}

export function FrameLine(props: { kind: 'top' | 'divider' | 'bottom'; width: number; title?: string; right?: string; focused?: boolean }) {
  const theme = useTheme();
  const [left, right] = props.kind === 'top' ? ['┌', '┐'] : props.kind === 'divider' ? ['├', '┤'] : ['└', '┘'];
  const space = Math.max(0, props.width - 2);
  let title = props.title ? ` ${props.title} ` : '';
  let tail = props.right ? ` ${props.right} ` : '';
  // Keep at least one rule character on each side of a title; the right text goes first when short of room.
  if (title.length + tail.length + 2 > space) tail = '';
  if (title.length + 2 > space) title = fit(title, Math.max(0, space - 2));
  const rule = Math.max(0, props.width - 2 - (title ? 1 : 0) - (tail ? 1 : 0) - title.length - tail.length);
  return (
    <Text wrap="truncate-end">
      <Text {...theme.tone('muted')}>{left + (title ? '─' : '')}</Text>
      {title ? (
        <Text bold={props.focused ?? false} {...theme.tone('accent')}>
          {title}
        </Text>
      ) : null}
      <Text {...theme.tone('muted')}>{'─'.repeat(rule)}</Text>
      {tail ? <Text {...theme.tone('accent')}>{tail}</Text> : null}
      <Text {...theme.tone('muted')}>{(tail ? '─' : '') + right}</Text>
    </Text>
  );
}

export function Panel(props: { width: number; sections: readonly PanelSection[] }) {
  const theme = useTheme();
  const borderColor = theme.tone('muted').color;
  return (
    <Box flexDirection="column" width={props.width} flexShrink={0}>
      {props.sections.map((section, i) => (
        <Box key={`${i}:${section.title}`} flexDirection="column">
          <FrameLine
            kind={i === 0 ? 'top' : 'divider'}
            width={props.width}
            title={section.title}
            {...(section.right === undefined ? {} : { right: section.right })}
            {...(section.focused === undefined ? {} : { focused: section.focused })}
          />
          <Box
            flexDirection="column"
            width={props.width}
            borderStyle="single"
            borderTop={false}
            borderBottom={false}
            paddingX={1}
            {...(section.height === undefined ? {} : { height: section.height, overflowY: 'hidden' as const })}
            {...(borderColor === undefined ? {} : { borderColor })}
          >
            {section.children}
          </Box>
        </Box>
      ))}
      <FrameLine kind="bottom" width={props.width} />
    </Box>
  );
}
