/** The starter gateway.yaml written by `ai-gateway init`: small, valid as is, with the common options commented. */
import { CONFIG_SCHEMA_FILE } from './json-schema.js';

export function renderInitConfig(): string {
  return `# yaml-language-server: $schema=./${CONFIG_SCHEMA_FILE}
# ai-gateway configuration. Check it with \`ai-gateway validate\`; edits apply while the gateway runs.
# Every option is described in gateway.example.yaml. \${VAR} and \${VAR:-default} read environment variables.

gateway:
  host: 127.0.0.1
  port: 8080
  # admin_token: \${AI_GATEWAY_ADMIN_TOKEN:-}   # protects the admin API (loopback-only when unset)
  # unknown_agents: allow                      # deny: callers that identify as no agent get 401

storage:
  path: ./ai-gateway.db
  retention_days: 90

providers:
  # Without an api_key the client's own key is passed through.
  openai:
    type: openai
    base_url: https://api.openai.com/v1
    api_key: \${OPENAI_API_KEY}
  anthropic:
    type: anthropic
    base_url: https://api.anthropic.com
    api_key: \${ANTHROPIC_API_KEY}
  # ollama:
  #   type: openai
  #   base_url: http://127.0.0.1:11434/v1

models:
  # First match wins. Exact names, aliases ({provider, model}) and globs (*, ?, [0-9]).
  # fast: { provider: anthropic, model: claude-haiku-4-5 }
  "claude-*": { provider: anthropic }
  "gpt-*": { provider: openai }
  "o[0-9]*": { provider: openai }

agents:
  # Agents are identified by /agents/<id>/..., the x-agent-id header, or one of their keys.
  default:
    budget:
      max_cost_per_day: 10        # USD
  # researcher:
  #   model: claude-sonnet-4-5
  #   keys: ["\${RESEARCHER_KEY}"]
  #   budget: { max_cost_per_hour: 5, max_cost_per_day: 20 }
  #   rate_limit: 100/min
  #   circuit_breaker: { error_threshold: 5, window: 60s, reset_timeout: 30s }

policies:
  - { name: high-error-rate, condition: "error_rate > 0.5 && calls_this_hour >= 10", action: pause }
`;
}
