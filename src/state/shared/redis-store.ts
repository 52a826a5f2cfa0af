/**
 * The gateway's shared state in Redis: budget windows, holds and token buckets through the Lua scripts of
 * scripts.ts, run-time overrides and breaker states in hashes, and changes announced on one pub/sub channel.
 * It tells whether Redis answers (`up`) and fails fast when it does not: no command waits in an offline queue,
 * so an outage reaches the caller at once and the caller falls back (shared-controls.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { messageOf } from '../../core/errors.js';
import { ADMIT, DAY_TTL_MS, EXTEND, LEASE, SEED, SETTLE, SET_HELD, SPEND } from './scripts.js';

/** Nano-dollar limits per window, null when the window has none. */
export interface NanoLimits {
  total: number | null;
  daily: number | null;
  hourly: number | null;
}

/** A bucket as Redis keeps it: its capacity and refill per second. */
export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

/** Spend of one agent in nano-dollars. */
export interface NanoSpend {
  hour: number;
  day: number;
  total: number;
  held: number;
  /** The rolling hour by minute: each minute's spend, stamped at the minute's last millisecond. */
  minutes?: { at: number; nanos: number }[];
}

export type SharedAdmit =
  /** `held`: every instance's holds of the agent now, this one's included. */
  | { ok: true; held: number }
  | { ok: false; kind: 'rate'; limit: 'requests' | 'tokens'; retryAfterMs: number }
  | {
      ok: false;
      kind: 'budget';
      window: 'total' | 'daily' | 'hourly';
      cause: 'spent' | 'reserved';
      spent: number;
      held: number;
      limit: number;
      freesAt: number | null;
    };

export interface AdmitArgs {
  now: number;
  /** `YYYY-MM-DD` of the local day `now` falls in, and the epoch ms at which it ends. */
  day: string;
  dayEnd: number;
  hold: number;
  limits: NanoLimits;
  requests: BucketSpec | null;
  tokens: BucketSpec | null;
  tokenCount: number;
}

/** Who sent a settlement and its number: sent again under the same id, it is not applied twice. */
export interface SettleId {
  writer: string;
  number: number;
}

export interface SettleArgs {
  id: SettleId;
  now: number;
  day: string;
  hold: number;
  cost: number;
  tokens: BucketSpec | null;
  /** Real tokens minus the tokens taken at admission. */
  tokenDiff: number;
}

/** A change announced to every instance. `from` is the announcing instance, which ignores its own messages. */
export type SharedEvent =
  | { type: 'override'; agent: string; from: string }
  | { type: 'breaker'; key: string; state: 'open' | 'closed'; openForMs: number; from: string };

/** An agent's run-time changes as stored: its pause and its budget patch, each JSON, each absent until set. */
export interface StoredOverride {
  pause: string | null;
  budget: string | null;
}

export interface StoredBreaker {
  state: 'open';
  /** Epoch ms at which the opening lapses into half-open. */
  until: number;
}

export interface RedisStoreOptions {
  url: string;
  prefix: string;
  /** Called when Redis starts or stops answering. */
  onStatus: (up: boolean, why: string) => void;
  onEvent: (event: SharedEvent) => void;
  /** The subscription was (re)made: announcements sent while it was cut are lost, so stored state is read again. */
  onSubscribed?: (() => void) | undefined;
  /** How long an instance's holds outlive its last heartbeat. */
  leaseMs?: number | undefined;
}

const WINDOWS = ['total', 'daily', 'hourly'] as const;
/** A Redis that stops answering fails the command after this long instead of holding the request. */
const COMMAND_TIMEOUT_MS = 1000;
/** A command timer this late says this process, not Redis, was stalled. */
const STALL_MS = 100;

/** Each script's digest, computed here so that EVALSHA goes out at once (no SCRIPT LOAD round trip first). */
const DIGESTS = new Map<string, string>();
function digestOf(script: string): string {
  let sha = DIGESTS.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    DIGESTS.set(script, sha);
  }
  return sha;
}

export class RedisStore {
  /** This process among the instances sharing the store. */
  readonly instance = randomUUID();
  private readonly redis: Redis;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly keys = new Map<string, string[]>();
  private keysDay = '';
  private up = false;
  private closed = false;
  /** The connection's last error (ECONNREFUSED…): a failed connect only says the connection closed. */
  private lastError: string | undefined;
  /** Counts connections: each one is a new writer of settlements, numbering from 1. */
  private generation = 0;
  private number = 0;
  private batches = 0;

