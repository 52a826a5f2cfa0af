import { describe, expect, it } from 'vitest';
import { agentFromEnv, gatewayUrl, renderStatusline } from '../../../src/cli/statusline.js';
import type { AgentStatus } from '../../../src/live/snapshot.js';

function agent(over: Partial<AgentStatus>): AgentStatus {
  return { id: 'coder', status: 'active', calls: 3, errors: 0, tokensIn: 1, tokensOut: 1, costHourUsd: 1.2, costTodayUsd: 8.4, costTotalUsd: 30, unpriced: false, budget: {}, ...over };
}

describe('statusline', () => {
  it('finds the agent as the gateway does: path prefix, then x-agent-id, then default', () => {
    expect(agentFromEnv({ ANTHROPIC_BASE_URL: 'http://localhost:8080/agents/coder', ANTHROPIC_CUSTOM_HEADERS: 'x-agent-id: other' })).toBe('coder');
    expect(agentFromEnv({ ANTHROPIC_BASE_URL: 'http://localhost:8080/agents/team%20a/v1' })).toBe('team a');
    expect(agentFromEnv({ ANTHROPIC_BASE_URL: 'http://localhost:8080', ANTHROPIC_CUSTOM_HEADERS: 'X-Team: a\r\nx-agent-id:  reviewer ' })).toBe('reviewer');
    expect(agentFromEnv({ ANTHROPIC_BASE_URL: 'not a url' })).toBe('default');
    expect(agentFromEnv({})).toBe('default');
  });

  it('asks the gateway at --url, --port, or a base URL on this machine, never a remote base URL', () => {
    expect(gatewayUrl({ url: 'http://10.0.0.5:9000/' }, {})).toBe('http://10.0.0.5:9000');
    expect(gatewayUrl({ port: 9090 }, { ANTHROPIC_BASE_URL: 'http://localhost:8080' })).toBe('http://127.0.0.1:9090');
    expect(gatewayUrl({}, { ANTHROPIC_BASE_URL: 'http://localhost:8181/agents/coder' })).toBe('http://localhost:8181');
    expect(gatewayUrl({}, { ANTHROPIC_BASE_URL: 'http://127.0.0.2:8181' })).toBe('http://127.0.0.2:8181');
    expect(gatewayUrl({}, { ANTHROPIC_BASE_URL: 'http://[::1]:8181' })).toBe('http://[::1]:8181');
    // The provider itself, or a host elsewhere: not asked, and not sent the admin token.
    expect(gatewayUrl({}, { ANTHROPIC_BASE_URL: 'https://api.anthropic.com' })).toBe('http://127.0.0.1:8080');
    expect(gatewayUrl({}, { ANTHROPIC_BASE_URL: 'http://gateway.example.com:8080' })).toBe('http://127.0.0.1:8080');
    expect(gatewayUrl({}, {})).toBe('http://127.0.0.1:8080');
  });

  it('prints the hour and the day against their limits, and only what is set', () => {
    expect(renderStatusline('coder', { agents: [agent({ budget: { hourly: 5, daily: 20 } })] })).toBe('ai-gateway coder · $1.20/h of $5 · today $8.40 of $20');
    expect(renderStatusline('coder', { agents: [agent({})] })).toBe('ai-gateway coder · $1.20/h · today $8.40');
    expect(renderStatusline('coder', { agents: [agent({ budget: { total: 50 }, unpriced: true })] })).toBe('ai-gateway coder · $1.20/h · today $8.40 · total $30 of $50 · +unpriced');
    expect(renderStatusline('coder', { agents: [agent({ status: 'paused', pauseReason: 'budget:hourly', budget: { hourly: 1.2 } })] })).toBe(
      'ai-gateway coder · paused (budget:hourly) · $1.20/h of $1.20 · today $8.40',
    );
    expect(renderStatusline('ghost', { agents: [agent({})] })).toBe('ai-gateway ghost · no requests yet');
  });
});
