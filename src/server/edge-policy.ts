/**
 * Who may talk to the gateway from a browser, decided before anything else happens to a request.
 *
 * - Host: only names of this gateway. A page on attacker.example that rebinds its DNS name to 127.0.0.1 still
 *   sends `Host: attacker.example`, so checking the Host header defeats DNS rebinding.
 * - Origin: browsers send it on every cross-site POST, including `no-cors` ones that need no preflight; SDKs and
 *   CLIs send none. A request that carries one is served only for an origin the config lists.
 *
 * Everything is precomputed into sets when the config loads: a request costs a lower-casing and a lookup.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { GatewayError } from '../core/errors.js';

export interface EdgeInput {
  /** The port the gateway listens on (the bound one, also when the config says 0). */
  port: number;
  /** The address the gateway listens on, as the socket reports it (`127.0.0.1`, `0.0.0.0`, `::`, …). */
  boundAddress: string;
  /** `gateway.host` as configured (may be a name). */
  configuredHost: string;
  /** `gateway.allowed_hosts`, lower-cased; `*` accepts any host. */
  allowedHosts: readonly string[];
  /** `gateway.allowed_origins`, serialised origins; `*` allows any. */
  allowedOrigins: readonly string[];
  /** The machine's own addresses and name: they also name the gateway when it listens on every interface. */
  localNames: () => readonly string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

/**
 * Response headers a browser page may read: the gateway's own and the retry hints. `*` covers every header for
 * requests without credentials (what browser SDKs send); the names cover credentialed ones.
 */
const EXPOSED_HEADERS = '*, x-request-id, x-ai-gateway-agent, x-ai-gateway-cost-usd, x-ai-gateway-dropped, x-ai-gateway-adjusted, retry-after, x-should-retry';
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE';
/** Seconds a browser may cache a preflight answer (Chromium caps it at 2 h). */
const PREFLIGHT_MAX_AGE = '7200';

export class EdgePolicy {
  private readonly hosts: ReadonlySet<string>;
  private readonly anyHost: boolean;
  /** `*.localhost` names with the port, e.g. `.localhost:8080` (and the bare suffix on port 80). */
  private readonly localhostSuffixes: readonly string[];
  private readonly origins: ReadonlySet<string>;
  private readonly anyOrigin: boolean;

  constructor(input: EdgeInput) {
    const { port } = input;
    const hosts = new Set<string>();
    const withPort = (name: string): void => {
      hosts.add(`${name}:${port}`);
      // Port 80 is implied: browsers and curl leave it out of the Host header.
      if (port === 80) hosts.add(name);
    };
    const names = [...LOOPBACK_NAMES, bracket(input.boundAddress), bracket(input.configuredHost.toLowerCase())];
    if (WILDCARD_ADDRESSES.has(input.boundAddress)) names.push(...input.localNames().map((n) => bracket(n.toLowerCase())));
    for (const name of names) withPort(name);
    for (const entry of input.allowedHosts) {
      // A name without a port is also accepted without one: a reverse proxy in front forwards its own Host.
      if (hasPort(entry)) hosts.add(entry);
      else {
        hosts.add(entry);
        withPort(entry);
      }
    }
    this.hosts = hosts;
    this.anyHost = input.allowedHosts.includes('*');
    this.localhostSuffixes = port === 80 ? ['.localhost:80', '.localhost'] : [`.localhost:${port}`];
    this.origins = new Set(input.allowedOrigins);
    this.anyOrigin = input.allowedOrigins.includes('*');
  }

  hostAllowed(host: string | undefined): boolean {
    if (this.anyHost) return true;
    if (host === undefined || host === '') return false;
    const h = host.toLowerCase();
    if (this.hosts.has(h)) return true;
    for (const suffix of this.localhostSuffixes) if (h.endsWith(suffix) && h.length > suffix.length) return true;
    return false;
  }

  originAllowed(origin: string): boolean {
    return this.anyOrigin || this.origins.has(origin);
  }

  /** True when some origin may call: proxy answers then vary by Origin. */
  get corsEnabled(): boolean {
    return this.origins.size > 0;
  }
}

/** The refusal for a Host that does not name this gateway. */
export function hostRefused(host: string | undefined): GatewayError {
  const shown = host === undefined ? 'no Host header' : `Host "${host.slice(0, 100)}"`;
  return new GatewayError(
    'invalid_request',
    `${shown} does not name this gateway, so the request is refused (this protects against DNS rebinding); ` +
      'reach it as localhost or its address, or list the name under gateway.allowed_hosts',
    { status: 403, code: 'host_not_allowed', shouldRetry: false },
  );
}

/** The refusal for a browser page whose origin the config does not list. */
export function originRefused(origin: string): GatewayError {
  return new GatewayError(
    'invalid_request',
    `requests from web pages at origin "${origin.slice(0, 100)}" are refused: a page must not spend your provider keys. ` +
      'To let a web app call the gateway, list its origin under gateway.allowed_origins',
    { status: 403, code: 'origin_not_allowed', shouldRetry: false },
  );
}

/** Headers of a proxied answer to an allowed origin. */
export function corsHeaders(origin: string): Record<string, string> {
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED_HEADERS, vary: 'Origin' };
}

/** True for a CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. */
export function isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

/** The answer to a preflight from an allowed origin: any method the proxy serves, the headers the page asked for. */
export function preflightHeaders(origin: string, headers: IncomingHttpHeaders): Record<string, string> {
  const requested = headers['access-control-request-headers'];
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': ALLOWED_METHODS,
    // Browser SDKs send their own headers (x-stainless-*, anthropic-*); the origin is trusted, so all are allowed.
    ...(typeof requested === 'string' && requested !== '' ? { 'access-control-allow-headers': requested } : {}),
    'access-control-max-age': PREFLIGHT_MAX_AGE,
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  };
}

function bracket(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** `name:8080` or `[::1]:8080`, as opposed to `name` or `[::1]`. */
function hasPort(host: string): boolean {
  const colon = host.lastIndexOf(':');
  return colon !== -1 && colon > host.lastIndexOf(']');
}

export function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || (address?.startsWith('127.') ?? false);
}

/** This machine's addresses and host name, read when the config loads (a DHCP change needs a reload). */
export function machineNames(): string[] {
  const names = [hostname()];
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.push(i.address);
  return names;
}

/**
 * Said at start and in the dashboard header when the gateway listens on a network address with no admin token.
 * Undefined when there is nothing to warn about.
 */
export function exposureWarning(boundAddress: string, adminToken: string | undefined): string | undefined {
  if (isLoopback(boundAddress) || (adminToken !== undefined && adminToken !== '')) return undefined;
  return (
    `listening on the network address ${boundAddress} without gateway.admin_token: the management API and /metrics ` +
    'answer loopback callers only, and anyone who reaches this address can use the proxy with your provider keys ' +
    'unless gateway.unknown_agents is deny and agents have keys'
  );
}
