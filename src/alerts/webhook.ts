/**
 * An alert as a webhook call: one JSON POST whose `text` Slack's and Discord's (`/slack`) incoming webhooks show
 * as the message (`content` for Discord's own format), with the alert's fields beside it for anything that
 * reads JSON. One attempt with a deadline; the caller logs a failure.
 */
export interface WebhookPayload {
  text: string;
  content: string;
  alert: Record<string, string | number | null>;
}

/**
 * Resolves on a 2xx answer; rejects with the reason otherwise (status, timeout, refused connection). Node's own
 * fetch, not the undici package: an alert is rare, and fetch loads its client on first use, not at start-up.
 */
export async function postWebhook(url: string, payload: WebhookPayload, timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'ai-gateway' },
      body: JSON.stringify(payload),
      signal,
    });
    // The answer's body is not used; cancelling it frees the connection whatever its size.
    await response.body?.cancel();
    if (response.status < 200 || response.status >= 300) throw new Error(`the webhook answered ${response.status}`);
  } catch (err) {
    if (signal.aborted) throw new Error(`the webhook did not answer within ${timeoutMs} ms`);
    // fetch says only "fetch failed"; its cause says why (connect ECONNREFUSED …).
    throw err instanceof TypeError && err.cause instanceof Error ? err.cause : err;
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