  constructor(private readonly options: RedisStoreOptions) {
    this.prefix = options.prefix;
    this.leaseMs = options.leaseMs ?? 15_000;
    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      // Reconnect for ever, at most every 2 s, so the instance comes back on its own when Redis does.
      retryStrategy: (times: number) => Math.min(200 * times, 2000),
    };
    this.redis = new Redis(options.url, common);
    // The subscriber waits for its commands (SUBSCRIBE is replayed on reconnect) and never times out idling.
    this.sub = new Redis(options.url, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.redis.on('ready', () => {
      this.generation++;
      this.number = 0;
      this.setUp(true, 'connected');
    });
    this.redis.on('close', () => this.setUp(false, 'connection closed'));
    this.redis.on('error', (err) => {
      this.lastError = messageOf(err);
      this.setUp(false, this.lastError);
    });
    this.sub.on('error', () => undefined); // the command connection reports the outage
    this.sub.on('message', (_channel, message) => this.receive(message));
    // ioredis subscribes again by itself after a reconnect; ready fires once it has.
    this.sub.on('ready', () => options.onSubscribed?.());
  }

  get isUp(): boolean {
    return this.up;
  }

  /**
   * Connects both connections; resolves undefined when Redis answers, else why not (it keeps trying in the
   * background).
   */
  async connect(): Promise<string | undefined> {
    const failure = await this.redis.connect().then(
      () => undefined,
      (err: unknown) => this.lastError ?? messageOf(err),
    );
    void this.sub.connect().catch(() => undefined);
    void this.sub.subscribe(this.channel).catch(() => undefined);
    return failure;
  }

