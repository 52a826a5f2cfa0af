/** The budget editor's state and validation, without React. */
import type { AgentStatus, BudgetPatch } from '../live/snapshot.js';

export const BUDGET_FIELDS = ['hourly', 'daily', 'total'] as const;
export type BudgetField = (typeof BUDGET_FIELDS)[number];

export interface BudgetEditorState {
  agent: string;
  values: Record<BudgetField, string>;
  focus: number;
  error?: string;
  saving: boolean;
}

function limitText(v: number | null | undefined): string {
  return v === undefined || v === null ? '' : String(v);
}

export function openBudgetEditor(agent: string, budget: AgentStatus['budget']): BudgetEditorState {
  return {
    agent,
    values: { hourly: limitText(budget.hourly), daily: limitText(budget.daily), total: limitText(budget.total) },
    focus: 0,
    saving: false,
  };
}

export function focusedField(state: BudgetEditorState): BudgetField {
  return BUDGET_FIELDS[((state.focus % 3) + 3) % 3] ?? 'hourly';
}

/** Plain decimal dollars: "5", "2.5", ".5", optionally "$5". No signs, exponents or separators. */
const AMOUNT = /^\$?(\d+(\.\d*)?|\.\d+)$/;

export type ParsedBudget = { ok: true; change: Required<BudgetPatch> } | { ok: false; field: BudgetField; message: string };

/** Every field as a limit: empty is "no limit" (null), anything else must be a number ≥ 0. */
export function parseBudget(values: Record<BudgetField, string>): ParsedBudget {
  const change: Required<BudgetPatch> = { hourly: null, daily: null, total: null };
  for (const field of BUDGET_FIELDS) {
    const raw = values[field].trim();
    if (raw === '') continue;
    if (!AMOUNT.test(raw)) {
      return { ok: false, field, message: `${field}: "${raw}" is not a number ≥ 0` };
    }
    change[field] = Number(raw.replace('$', ''));
  }
  return { ok: true, change };
}

export function editBudget(state: BudgetEditorState, edit: { type: 'type'; text: string } | { type: 'erase' } | { type: 'move'; by: number }): BudgetEditorState {
  const field = focusedField(state);
  switch (edit.type) {
    case 'type':
      return withoutError({ ...state, values: { ...state.values, [field]: state.values[field] + edit.text } });
    case 'erase':
      return withoutError({ ...state, values: { ...state.values, [field]: Array.from(state.values[field]).slice(0, -1).join('') } });
    case 'move':
      return { ...state, focus: (((state.focus + edit.by) % 3) + 3) % 3 };
  }
}

function withoutError(state: BudgetEditorState): BudgetEditorState {
  const { error: _error, ...rest } = state;
  return rest;
}
