/**
 * Defaults: the values used for every setting the config leaves out, and the embedded configuration used when
 * there is no config file at all. The embedded config is YAML so it goes through the same interpolation and
 * validation as a user's file.
 */

export const DEFAULTS = {
  /** Input tokens above which `routing.long_context` applies (claude-code-router's default). */
  longContextTokens: 60_000,
  /** Requested models `routing.background` applies to: the small model coding agents use for side calls. */
  backgroundMatch: ['*haiku*'] as readonly string[],
  host: '127.0.0.1',
  port: 8080,
  maxBody: '10mb',
  /** Chat answers are far smaller; 16 MiB leaves room for images in Responses output and parses in well under 0.2 s. */
  maxResponseBody: '16mb',
  upstreamTimeout: '600s',
  connectTimeout: '10s',
  idleTimeout: '300s',
  maxUpstreamConnections: 128,
  maxHeaderSize: '16kb',
  unknownAgents: 'allow',
  defaultMaxTokens: 8192,
  defaultOutputCap: 4096,
  storagePath: './ai-gateway.db',
  retentionDays: 90,
  maxPendingRows: 10_000,
  maxLabelValues: 200,
  breaker: {
    errorThreshold: 5,
    window: '60s',
    resetTimeout: '30s',
    halfOpenRequests: 1,
    minRequests: 5,
  },
  responseStoreSize: '64mb',
  /** As long as a tool loop or a conversation with an agent reasonably stays open. */
  responseStoreTtl: '1h',
  /** Window of a rate-limit object that names no `per`. */
  ratePer: '1m',
  alertThresholds: [0.5, 0.8, 1],
  alertWebhookTimeout: '5s',
  tracingServiceName: 'ai-gateway',
  retries: {
    maxAttempts: 3,
    /** The first backoff wait is random below this; each later one's ceiling doubles. */
    backoff: '500ms',
    maxBackoff: '8s',
    /** A Retry-After up to this is waited out; a longer one goes to the fallback or back to the client. */
    maxRetryAfter: '30s',
  },
} as const;

export const OFFICIAL_BASE_URLS = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com/v1beta',
} as const;

/** Source name used in problems about the embedded defaults. */
export const EMBEDDED_SOURCE = '<embedded defaults>';

export const EMBEDDED_CONFIG_YAML = `# Embedded defaults: used when there is no gateway.yaml, and merged under one unless
# gateway.embedded_defaults is false.
providers:
  openai:
    type: openai
    base_url: ${OFFICIAL_BASE_URLS.openai}
    api_key: \${OPENAI_API_KEY}
  anthropic:
    type: anthropic
    base_url: ${OFFICIAL_BASE_URLS.anthropic}
    api_key: \${ANTHROPIC_API_KEY}
models:
  "gpt-*": openai
  "o[0-9]*": openai
  "chatgpt-*": openai
  "text-embedding-*": openai
  "claude-*": anthropic
`;
