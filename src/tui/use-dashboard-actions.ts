/**
 * What the dashboard's commands do beyond changing the UI state: actions sent to the gateway (reported in the
 * footer), the budget editor's save, and applying a log filter (which also searches the stored history).
 */
import type { RefObject } from 'react';
import { messageOf } from '../core/errors.js';
import type { DashboardActions } from '../live/snapshot.js';
import { type BudgetEditorState, parseBudget } from './budget-input.js';
import type { Flash } from './footer.js';
import type { UiState } from './ui-state.js';

export interface DashboardActionsDeps {
  actions: DashboardActions;
  mounted: RefObject<boolean>;
  updateUi: (change: (previous: UiState) => UiState) => void;
  setFlash: (flash: Flash | undefined) => void;
  searchHistory: (filter: string) => void;
}

export interface DashboardOps {
  patchUi(patch: Partial<UiState>): void;
  setEditor(change: (editor: BudgetEditorState | undefined) => BudgetEditorState | undefined): void;
  /** Shows `pending`, runs the action, then shows `done` or why it failed. */
  runAction(pending: string, action: () => Promise<void>, done: string): void;
  saveBudget(state: BudgetEditorState): void;
  applyFilter(value: string): void;
}

export function useDashboardActions(d: DashboardActionsDeps): DashboardOps {
  const { actions, mounted, updateUi, setFlash } = d;
  const patchUi = (patch: Partial<UiState>): void => updateUi((s) => ({ ...s, ...patch }));
  const setEditor: DashboardOps['setEditor'] = (change) => updateUi((s) => ({ ...s, editor: change(s.editor) }));

  const runAction: DashboardOps['runAction'] = (pending, action, done) => {
    setFlash({ text: pending, tone: 'muted' });
    action().then(
      () => {
        if (mounted.current) setFlash({ text: done, tone: 'ok' });
      },
      (err: unknown) => {
        if (mounted.current) setFlash({ text: `${pending.replace(/…$/, '')} failed: ${messageOf(err)}`, tone: 'error' });
      },
    );
  };

  const saveBudget = (state: BudgetEditorState): void => {
    const parsed = parseBudget(state.values);
    if (!parsed.ok) {
      setEditor(() => ({ ...state, error: parsed.message }));
      return;
    }
    setEditor(() => ({ ...state, saving: true }));
    actions.setBudget(state.agent, parsed.change).then(
      () => {
        if (!mounted.current) return;
        setEditor(() => undefined);
        setFlash({ text: `budget of ${state.agent} saved`, tone: 'ok' });
      },
      (err: unknown) => {
        if (mounted.current) setEditor((cur) => cur && { ...cur, saving: false, error: `save failed: ${messageOf(err)}` });
      },
    );
  };

  const applyFilter = (value: string): void => {
    patchUi({ filter: value, filterEditing: false, logCursor: undefined });
    d.searchHistory(value);
  };

  return { patchUi, setEditor, runAction, saveBudget, applyFilter };
}
