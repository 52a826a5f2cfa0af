/**
 * The gateway's memory of the responses it translated for /v1/responses clients (the pipeline's ResponseStore).
 * Bounded by bytes and by age, oldest out first; one agent never sees another's entries; nothing is written to
 * disk, so a restart forgets everything. Sizes are the entries' JSON length, measured once when saved.
 */
import type { Clock } from '../core/clock.js';
import type { ResponseStore, StoredItem, StoredResponse } from '../pipeline/ports.js';

export interface ResponseStoreLimits {
  /** Memory all entries may use together; 0 keeps nothing. */
  maxBytes: number;
  ttlMs: number;
}

interface Entry {
  response: StoredResponse;
  bytes: number;
  expiresAt: number;
}

export class MemoryResponseStore implements ResponseStore {
  /** By agent and response id, in the order saved: the first entry is always the oldest. */
  private readonly responses = new Map<string, Entry>();
  /** Item key → the key of the response holding it. */
  private readonly items = new Map<string, string>();
  private bytes = 0;

  constructor(
    private readonly clock: Clock,
    /** Read on every use, so a config reload applies at once. */
    private readonly limits: () => ResponseStoreLimits,
  ) {}

  get ttlMs(): number {
    return this.limits().ttlMs;
  }

  /** Memory in use, in bytes of JSON. */
  get size(): number {
    return this.bytes;
  }

  save(agent: string, response: StoredResponse): void {
    const { maxBytes, ttlMs } = this.limits();
    const now = this.clock.now();
    this.expire(now);
    const bytes = Buffer.byteLength(JSON.stringify(response));
    if (bytes > maxBytes) return;
    const key = keyOf(agent, response.id);
    this.remove(key);
    while (this.bytes + bytes > maxBytes) {
      const oldest = this.responses.keys().next();
      if (oldest.done === true) break;
      this.remove(oldest.value);
    }
    this.responses.set(key, { response, bytes, expiresAt: now + ttlMs });
    this.bytes += bytes;
    for (const item of response.output) this.items.set(keyOf(agent, item.id), key);
  }

  response(agent: string, id: string): StoredResponse | undefined {
    return this.live(keyOf(agent, id))?.response;
  }

  item(agent: string, id: string): StoredItem | undefined {
    const owner = this.items.get(keyOf(agent, id));
    return owner === undefined ? undefined : this.live(owner)?.response.output.find((item) => item.id === id);
  }

  private live(key: string): Entry | undefined {
    const entry = this.responses.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.clock.now()) return entry;
    this.remove(key);
    return undefined;
  }

  /** Entries are saved in time order, so the expired ones are at the front. */
  private expire(now: number): void {
    for (const [key, entry] of this.responses) {
      if (entry.expiresAt > now) break;
      this.remove(key);
    }
  }

  private remove(key: string): void {
    const entry = this.responses.get(key);
    if (entry === undefined) return;
    this.responses.delete(key);
    this.bytes -= entry.bytes;
    const agent = key.slice(0, key.indexOf('\u0000'));
    for (const item of entry.response.output) {
      const itemKey = keyOf(agent, item.id);
      if (this.items.get(itemKey) === key) this.items.delete(itemKey);
    }
  }
}

/** Agent ids never contain NUL (they appear in URLs), so the pair cannot be confused. */
function keyOf(agent: string, id: string): string {
  return `${agent}\u0000${id}`;
}
