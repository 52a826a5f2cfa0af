/**
 * An alert as a webhook call: one JSON POST whose `text` Slack's and Discord's (`/slack`) incoming webhooks show
 * as the message (`content` for Discord's own format), with the alert's fields beside it for anything that
 * reads JSON. One attempt with a deadline; the caller logs a failure.
 */
import { request } from 'undici';

export interface WebhookPayload {
  text: string;
  content: string;
  alert: Record<string, string | number | null>;
}

/** Resolves on a 2xx answer; rejects with the reason otherwise (status, timeout, refused connection). */
export async function postWebhook(url: string, payload: WebhookPayload, timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'ai-gateway' },
      body: JSON.stringify(payload),
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    // Read the answer to the end so the connection can be reused; it is not used.
    await response.body.dump();
    if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`the webhook answered ${response.statusCode}`);
  } catch (err) {
    if (signal.aborted) throw new Error(`the webhook did not answer within ${timeoutMs} ms`);
    throw err;
  }
}

/** Where a webhook goes, without its path (webhook paths hold their tokens): for log lines. */
export function webhookOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the webhook';
  }
}