  async close(): Promise<void> {
    this.closed = true;
    // A Redis that does not answer never answers QUIT either: the connections are dropped after a second.
    const quit = Promise.allSettled([this.redis.quit(), this.sub.quit()]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([quit, new Promise<void>((r) => (timer = setTimeout(r, COMMAND_TIMEOUT_MS)))]);
    clearTimeout(timer);
    this.redis.disconnect();
    this.sub.disconnect();
  }

  /** Renews this instance's lease: its holds count while the lease runs (on Redis's clock). */
  async heartbeat(now: number): Promise<void> {
    await this.run(LEASE, '', '', [now, this.instance, this.leaseMs]);
  }

  /** The id of the next settlement, taken just before it is sent (settlements go out in the order of their ids). */
  nextSettleId(): SettleId {
    return { writer: `${this.instance}.${this.generation}`, number: ++this.number };
  }

  /**
   * Ids for settlements sent one after another by one flush, under a writer of their own: taken before they are
   * kept on disk, they cannot share a writer with settlements sent meanwhile, which would pass their numbers.
   */
  batchIds(count: number): SettleId[] {
    const writer = `${this.instance}.batch-${++this.batches}`;
    return Array.from({ length: count }, (_, i) => ({ writer, number: i + 1 }));
  }

  /**
   * Forgets this instance's earlier writers except those in `keep`: settlements of theirs still wait to be sent
   * again, here or from the journal on disk after a crash.
   */
  async forgetOldWriters(keep: ReadonlySet<string>): Promise<void> {
    const current = `${this.instance}.${this.generation}`;
    await this.guard(async () => {
      const fields = await this.redis.hkeys(this.key('applied'));
      const old = fields.filter((f) => f.startsWith(`${this.instance}.`) && f !== current && !keep.has(f));
      if (old.length > 0) await this.redis.hdel(this.key('applied'), ...old);
    });
  }

  async admit(agent: string, a: AdmitArgs): Promise<SharedAdmit> {
    const reply = (await this.run(ADMIT, agent, a.day, [
      a.now,
      this.instance,
      a.hold,
      lim(a.limits.total),
      lim(a.limits.daily),
      lim(a.limits.hourly),
      a.requests?.capacity ?? 0,
      a.requests?.refillPerSecond ?? 0,
      a.tokens?.capacity ?? 0,
      a.tokens?.refillPerSecond ?? 0,
      a.tokenCount,
      DAY_TTL_MS,
      a.dayEnd,
    ])) as (number | string)[];
    if (reply[0] === 1) return { ok: true, held: Number(reply[4]) };
    if (reply[1] === 'rate') return { ok: false, kind: 'rate', limit: reply[2] === 'tokens' ? 'tokens' : 'requests', retryAfterMs: Number(reply[3]) };
    const freesAt = Number(reply[7]);
    return {
      ok: false,
      kind: 'budget',
      window: WINDOWS[Number(reply[2]) - 1] ?? 'total',
      cause: reply[3] === 'reserved' ? 'reserved' : 'spent',
      spent: Number(reply[4]),
      held: Number(reply[5]),
      limit: Number(reply[6]),
      freesAt: freesAt < 0 ? null : freesAt,
    };
  }

  async extend(agent: string, now: number, day: string, add: number, limits: NanoLimits): Promise<boolean> {
    const reply = await this.run(EXTEND, agent, day, [now, this.instance, add, lim(limits.total), lim(limits.daily), lim(limits.hourly)]);
    return reply === 1;
  }

  async settle(agent: string, s: SettleArgs): Promise<NanoSpend> {
    const reply = (await this.run(SETTLE, agent, s.day, [
      s.now,
      this.instance,
      s.hold,
      s.cost,
      DAY_TTL_MS,
      s.tokens?.capacity ?? 0,
      s.tokens?.refillPerSecond ?? 0,
      s.tokenDiff,
      s.id.writer,
      s.id.number,
    ], true)) as number[];
    return spendOf(reply);
  }

  /** Spend of every agent the store has seen. */
  async spendAll(now: number, day: string): Promise<Map<string, NanoSpend>> {
    const agents = await this.guard(() => this.redis.smembers(this.key('agents')));
    const out = new Map<string, NanoSpend>();
    const replies = await Promise.all(agents.map((agent) => this.run(SPEND, agent, day, [now])));
    agents.forEach((agent, i) => out.set(agent, spendOf(replies[i] as number[])));
    return out;
  }

  /** Sets this instance's holds for an agent to what it knows it holds. */
  async setHeld(agent: string, now: number, day: string, nanos: number): Promise<void> {
    await this.run(SET_HELD, agent, day, [now, this.instance, nanos]);
  }

  /** Puts back an agent's spend that Redis lost; true when it did (the key was gone). */
  async seed(agent: string, now: number, day: string, spend: { hour: number; day: number | null; total: number }): Promise<boolean> {
    return (await this.run(SEED, agent, day, [now, spend.hour, spend.day ?? -1, spend.total])) === 1;
  }

  /** True for the first caller to claim `id` until `ttlMs` passes (one alert sent per fleet). */
  async claim(id: string, ttlMs: number): Promise<boolean> {
    return (await this.guard(() => this.redis.set(this.key(`claim:${id}`), this.instance, 'PX', ttlMs, 'NX'))) === 'OK';
  }

  /** Every agent's stored pause and budget. */
  async overrides(): Promise<Map<string, StoredOverride>> {
    const [pauses, budgets] = await this.guard(() => Promise.all([this.redis.hgetall(this.key('pauses')), this.redis.hgetall(this.key('budgets'))]));
    const out = new Map<string, StoredOverride>();
    for (const agent of new Set([...Object.keys(pauses), ...Object.keys(budgets)])) out.set(agent, { pause: pauses[agent] ?? null, budget: budgets[agent] ?? null });
    return out;
  }

  async override(agent: string): Promise<StoredOverride> {
    const [pause, budget] = await this.guard(() => Promise.all([this.redis.hget(this.key('pauses'), agent), this.redis.hget(this.key('budgets'), agent)]));
    return { pause, budget };
  }

  /**
   * Stores what changed of an agent's overrides (its pause, its budget, or both: the other stays as another
   * instance may have set it) and tells the other instances.
   */
  async saveOverride(agent: string, change: { pause?: string; budget?: string }): Promise<void> {
    await this.guard(async () => {
      if (change.pause !== undefined) await this.redis.hset(this.key('pauses'), agent, change.pause);
      if (change.budget !== undefined) await this.redis.hset(this.key('budgets'), agent, change.budget);
      await this.publish({ type: 'override', agent, from: this.instance });
    });
  }

  async breakers(now: number): Promise<Map<string, StoredBreaker>> {
    const out = new Map<string, StoredBreaker>();
    const lapsed: string[] = [];
    for (const [key, value] of Object.entries(await this.guard(() => this.redis.hgetall(this.key('breakers'))))) {
      const until = Number(value);
      if (until > now) out.set(key, { state: 'open', until });
      else lapsed.push(key);
    }
    if (lapsed.length > 0) await this.guard(() => this.redis.hdel(this.key('breakers'), ...lapsed));
    return out;
  }

  /** Records a breaker that opened (until when) or closed, and tells the other instances. */
  async saveBreaker(key: string, state: 'open' | 'closed', openForMs: number, now: number): Promise<void> {
    await this.guard(async () => {
      if (state === 'open') await this.redis.hset(this.key('breakers'), key, String(now + openForMs));
      else await this.redis.hdel(this.key('breakers'), key);
      await this.publish({ type: 'breaker', key, state, openForMs, from: this.instance });
    });
  }

  private get channel(): string {
    return this.key('events');
  }

  private async publish(event: SharedEvent): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(event));
  }

  private receive(message: string): void {
    let event: SharedEvent;
    try {
      event = JSON.parse(message) as SharedEvent;
    } catch {
      return;
    }
    if (event.from === this.instance) return;
    this.options.onEvent(event);
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  /** An agent's keys for one day, made once (a fleet has a bounded number of agents; a new day starts afresh). */
  private agentKeys(agent: string, day: string): string[] {
    if (day !== this.keysDay) {
      this.keys.clear();
      this.keysDay = day;
    }
    let keys = this.keys.get(agent);
    if (keys === undefined) {
      const a = `${this.prefix}:agent:${agent}`;
      keys = [
        `${a}:total`,
        `${a}:day:${day}`,
        `${a}:hour`,
        `${a}:hour-amounts`,
        `${a}:hour-sum`,
        `${a}:held`,
        this.key('instances'),
        `${a}:rate:requests`,
        `${a}:rate:tokens`,
        this.key('applied'),
        this.key('agents'),
        `${a}:hour-minutes`,
      ];
      this.keys.set(agent, keys);
    }
    return keys;
  }

  /**
   * Runs a script by its digest, written to the connection before this returns. A Redis that does not know the
   * script (new, or restarted) ran nothing; it gets the script itself, which it then keeps.
   *
   * `inOrder` (settlements) sends the script itself every time: SETTLE skips a number at or below the last it
   * applied, so settlements must reach Redis in the order their numbers were taken, and one refused with NOSCRIPT
   * and sent again would arrive after later ones and be skipped.
   */
  private async run(script: string, agent: string, day: string, args: (string | number)[], inOrder = false): Promise<unknown> {
    const keys = this.agentKeys(agent, day);
    const argv = [...args, agent];
    return this.guard(async () => {
      if (inOrder) return this.redis.eval(script, keys.length, ...keys, ...argv);
      try {
        return await this.redis.evalsha(digestOf(script), keys.length, ...keys, ...argv);
      } catch (err) {
        if (!messageOf(err).startsWith('NOSCRIPT')) throw err;
        return this.redis.eval(script, keys.length, ...keys, ...argv);
      }
    });
  }

  /**
   * Runs commands and keeps `up` honest: an answer while connected means Redis is up (a hung Redis that answers
   * again is noticed here, since its connection never closed); any failure means it is down, a refusal too (out
   * of memory, read-only replica): shared decisions need Redis to take writes.
   */
  private async guard<T>(f: () => Promise<T>): Promise<T> {
    try {
      const out = await answered(f());
      if (this.redis.status === 'ready') this.setUp(true, 'answering again');
      return out;
    } catch (err) {
      this.setUp(false, messageOf(err));
      throw err;
    }
  }

  private setUp(up: boolean, why: string): void {
    if (this.closed || up === this.up) return;
    this.up = up;
    this.options.onStatus(up, why);
  }
}

