/**
 * One proxied call as the audit records it: the pipeline builds it (src/pipeline/steps/record.ts), the store
 * serialises it, and the live views read it. Here so each of them may see it without seeing the others.
 */

/** One proxied call, as recorded in the audit table. */
export interface RequestRow {
  /** Request id (the `x-request-id` sent to the client); primary key. */
  id: string;
  /** When the request arrived, epoch ms. */
  ts: number;
  agent: string;
  /** Provider name from the config; null when the call never got routed. */
  provider: string | null;
  /** Model the client asked for. */
  model: string;
  /** Model sent upstream after aliases and routing. */
  upstreamModel: string | null;
  /** Wire format the client spoke: e.g. `openai-chat`, `anthropic-messages`, `openai-responses`. */
  clientFormat: string;
  upstreamFormat: string | null;
  stream: boolean;
  /** HTTP status sent to the client. */
  status: number;
  /** Gateway error code or upstream error type; set for failures, including streams that failed after 200. */
  errorCode: string | null;
  /** Input tokens not read from or written to a cache. */
  inputTokens: number;
  cacheReadTokens: number;
  /** 5-minute and 1-hour cache writes together. */
  cacheWriteTokens: number;
  /** Includes reasoning tokens. */
  outputTokens: number;
  reasoningTokens: number;
  /** Null = unpriced (model not in the price table nor the config), never a silent 0. */
  costUsd: number | null;
  costInput: number | null;
  costCacheRead: number | null;
  costCacheWrite: number | null;
  costOutput: number | null;
  /** The part of `costOutput` paid for reasoning tokens. */
  costReasoning?: number | null;
  /** Price table version (`genai-prices@x.y.z`) or `config` when an override priced it; null when unpriced. */
  priceVersion: string | null;
  /** Usage was counted locally (cut-off stream, missing usage) rather than reported by the provider. */
  estimated: boolean;
  latencyMs: number;
  /** Time to the first upstream byte; null when nothing arrived. */
  ttfbMs: number | null;
  /** Request fields dropped in translation, comma-separated; null when none. */
  dropped: string | null;
  /** The API path called, e.g. `/v1/chat/completions` or `/v1/images/generations`; null when not recorded. */
  path?: string | null;
  /** Request body bytes received from the client; null when not recorded. */
  bytesIn?: number | null;
  /** Response body bytes sent to the client; null when not recorded. */
  bytesOut?: number | null;
  /** Request fields changed to fit the upstream model (`max_completion_tokens:32000->16384`), comma-separated; null when none. */
  adjusted?: string | null;
  /** What went wrong, in words, with every known secret masked; null for a success or when not recorded. */
  errorMessage?: string | null;
  /** The first-choice provider when another one (a fallback) took the call; null when the first choice did. */
  fallbackFrom?: string | null;
  /** Upstream requests the call took, retries and fallbacks included (0: none was sent); null in older rows. */
  attempts?: number | null;
  /** The routing rule that chose the model (`background`, `thinking`, `long_context`, `web_search`, `vision`); null when none did. */
  routeRule?: string | null;
  /**
   * Whether the request counts as one of the agent's calls, as its live counters count them: admitted, and the
   * provider called or the call failed. False for refusals at admission; absent in rows older than the column.
   */
  isCall?: boolean;
}

/** Well-known control event kinds; other strings are allowed so new actions need no store change. */
export type ControlRecordKind =
  | 'pause'
  | 'resume'
  | 'budget_change'
  | 'breaker_reset'
  | 'policy_action'
  | 'config_reload'
  | (string & {});

/** A control action (pause, budget change, breaker reset, policy decision, reload) to keep in the history. */
export interface ControlRecord {
  ts: number;
  /** Null for gateway-wide events such as a config reload. */
  agent: string | null;
  kind: ControlRecordKind;
  /** Who did it: `tui`, `cli`, `api`, `policy:<name>`, `config`. */
  actor: string;
  /** Stored as JSON; undefined and null are both stored as NULL. */
  oldValue?: unknown;
  newValue?: unknown;
  reason?: string | null;
}
