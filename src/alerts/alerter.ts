/**
 * Alerts that reach a person. Told of each settled request (spend may have crossed a threshold), each budget
 * change and each `alert` policy firing, it asks the AlertGate what is due and delivers it: a control event
 * (kind `alert`, in the audit, shown by the dashboard with the bell), a webhook POST and a desktop notification,
 * as the config says. Deliveries run after the request that caused them has gone on its way, a few at a time,
 * each with a deadline; a failure is logged, not retried.
 */
import type { Clock } from '../core/clock.js';
import type { AlertSettings } from '../config/types.js';
import type { Logger } from '../observe/logger.js';
import type { ControlRecord } from '../store/index.js';
import { ALERT_HOUR_MS, type Alert, AlertGate, alertText, type AlertWindow, type SentAlert, type WindowSpend } from './alert-gate.js';
import { type DesktopNotifier, notifySend } from './desktop.js';
import { postWebhook, webhookOrigin, type WebhookPayload } from './webhook.js';
import { messageOf } from '../core/errors.js';

/** Webhook calls at once; more wait their turn, and past the queue's limit are dropped with a warning. */
const MAX_IN_FLIGHT = 4;
const MAX_QUEUED = 100;
/** At shutdown, calls under way get this long to finish. */
const CLOSE_GRACE_MS = 2000;

export type AlertChannel = 'webhook' | 'desktop' | 'bell';

export interface AlerterDeps {
  clock: Clock;
  logger: Logger;
  settings: () => AlertSettings;
  /** Records the delivery as a control event (the gateway's bus: audit, dashboard, log). */
  emit: (event: ControlRecord) => void;
  /** The agent's spend and limits per window, and the key of the current budget day. */
  budgetOf: (agent: string) => { windows: Record<AlertWindow, WindowSpend>; dayKey: string };
  /** The gateway's address, named in webhook payloads. */
  address: () => string;
  post?: (url: string, payload: WebhookPayload, timeoutMs: number) => Promise<void>;
  desktop?: DesktopNotifier;
  /**
   * Instances sharing state: true when this instance is the first to send the alert with this id, so a team's
   * channel gets one message, not one per instance. Absent: this instance alone decides.
   */
  claim?: ((id: string, ttlMs: number) => Promise<boolean>) | undefined;
}

export class Alerter {
  private readonly gate = new AlertGate();
  private readonly post: NonNullable<AlerterDeps['post']>;
  private readonly desktop: DesktopNotifier;
  private readonly queue: (() => Promise<void>)[] = [];
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly d: AlerterDeps) {
    this.post = d.post ?? postWebhook;
    this.desktop =
      d.desktop ??
      notifySend(
        () => d.logger.warn('alerts.desktop is on but notify-send is not installed; desktop notifications are off'),
        (message) => d.logger.warn('desktop notification failed', { error: message }),
      );
  }

  /** Alerts that went out before a restart, read from the audit's `alert` events. */
  restore(events: readonly ControlRecord[]): void {
    const sent: SentAlert[] = [];
    for (const e of events) {
      const value = e.newValue as { key?: unknown; threshold?: unknown } | null | undefined;
      if (e.kind !== 'alert' || typeof value?.key !== 'string') continue;
      sent.push({ key: value.key, threshold: typeof value.threshold === 'number' ? value.threshold : undefined, at: e.ts });
    }
    this.gate.restore(sent);
  }

  /** After an agent's spend or limits changed: alerts for thresholds it has just crossed. */
  checkBudget(agent: string): void {
    const thresholds = this.d.settings().budgetThresholds;
    if (thresholds.length === 0 || this.closed) return;
    const { windows, dayKey } = this.d.budgetOf(agent);
    for (const alert of this.gate.budget(agent, windows, thresholds, this.d.clock.now(), dayKey)) this.deliver(alert);
  }

  /** An `alert` policy fired for an agent. */
  policyFired(agent: string, policy: string, condition: string): void {
    if (this.closed) return;
    const alert = this.gate.policy(agent, policy, condition, this.d.clock.now());
    if (alert) this.deliver(alert);
  }

  /** Stops taking alerts; webhook calls under way get a moment to finish. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.running]), grace]);
    clearTimeout(timer);
  }

  private deliver(alert: Alert): void {
    const settings = this.d.settings();
    const text = alertText(alert);
    const channels: AlertChannel[] = [];
    if (settings.webhook !== undefined) channels.push('webhook');
    if (settings.desktop) channels.push('desktop');
    if (settings.bell) channels.push('bell');
    this.d.emit({
      ts: alert.at,
      agent: alert.agent,
      kind: 'alert',
      actor: alert.kind === 'policy' ? `policy:${alert.policy}` : 'budget',
      newValue: { ...fieldsOf(alert), key: alert.key, channels },
      reason: text,
    });
    const webhook = settings.webhook;
    if (webhook !== undefined) {
      const payload: WebhookPayload = { text: `ai-gateway: ${text}`, content: `ai-gateway: ${text}`, alert: { ...fieldsOf(alert), gateway: this.d.address() } };
      const claim = this.d.claim;
      // The rule's window: an hourly rule (and a policy) may alert again an hour later, the others not for a day.
      const ttlMs = alert.kind === 'policy' || alert.window === 'hourly' ? ALERT_HOUR_MS : 26 * ALERT_HOUR_MS;
      const id = alert.kind === 'budget' ? `${alert.key}|${alert.threshold}` : alert.key;
      this.enqueue(async () => {
        // Another instance already sent it: nothing to do. A claim that fails (Redis away) sends: better twice than never.
        if (claim !== undefined && !(await claim(id, ttlMs).catch(() => true))) return;
        await this.post(webhook, payload, settings.webhookTimeoutMs).catch((err: unknown) => {
          this.d.logger.warn('alert webhook failed', { agent: alert.agent, to: webhookOrigin(webhook), error: messageOf(err) });
        });
      });
    }
    if (settings.desktop) {
      const urgent = alert.kind === 'budget' && alert.threshold >= 1;
      // Spawning is quick but not free: not inside the request that crossed the threshold.
      setImmediate(() => this.desktop.notify('ai-gateway', text, urgent));
    }
  }

  private enqueue(call: () => Promise<void>): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.d.logger.warn('alert webhook queue full; an alert was not sent (it is in the audit)');
      return;
    }
    this.queue.push(call);
    // Not on the caller's turn: the request that crossed a threshold finishes first.
    setImmediate(() => this.pump());
  }

  private pump(): void {
    while (this.running.size < MAX_IN_FLIGHT && this.queue.length > 0) {
      const call = this.queue.shift();
      if (!call) break;
      const run: Promise<void> = call().finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }
}

/** The alert's facts, snake_case, for the audit event and the webhook's structured part. */
function fieldsOf(alert: Alert): Record<string, string | number | null> {
  const common = { kind: alert.kind, agent: alert.agent, at: new Date(alert.at).toISOString() };
  if (alert.kind === 'policy') return { ...common, rule: `policy:${alert.policy}`, policy: alert.policy, condition: alert.condition, window: null };
  return {
    ...common,
    rule: `budget:${alert.window}:${Math.round(alert.threshold * 100)}%`,
    window: alert.window,
    threshold: alert.threshold,
    spent_usd: alert.spentUsd,
    limit_usd: alert.limitUsd,
  };
}
