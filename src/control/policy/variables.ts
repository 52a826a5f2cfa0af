/** The values a policy condition can read, computed per agent by the registry. */
export interface PolicyVariables {
  /** Errors / calls over the agent's recent calls, 0..1. */
  error_rate: number;
  cost_this_hour: number;
  cost_today: number;
  total_cost: number;
  calls_this_hour: number;
  call_count: number;
  error_count: number;
  /** `active`, `idle` or `paused`. */
  status: string;
}

export type PolicyVariable = keyof PolicyVariables;

export type ValueType = 'number' | 'string' | 'boolean';

export const VARIABLE_TYPES: Readonly<Record<PolicyVariable, ValueType>> = {
  error_rate: 'number',
  cost_this_hour: 'number',
  cost_today: 'number',
  total_cost: 'number',
  calls_this_hour: 'number',
  call_count: 'number',
  error_count: 'number',
  status: 'string',
};

/** Values `status` can take; comparing it with anything else is a config mistake worth reporting. */
export const STATUS_VALUES: readonly string[] = ['active', 'idle', 'paused'];

export function isPolicyVariable(name: string): name is PolicyVariable {
  return Object.hasOwn(VARIABLE_TYPES, name);
}
