/**
 * A framed box drawn over the screen (help, budget editor). Ink draws an absolutely positioned box on
 * top of what is below it, but only where it writes characters, so every line here is padded to the
 * full width: nothing underneath shows through, with or without colours.
 */
import { Box, Text } from 'ink';
import { fit } from '../core/format.js';
import { type Tone, useTheme } from './theme.js';

export interface Segment {
  text: string;
  tone?: Tone;
  bold?: boolean;
}

export type OverlayLine = readonly Segment[];

/** Cuts a line of segments to `width` cells and pads it to exactly that width. */
export function fitSegments(line: OverlayLine, width: number): Segment[] {
  const out: Segment[] = [];
  let used = 0;
  for (const s of line) {
    if (used >= width) break;
    const room = width - used;
    const text = s.text.length > room ? fit(s.text, room) : s.text;
    out.push({ ...s, text });
    used += text.length;
  }
  if (used < width) out.push({ text: ' '.repeat(width - used) });
  return out;
}

function frame(left: string, right: string, width: number, title?: string): string {
  const label = title ? `─ ${title} ` : '';
  const inner = Math.max(0, width - 2);
  return left + fit(label, Math.min(label.length, inner)) + '─'.repeat(Math.max(0, inner - label.length)) + right;
}

export function Overlay(props: { width: number; top: number; left: number; title: string; lines: readonly OverlayLine[] }) {
  const theme = useTheme();
  const inner = Math.max(0, props.width - 4);
  return (
    <Box position="absolute" marginTop={props.top} marginLeft={props.left} flexDirection="column" width={props.width}>
      <Text {...theme.tone('accent')}>{frame('┌', '┐', props.width, props.title)}</Text>
      {props.lines.map((line, i) => (
        <Text key={i}>
          <Text {...theme.tone('accent')}>│ </Text>
          {fitSegments(line, inner).map((s, j) => (
            <Text key={j} bold={s.bold ?? false} {...theme.tone(s.tone)}>
              {s.text}
            </Text>
          ))}
          <Text {...theme.tone('accent')}> │</Text>
        </Text>
      ))}
      <Text {...theme.tone('accent')}>{frame('└', '┘', props.width)}</Text>
    </Box>
  );
}
