/**
 * Sends the request to the first target whose breaker lets it through, falling back to the next target
 * on a breaker that is open or an upstream that fails before any byte reached the client.
 */
import { GatewayError } from '../../core/errors.js';
import { isBreakerFailure } from '../../control/index.js';
import type { UpstreamResponse } from '../../providers/provider.js';
import type { BreakerGate, Controls, RouteTarget } from '../ports.js';

export interface Attempt {
  target: RouteTarget;
  breaker: BreakerGate;
  response: UpstreamResponse;
  /** Milliseconds until the upstream's response headers arrived. */
  ttfbMs: number;
}

export interface ForwardOptions {
  agent: string;
  targets: RouteTarget[];
  controls: Controls;
  /** Builds and sends the request for one target (translation differs per target format). */
  send: (target: RouteTarget) => Promise<UpstreamResponse>;
  /** Reads an error response of the target's format into a GatewayError. */
  readError: (target: RouteTarget, response: UpstreamResponse) => Promise<GatewayError>;
  monotonic: () => number;
}

export async function forward(options: ForwardOptions): Promise<Attempt> {
  let lastError: unknown;
  for (let i = 0; i < options.targets.length; i++) {
    const target = options.targets[i]!;
    const hasNext = i + 1 < options.targets.length;
    const breaker = options.controls.breaker(options.agent, target.provider.spec.name);
    try {
      breaker.check();
    } catch (err) {
      lastError = err;
      if (hasNext) continue;
      throw err;
    }
    const started = options.monotonic();
    let response: UpstreamResponse;
    try {
      response = await options.send(target);
    } catch (err) {
      if (err instanceof GatewayError && (err.kind === 'upstream_timeout' || err.kind === 'upstream_unreachable')) {
        breaker.failure();
        lastError = err;
        if (hasNext) continue;
      } else {
        breaker.abandon();
      }
      throw err;
    }
    const ttfbMs = options.monotonic() - started;
    if (response.status >= 400) {
      const error = await options.readError(target, response);
      // The breakers' own rule decides what is the provider's fault (5xx), and so worth a fallback.
      if (isBreakerFailure(response.status)) {
        breaker.failure();
        if (hasNext) {
          lastError = error;
          continue;
        }
      } else {
        // A 4xx is the request's fault: the provider answered, so it counts as healthy.
        breaker.success();
      }
      throw error;
    }
    return { target, breaker, response, ttfbMs };
  }
  throw lastError ?? new GatewayError('internal', 'no route target');
}
