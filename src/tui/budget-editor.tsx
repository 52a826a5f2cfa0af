/** The budget editor box: hourly, daily and total fields with the current spend beside each. */
import { formatUsd } from '../core/format.js';
import { BUDGET_FIELDS, type BudgetEditorState, type BudgetField, focusedField } from './budget-input.js';
import { Overlay, type OverlayLine } from './overlay.js';
import type { AgentStatus } from '../live/snapshot.js';

const SPENT: Record<BudgetField, (a: AgentStatus) => string> = {
  hourly: (a) => `spent ${formatUsd(a.costHourUsd)} in the last hour`,
  daily: (a) => `spent ${formatUsd(a.costTodayUsd)} today`,
  total: (a) => `spent ${formatUsd(a.costTotalUsd)} in total`,
};

const INPUT_WIDTH = 10;

export function budgetEditorLines(state: BudgetEditorState, agent: AgentStatus | undefined): OverlayLine[] {
  const focus = focusedField(state);
  const lines: OverlayLine[] = BUDGET_FIELDS.map((field) => {
    const active = field === focus;
    const value = state.values[field];
    // Show the end of a long value, where the cursor is.
    const shown = value.length >= INPUT_WIDTH ? value.slice(-(INPUT_WIDTH - 1)) : value;
    const input = active ? `${shown}▏` : shown;
    return [
      { text: `${active ? '▸' : ' '} ${field.padEnd(7)}`, ...(active ? { tone: 'accent' as const, bold: true } : {}) },
      { text: `$[${input.padEnd(INPUT_WIDTH)}]  ` },
      { text: agent ? SPENT[field](agent) : '', tone: 'muted' },
    ];
  });
  lines.push([{ text: 'empty = no limit', tone: 'muted' }]);
  if (state.error !== undefined) lines.push([{ text: state.error, tone: 'error' }]);
  else if (state.saving) lines.push([{ text: 'saving…', tone: 'muted' }]);
  lines.push([{ text: 'tab next field · ⏎ save · esc cancel', tone: 'muted' }]);
  return lines;
}

export function BudgetEditor(props: {
  state: BudgetEditorState;
  agent: AgentStatus | undefined;
  columns: number;
  top: number;
}) {
  const width = Math.min(62, Math.max(30, props.columns - 4));
  const left = Math.max(0, Math.floor((props.columns - width) / 2));
  return (
    <Overlay
      width={width}
      top={props.top}
      left={left}
      title={`Budget · ${props.state.agent}`}
      lines={budgetEditorLines(props.state, props.agent)}
    />
  );
}
