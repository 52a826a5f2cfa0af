/**
 * Fake OpenAI, Anthropic and Gemini upstreams for integration, fault and benchmark tests. They are an independent
 * oracle: nothing here imports the gateway's own code.
 */
export { startFakeOpenAI, DEFAULT_OPENAI_MODELS, type FakeOpenAIOptions } from './openai.js';
export { startFakeAzure, type FakeAzureOptions } from './azure.js';
export { startFakeAnthropic, DEFAULT_ANTHROPIC_MODELS, type FakeAnthropicOptions } from './anthropic.js';
export { startFakeGemini, DEFAULT_GEMINI_MODELS, geminiFrame, googleJson, type FakeGeminiOptions } from './gemini.js';
export type { FakeUpstream, FakeServerOptions, RecordedRequest } from './server.js';
export {
  scenarioSchema,
  parseScenarioText,
  toScenario,
  SCENARIO_HEADER,
  DEFAULT_TEXT,
  DEFAULT_CHUNKS,
  DEFAULT_THINKING,
  DEFAULT_TOOL_CALLS,
  DEFAULT_SEARCH_QUERY,
  DEFAULT_SEARCH_RESULTS,
  type Scenario,
  type ScenarioKind,
  type ScenarioName,
  type ScenarioInput,
  type ScenarioOf,
  type ToolCallSpec,
  type UsageSpec,
} from './scenario.js';
export { renderOpenAIChat, renderOpenAIError, openAIRequestFacts } from './openai-render.js';
export { renderOpenAIResponses, responsesUsage } from './responses-render.js';
export { renderAnthropicMessages, renderAnthropicError, anthropicRequestFacts } from './anthropic-render.js';
export { planBodyBytes, planBodyText, type ResponsePlan, type ResponseHead, type Step } from './plan.js';
export type { RenderEnv } from './reply.js';
export { DEFAULT_USAGE, openAIUsage, anthropicUsage, resolveUsage, type ResolvedUsage } from './usage.js';
export type { JsonObject, JsonValue } from './json.js';

import { SCENARIO_HEADER, type Scenario, type ScenarioName } from './scenario.js';

/** Request headers that pick a scenario for one request: `{ headers: scenarioHeaders({...}) }` in an SDK call. */
export function scenarioHeaders(scenario: Scenario | ScenarioName): Record<string, string> {
  return { [SCENARIO_HEADER]: typeof scenario === 'string' ? scenario : JSON.stringify(scenario) };
}

/** A directive to embed in user text when the header would not reach the fake. */
export function scenarioDirective(scenario: Scenario | ScenarioName): string {
  return `[[fake-scenario:${typeof scenario === 'string' ? scenario : JSON.stringify(scenario)}]]`;
}
