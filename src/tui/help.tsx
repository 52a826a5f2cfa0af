/** The help overlay, generated from the command table. */
import { helpRows } from './keymap.js';
import { UNPRICED_MARKER } from './agents-table.js';
import { Overlay, type OverlayLine } from './overlay.js';

const NOTES: readonly string[] = [
  `${UNPRICED_MARKER} after an amount: some calls could not be priced`,
  'tab: agents → log → breakers; in the log ↑↓ PgUp PgDn scroll, ⏎ opens a request',
  'filter: id, agent, model, provider, status, error; 4xx, 5xx, stream, fallback',
  '⏎ in the filter also searches the stored history; c in a request copies its id',
  'f freezes the log; ×12: 12 like rejections in a row; a↩b: b stood in for a',
  'budget fields: empty = no limit',
];

export function helpLines(maxLines: number): OverlayLine[] {
  const keys: OverlayLine[] = helpRows().map((row) => [
    { text: row.keys.padEnd(14), tone: 'accent', bold: true },
    { text: row.description.padEnd(20) },
    { text: row.contexts.join(', '), tone: 'muted' },
  ]);
  const notes: OverlayLine[] = NOTES.map((n) => [{ text: n, tone: 'muted' }]);
  const all = [...keys, [], ...notes];
  return all.slice(0, Math.max(1, maxLines));
}

export function HelpOverlay(props: { columns: number; rows: number }) {
  const width = Math.min(84, props.columns);
  const left = Math.max(0, Math.floor((props.columns - width) / 2));
  // Frame lines take two rows; stay clear of the last terminal row.
  const maxLines = Math.max(1, props.rows - 3);
  return <Overlay width={width} top={0} left={left} title="Keys · esc or ? to close" lines={helpLines(maxLines)} />;
}
