/**
 * What changes while a gateway runs: the config (replaced by each accepted reload) and what is derived from it
 * (the pipeline's settings, the Host and Origin rules), the banner shown when a reload was refused, and the
 * address the socket is bound to. Derived values are rebuilt per config, never per request.
 */
import type { GatewayConfig } from '../config/types.js';
import { EdgePolicy, exposureWarning, machineNames } from '../server/edge-policy.js';
import { pipelineSettings, type PipelineSettings } from './adapters/settings.js';

export class RunningConfig {
  private current: GatewayConfig;
  private currentSettings: PipelineSettings;
  private currentEdge: EdgePolicy;
  /** The socket's own address and port once listening (the config may say port 0 or a host name). */
  private listening: { address: string; port: number };
  /** The gateway's URL once listening, '' before. */
  url = '';
  /** Why the running config is not the file's (a reload was refused); undefined when they agree. */
  banner: string | undefined;

  constructor(
    config: GatewayConfig,
    /** Overrides the config's bound of a response body read whole. */
    private readonly maxResponseBytes?: number,
  ) {
    this.current = config;
    this.listening = { address: config.gateway.host, port: config.gateway.port };
    this.currentSettings = pipelineSettings(config, maxResponseBytes);
    this.currentEdge = this.edgeFor(config);
  }

  config(): GatewayConfig {
    return this.current;
  }

  settings(): PipelineSettings {
    return this.currentSettings;
  }

  edge(): EdgePolicy {
    return this.currentEdge;
  }

  /** The port the socket is bound to (the configured one before it is). */
  port(): number {
    return this.listening.port;
  }

  /** The warning for a network address without an admin token; undefined when the gateway is not exposed. */
  exposure(): string | undefined {
    return exposureWarning(this.listening.address, this.current.gateway.adminToken);
  }

  apply(next: GatewayConfig): void {
    this.current = next;
    this.currentSettings = pipelineSettings(next, this.maxResponseBytes);
    this.currentEdge = this.edgeFor(next);
  }

  /** The socket is bound: the URL and the Host rules now name its real address and port. */
  boundTo(address: string, port: number): void {
    this.listening = { address, port };
    const host = address.includes(':') ? `[${address}]` : address;
    this.url = `http://${host}:${port}`;
    this.currentEdge = this.edgeFor(this.current);
  }

  private edgeFor(c: GatewayConfig): EdgePolicy {
    const { address, port } = this.listening;
    return new EdgePolicy({ port, boundAddress: address, configuredHost: c.gateway.host, allowedHosts: c.gateway.allowedHosts, allowedOrigins: c.gateway.allowedOrigins, localNames: machineNames });
  }
}

/** Every secret of a config, for the redactor. A webhook URL carries its token in the path: it is a secret like a key. */
export function secretsOf(config: GatewayConfig): (string | undefined)[] {
  return [config.gateway.adminToken, config.alerts.webhook, ...redisSecrets(config.sharedState.redis), ...[...config.providers.values()].flatMap((p) => [p.apiKey, ...p.apiKeys]), ...[...config.agents.values()].flatMap((a) => a.keys), ...Object.values(config.tracing?.headers ?? {})];
}

/** A Redis URL's password (and the whole URL, which carries it) never reach a log line. */
function redisSecrets(url: string | undefined): (string | undefined)[] {
  if (url === undefined) return [];
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return [];
    // As written, decoded, percent-encoded, and the normalised URL an error message may quote.
    return [url, decodeURIComponent(parsed.password), parsed.password, parsed.href];
  } catch {
    return [url];
  }
}