/**
 * Fails with 'Command timed out' when Redis has not answered within COMMAND_TIMEOUT_MS of this process's own
 * running time. A timer that fires late means this process stalled (starved of CPU, a long pause) while Redis
 * may have answered, maybe with a second round trip still to make (a script Redis did not know): Redis gets its
 * time again, at most twice. A stalled instance is not a Redis outage, and calling it one would put it on its
 * own limits for nothing.
 */
function answered<T>(p: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let due = performance.now() + COMMAND_TIMEOUT_MS;
    let chances = 2;
    const expire = (): void => {
      const now = performance.now();
      if (now - due > STALL_MS && chances-- > 0) {
        due = now + COMMAND_TIMEOUT_MS;
        timer = setTimeout(expire, COMMAND_TIMEOUT_MS);
        return;
      }
      done = true;
      reject(new Error('Command timed out'));
    };
    let timer = setTimeout(expire, COMMAND_TIMEOUT_MS);
    p.then(
      (value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(messageOf(err)));
      },
    );
  });
}

function lim(nanos: number | null): number {
  return nanos === null ? -1 : nanos;
}

function spendOf(v: readonly (number | string)[]): NanoSpend {
  const minutes: { at: number; nanos: number }[] = [];
  for (let i = 4; i + 1 < v.length; i += 2) minutes.push({ at: (Number(v[i]) + 1) * 60_000 - 1, nanos: Number(v[i + 1]) });
  minutes.sort((a, b) => a.at - b.at);
  return { hour: Number(v[0]), day: Number(v[1]), total: Number(v[2]), held: Number(v[3]), minutes };
}
