/**
 * A provider's pool of API keys (`api_keys`), handed out round-robin. A key the upstream
 * rate-limited (429) rests until its Retry-After has passed while the others serve; a key it refused (401/403) is
 * taken out for good (until the config names it again). A small state machine over the injected clock: the
 * forward step takes a key per attempt and reports how the attempt ended.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';

/** How long a key rests after a 429 that said nothing about when to come back. */
export const DEFAULT_KEY_REST_MS = 1_000;

/** One key of a pool: the secret, sent upstream only, and the fingerprint that names it everywhere else. */
export interface PoolKey {
  readonly secret: string;
  /** The first 12 hex digits of the key's SHA-256: tells keys apart in logs and metrics, reveals none of it. */
  readonly fingerprint: string;
}

/** What an attempt with a key came to, as the per-key metrics count it. */
export type KeyOutcome = 'ok' | 'rate_limited' | 'refused' | 'error';

export interface KeyEvent {
  provider: string;
  fingerprint: string;
  outcome: KeyOutcome;
  /** The upstream status; undefined when the connection failed. */
  status: number | undefined;
  /** Set when a 429 put the key to rest, for this long. */
  restMs?: number;
  /** The key was taken out by this attempt (the first 401/403 it got). */
  removed?: boolean;
}

export type KeyListener = (event: KeyEvent) => void;

export function keyFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

interface Slot {
  key: PoolKey;
  /** Monotonic ms until which the key rests; 0 when it is ready. */
  restingUntil: number;
  removed: boolean;
}

export class KeyPool {
  private readonly slots: Slot[];
  private cursor = 0;

  constructor(
    readonly provider: string,
    secrets: readonly string[],
    private readonly clock: Clock,
    private readonly listener: KeyListener = () => undefined,
  ) {
    this.slots = [...new Set(secrets)].map((secret) => ({ key: { secret, fingerprint: keyFingerprint(secret) }, restingUntil: 0, removed: false }));
  }

  /** Keys configured, taken-out ones included. */
  get size(): number {
    return this.slots.length;
  }

  /** The next key that neither rests nor was taken out, round-robin; undefined when none is ready. */
  take(): PoolKey | undefined {
    const now = this.clock.monotonic();
    for (let i = 0; i < this.slots.length; i++) {
      const index = (this.cursor + i) % this.slots.length;
      const slot = this.slots[index]!;
      if (slot.removed || slot.restingUntil > now) continue;
      this.cursor = (index + 1) % this.slots.length;
      return slot.key;
    }
    return undefined;
  }

  /** Whether some key could serve right now. */
  ready(): boolean {
    const now = this.clock.monotonic();
    return this.slots.some((s) => !s.removed && s.restingUntil <= now);
  }

  /** Milliseconds until the first resting key wakes: 0 when one is ready, undefined when every key was taken out. */
  wakeInMs(): number | undefined {
    const now = this.clock.monotonic();
    let first: number | undefined;
    for (const s of this.slots) if (!s.removed) first = Math.min(first ?? Infinity, Math.max(0, s.restingUntil - now));
    return first;
  }

  /**
   * How an attempt with `key` ended: `status` is the upstream's (undefined when the connection failed) and
   * `retryAfterMs` its Retry-After. A 429 rests the key, a 401 or 403 takes it out.
   */
  report(key: PoolKey, status: number | undefined, retryAfterMs: number | undefined): void {
    const slot = this.slots.find((s) => s.key === key);
    if (slot === undefined) return;
    const event: KeyEvent = { provider: this.provider, fingerprint: key.fingerprint, outcome: outcomeOf(status), status };
    if (status === 429) {
      const restMs = retryAfterMs ?? DEFAULT_KEY_REST_MS;
      slot.restingUntil = Math.max(slot.restingUntil, this.clock.monotonic() + restMs);
      event.restMs = restMs;
    } else if ((status === 401 || status === 403) && !slot.removed) {
      slot.removed = true;
      event.removed = true;
    }
    this.listener(event);
  }

  /** Each key's state, for the dashboard and tests: `ready`, `resting` or `removed`. */
  states(): { fingerprint: string; state: 'ready' | 'resting' | 'removed' }[] {
    const now = this.clock.monotonic();
    return this.slots.map((s) => ({ fingerprint: s.key.fingerprint, state: s.removed ? 'removed' : s.restingUntil > now ? 'resting' : 'ready' }));
  }
}

function outcomeOf(status: number | undefined): KeyOutcome {
  if (status === undefined) return 'error';
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'refused';
  return status < 400 ? 'ok' : 'error';
}

/**
 * The pools of every provider with `api_keys`, by provider name (a single `api_key` is sent as it is, with no pool). A config reload keeps the pool (and the
 * rest and removals in it) of a provider whose keys did not change.
 */
export class KeyPools {
  private pools = new Map<string, { pool: KeyPool; keys: string }>();

  constructor(
    private readonly clock: Clock,
    private readonly listener: KeyListener = () => undefined,
  ) {}

  apply(providers: Iterable<{ name: string; apiKeys: readonly string[] }>): void {
    const next = new Map<string, { pool: KeyPool; keys: string }>();
    for (const p of providers) {
      if (p.apiKeys.length === 0) continue;
      const keys = p.apiKeys.join('\n');
      const existing = this.pools.get(p.name);
      next.set(p.name, existing?.keys === keys ? existing : { pool: new KeyPool(p.name, p.apiKeys, this.clock, this.listener), keys });
    }
    this.pools = next;
  }

  /** Every pooled key's state, by provider and fingerprint (for the metrics gauge). */
  states(): { provider: string; key: string; state: 'ready' | 'resting' | 'removed' }[] {
    return [...this.pools.values()].flatMap(({ pool }) => pool.states().map((s) => ({ provider: pool.provider, key: s.fingerprint, state: s.state })));
  }

  /** The provider's pool; undefined when it has none (its single key, or the client's, is sent). */
  pool(provider: string): KeyPool | undefined {
    return this.pools.get(provider)?.pool;
  }
}
