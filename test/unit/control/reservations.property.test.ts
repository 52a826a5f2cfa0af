/**
 * Every reservation is released exactly once, whatever the request does: random sequences of admissions,
 * extensions, settlements with sane and insane costs (NaN, Infinity, negative), double settlements, abandons,
 * pauses, budget changes and clock moves, driven through the real agent registry and budget ledger, and random
 * request lifecycles driven through the gateway's controls and the pipeline's one settlement (with throws at any
 * point, as a pipeline bug or a failing store would). Held money is always the sum of the open holds, and it is 0
 * once every request has ended.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AgentRegistry } from '../../../src/control/agent-registry.js';
import { BudgetLedger } from '../../../src/control/budget-ledger.js';
import type { AdmissionTicket } from '../../../src/control/registry-types.js';
import { GatewayControls } from '../../../src/app/adapters/controls.js';
import { parseConfigText } from '../../../src/config/index.js';
import { settleRequest } from '../../../src/pipeline/steps/settle.js';
import type { Admission } from '../../../src/pipeline/ports.js';
import { priceFromOverride } from '../../../src/metering/index.js';
import { FakeClock } from '../../helpers/clock.js';

const M_PRICE = priceFromOverride('m', { input: 1, output: 2 });

const AGENTS = ['a', 'b'] as const;
const money = fc.integer({ min: 0, max: 300 }).map((c) => c / 100);
const badCost = fc.constantFrom(Number.NaN, Infinity, -Infinity, -0.01, 1e300 * 1e300);

type Command =
  | { op: 'admit'; agent: number; usd: number }
  | { op: 'extend'; pick: number; usd: number }
  | { op: 'finish'; pick: number; usd: number }
  | { op: 'abandon'; pick: number }
  | { op: 'pause'; agent: number }
  | { op: 'resume'; agent: number }
  | { op: 'budget'; agent: number; usd: number | null }
  | { op: 'standing'; pick: number }
  | { op: 'tick'; ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('admit' as const), agent: fc.nat(1), usd: money }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('extend' as const), pick: fc.nat(), usd: money }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('finish' as const), pick: fc.nat(), usd: fc.oneof(money, badCost) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('abandon' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('pause' as const), agent: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('resume' as const), agent: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('budget' as const), agent: fc.nat(1), usd: fc.option(money, { nil: null }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('standing' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 4_000_000 }) }) },
);

describe('reservations: held money returns to exactly 0', () => {
  it('through the registry and ledger, whatever the order of outcomes', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), fc.boolean(), (commands, abandonRest) => {
        const clock = new FakeClock();
        const ledger = new BudgetLedger({ clock, timeZone: 'UTC' });
        const registry = new AgentRegistry({ clock, ledger, agents: AGENTS.map((id) => ({ id, budget: { hourly: 2, total: 5 } })) });
        const open: AdmissionTicket[] = [];
        const held = (): number => AGENTS.reduce((sum, id) => sum + ledger.spend(id).reservedUsd, 0);
        const openHeld = (): number => open.reduce((sum, t) => sum + t.reservation.heldUsd, 0);
        const pick = (n: number): AdmissionTicket | undefined => (open.length === 0 ? undefined : open[n % open.length]);

        for (const c of commands) {
          switch (c.op) {
            case 'admit': {
              const r = registry.admit(AGENTS[c.agent]!, { estimatedCostUsd: c.usd, estimatedTokens: 10 });
              if (r.ok) open.push(r.ticket);
              break;
            }
            case 'extend':
              pick(c.pick)?.extend(c.usd);
              break;
            case 'finish': {
              const t = pick(c.pick);
              if (!t) break;
              // A cost that is no amount of money is refused, but never after keeping the hold.
              const sane = Number.isFinite(c.usd) && c.usd >= 0;
              if (sane) t.finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: c.usd });
              else expect(() => t.finish({ ok: false, tokensIn: 1, tokensOut: 1, costUsd: c.usd })).toThrow();
              // Settled twice (a stream that errors after its finish): the second is ignored.
              t.finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: 1 });
              t.abandon();
              open.splice(open.indexOf(t), 1);
              break;
            }
            case 'abandon': {
              const t = pick(c.pick);
              if (!t) break;
              t.abandon();
              t.abandon();
              open.splice(open.indexOf(t), 1);
              break;
            }
            case 'pause':
              registry.pause(AGENTS[c.agent]!, { actor: 'test' });
              break;
            case 'resume':
              try {
                registry.resume(AGENTS[c.agent]!, 'test');
              } catch {
                /* still over budget: stays paused */
              }
              break;
            case 'budget':
              registry.setBudget(AGENTS[c.agent]!, { hourly: c.usd }, 'test');
              break;
            case 'standing':
              pick(c.pick)?.standing();
              break;
            case 'tick':
              clock.advance(c.ms);
              registry.tick();
              break;
          }
          expect(held()).toBeCloseTo(openHeld(), 9);
          for (const t of open) expect(t.reservation.settled).toBe(false);
        }
        for (const t of open.splice(0)) {
          if (abandonRest) t.abandon();
          else t.finish({ ok: true, tokensIn: 0, tokensOut: 0, costUsd: 0.01 });
        }
        expect(held()).toBe(0);
        for (const id of AGENTS) expect(Number.isFinite(ledger.spend(id).totalUsd)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  type Outcome = 'success' | 'upstream-error' | 'never-called' | 'throw-before-settle' | 'throw-while-recording' | 'bad-cost' | 'abort';

  it('through the gateway controls and the one settlement, with a throw at any point of a request', () => {
    const result = parseConfigText('agents:\n  a: { budget: { max_cost_per_hour: 3 } }\n  b: {}\nprices:\n  m: { input: 1, output: 2 }\n', { file: 'gateway.yaml', env: {}, baseDir: '.' });
    const config = result.config!;
    const outcome = fc.constantFrom<Outcome>('success', 'upstream-error', 'never-called', 'throw-before-settle', 'throw-while-recording', 'bad-cost', 'abort');
    fc.assert(
      fc.property(fc.array(fc.record({ agent: fc.constantFrom('a', 'b'), hold: fc.option(money, { nil: null }), cost: money, outcome, extend: money }), { maxLength: 40 }), (requests) => {
        const clock = new FakeClock();
        const controls = new GatewayControls({ clock, config, onControlEvent: () => {}, onBreakerTransition: () => {}, onRateLimited: () => {} });
        const held = (): number => controls.ledger.spend('a').reservedUsd + controls.ledger.spend('b').reservedUsd;
        for (const r of requests) {
          // The pipeline's shape: admission inside try, settlement after, a finally that abandons.
          let admission: Admission | undefined;
          try {
            const admitted = controls.admit({ agent: r.agent, provider: 'p', model: 'm', maxCostUsd: r.hold, tokens: 10 });
            if (admitted instanceof Promise) throw new Error('controls without shared state admit synchronously');
            admission = admitted;
            admission.extend(r.extend);
            if (r.outcome === 'throw-before-settle') throw new Error('a bug between admission and settlement');
            settleRequest(
              {
                record: () => {
                  if (r.outcome === 'throw-while-recording') throw new Error('the store failed');
                },
              },
              {
                admission,
                upstreamCalled: r.outcome !== 'never-called',
                ok: r.outcome === 'success' || r.outcome === 'abort',
                metered: r.outcome === 'bad-cost' ? { usage: { inputUncached: Infinity, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: -1, reasoning: 0 }, estimated: true } : { usage: { inputUncached: 100, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: Math.round(r.cost * 1000), reasoning: 0 }, estimated: false },
                price: M_PRICE,
                row: { id: 'r', ts: 0, agent: r.agent, provider: 'p', model: 'm', upstreamModel: 'm', clientFormat: 'openai-chat', upstreamFormat: 'openai-chat', stream: false, status: 200, errorCode: null, latencyMs: 1, ttfbMs: 1, dropped: null },
              },
            );
          } catch {
            /* the request failed; its hold must not outlive it */
          } finally {
            admission?.abandon();
          }
          expect(held()).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
