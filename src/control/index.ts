/** Agent controls: budgets, rate limits, circuit breakers, policies and the agent registry. Pure, clock-injected. */
export * from './types.js';
export { NANOS_PER_USD, usdToNanos, nanosToUsd, formatUsd } from './money.js';
export {
  HOUR_MS,
  RollingSum,
  LocalDaySum,
  localDayKey,
  localDayBounds,
  isValidTimeZone,
  systemTimeZone,
} from './budget-windows.js';
export {
  BudgetLedger,
  estimateReservationUsd,
  checkBudgetLimits,
  type BudgetLedgerOptions,
  type Reservation,
  type BudgetDenial,
  type ReserveResult,
  type BudgetSpend,
  type BudgetLimitsView,
  type ReservationEstimateInput,
} from './budget-ledger.js';
export { TokenBucket, type TokenBucketSettings, type TakeResult } from './token-bucket.js';
export { parseRateSpec, rateLimitSettings, type RateSpec, type RateLimitSettings } from './rate-limit-spec.js';
export { RateLimiter, type RateDecision } from './rate-limiter.js';
export {
  CircuitBreaker,
  isBreakerFailure,
  isBreakerFailureError,
  type BreakerState,
  type BreakerTransition,
  type BreakerListener,
  type BreakerPermit,
  type BreakerDecision,
  type BreakerSnapshot,
  type TransitionReason,
  type TransportFailure,
} from './circuit-breaker.js';
export { BreakerRegistry, breakerKey, type BreakerRegistryOptions } from './breaker-registry.js';
export { PolicyParseError } from './policy/errors.js';
export { tokenize, MAX_CONDITION_LENGTH, type Token, type Operator } from './policy/lexer.js';
export { parseCondition, typeOf, type Expr, type CompareOp } from './policy/parser.js';
export { evaluateCondition } from './policy/evaluate.js';
export {
  PolicyEngine,
  compilePolicy,
  type CompiledPolicy,
  type PolicyFiring,
  type PolicyEvaluation,
} from './policy/engine.js';
export {
  VARIABLE_TYPES,
  STATUS_VALUES,
  isPolicyVariable,
  type PolicyVariables,
  type PolicyVariable,
  type ValueType,
} from './policy/variables.js';
export { AgentCounters, type CounterTotals } from './agent-counters.js';
export {
  budgetExceededError,
  agentPausedError,
  policyDeniedError,
  rateLimitedError,
  formatWait,
} from './admission-errors.js';
export { AgentRegistry, type AgentRegistryOptions } from './agent-registry.js';
export type {
  AgentSnapshot,
  AgentStatus,
  AdmitRequest,
  AdmitResult,
  AdmissionTicket,
  CallOutcome,
  RegistryEvent,
  RegistryListener,
} from './registry-types.js';
