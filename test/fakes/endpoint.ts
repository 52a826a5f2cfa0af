/** Applies a scenario to endpoints without a stream form (models, embeddings, count_tokens). */
import { HANG_BEFORE_HEADERS, RESET_BEFORE_HEADERS, withBodyFault, type ResponsePlan } from './plan.js';
import type { Scenario, ScenarioOf } from './scenario.js';

/**
 * Errors and connection faults apply as they would to any endpoint; content scenarios (text, tools, ...)
 * do not, and the endpoint answers normally.
 */
export function applyEndpointScenario(
  scenario: Scenario,
  normal: () => ResponsePlan,
  error: (s: ScenarioOf<'error'>) => ResponsePlan,
): ResponsePlan {
  switch (scenario.kind) {
    case 'error':
      return error(scenario);
    case 'timeout_before_headers':
      return HANG_BEFORE_HEADERS;
    case 'reset_before':
      return RESET_BEFORE_HEADERS;
    case 'stall_body':
      return withBodyFault(normal(), 'stall');
    case 'reset_mid_stream':
      return withBodyFault(normal(), 'reset');
    case 'malformed_json':
    case 'malformed_sse':
      return withBodyFault(normal(), 'truncate');
    default:
      return normal();
  }
}
