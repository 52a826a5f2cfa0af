/**
 * The `--demo` fleet: simulated providers (one with a recurring outage) and agents chosen so that every
 * panel has something to show in the first minute — a runaway agent that its hourly budget pauses, a
 * provider whose breaker opens and recovers, cross-format traffic and a free local model.
 */
import type { MockBehaviour } from '../providers/mock/mock-provider.js';
import { DEFAULT_MOCK_BEHAVIOUR } from '../providers/mock/mock-provider.js';

export const DEMO_CONFIG_YAML = `
gateway:
  embedded_defaults: false
providers:
  sim-openai: { type: mock, wire: openai }
  sim-anthropic: { type: mock, wire: anthropic }
  flaky: { type: mock, wire: openai }
models:
  "claude-*": sim-anthropic
  "gpt-4.1*": { provider: flaky, fallbacks: [sim-openai] }
  "gpt-*": sim-openai
  "llama*": sim-openai
prices:
  "llama3.1:8b": { input: 0, output: 0 }
agents:
  researcher:
    model: claude-sonnet-4-5
    budget: { max_cost_per_hour: 5, max_cost_per_day: 20 }
    rate_limit: 120/min
    tags: [research]
  coder:
    # About $0.0005 a call, a call every ~0.6 s: the hourly budget runs out ~20 s into the demo.
    model: gpt-4o
    budget: { max_cost_per_hour: 0.01, max_cost_per_day: 1 }
    tags: [runaway]
  reviewer:
    model: claude-haiku-4-5
    budget: { max_cost_per_hour: 1 }
  summarizer:
    model: gpt-4.1-mini
    circuit_breaker: { error_threshold: 3, window: 30s, reset_timeout: 15s, half_open_requests: 1 }
  local-eval:
    model: llama3.1:8b
`;

/** The flaky provider fails for 25 s out of every 70 s, so its breaker opens and recovers on its own. */
export function demoMockBehaviour(name: string): MockBehaviour | undefined {
  if (name === 'flaky') return { ...DEFAULT_MOCK_BEHAVIOUR, outage: { everyMs: 70_000, durationMs: 25_000 } };
  return undefined;
}

export interface SimulatedAgent {
  id: string;
  model: string;
  /** Wire format the agent's client speaks. */
  speaks: 'openai' | 'anthropic';
  /** Mean pause between its calls, ms. */
  everyMs: number;
  maxTokens: number;
}

export const DEMO_AGENTS: SimulatedAgent[] = [
  { id: 'researcher', model: 'claude-sonnet-4-5', speaks: 'anthropic', everyMs: 2500, maxTokens: 400 },
  { id: 'coder', model: 'gpt-4o', speaks: 'openai', everyMs: 250, maxTokens: 2000 },
  { id: 'reviewer', model: 'claude-haiku-4-5', speaks: 'openai', everyMs: 3000, maxTokens: 300 },
  { id: 'summarizer', model: 'gpt-4.1-mini', speaks: 'openai', everyMs: 1500, maxTokens: 300 },
  { id: 'local-eval', model: 'llama3.1:8b', speaks: 'openai', everyMs: 4000, maxTokens: 200 },
];
