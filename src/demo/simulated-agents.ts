/**
 * Simulated agents for `--demo`: real HTTP clients that call the gateway's own port in both wire formats,
 * streamed and not, so the demo exercises exactly the path real agents take.
 */
import { Pool, poolRequest } from '../providers/undici-pool.js';
import type { SimulatedAgent } from './demo-config.js';

const PROMPTS = [
  'Summarise the design of a token bucket rate limiter.',
  'Review this diff for concurrency bugs in the budget ledger.',
  'List three ways a translating proxy can lose tool call ids.',
  'Explain half-open circuit breakers to a new teammate.',
  'Draft a commit message for a batched audit writer.',
];

export interface SimulationHandle {
  stop(): Promise<void>;
}

export function startSimulatedAgents(gatewayUrl: string, agents: readonly SimulatedAgent[], random: () => number = Math.random): SimulationHandle {
  const pool = new Pool(gatewayUrl, { connections: 16 });
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const schedule = (agent: SimulatedAgent, n: number): void => {
    if (stopped) return;
    const delay = agent.everyMs * (0.5 + random());
    const t = setTimeout(() => {
      timers.delete(t);
      void callOnce(pool, agent, n, random).finally(() => schedule(agent, n + 1));
    }, delay);
    timers.add(t);
  };
  agents.forEach((a, i) => {
    const t = setTimeout(() => schedule(a, 0), 200 * i);
    timers.add(t);
  });

  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await pool.destroy();
    },
  };
}

async function callOnce(pool: Pool, agent: SimulatedAgent, n: number, random: () => number): Promise<void> {
  const prompt = PROMPTS[(n + agent.id.length) % PROMPTS.length]!;
  const stream = random() < 0.5;
  const body =
    agent.speaks === 'anthropic'
      ? { model: agent.model, max_tokens: agent.maxTokens, stream, system: 'You are a careful assistant.', messages: [{ role: 'user', content: prompt }] }
      : { model: agent.model, max_tokens: agent.maxTokens, stream, messages: [{ role: 'system', content: 'You are a careful assistant.' }, { role: 'user', content: prompt }] };
  const path = agent.speaks === 'anthropic' ? '/v1/messages' : '/v1/chat/completions';
  try {
    const res = await poolRequest(pool, {
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-agent-id': agent.id, ...(agent.speaks === 'anthropic' ? { 'anthropic-version': '2023-06-01' } : {}) },
      body: JSON.stringify(body),
    });
    await res.body.dump({ limit: 1 << 22 });
  } catch {
    /* the gateway logs every failure itself; a simulated agent just tries again later */
  }
}
