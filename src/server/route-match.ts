/**
 * Maps a request line to what handles it. Plain string work, no regex per request: this runs for every call.
 */
export type ProxyEndpoint =
  | 'chat'
  | 'messages'
  | 'count_tokens'
  | 'responses'
  | 'embeddings'
  | 'models'
  /** Gemini `models/{model}:generateContent`, `:streamGenerateContent` and `:countTokens`. */
  | 'gemini_generate'
  | 'gemini_stream'
  | 'gemini_count_tokens'
  | 'other';

const GEMINI_ACTIONS: Record<string, ProxyEndpoint> = {
  generateContent: 'gemini_generate',
  streamGenerateContent: 'gemini_stream',
  countTokens: 'gemini_count_tokens',
};

/** The Gemini action of `/models/{model}:{action}`, if the path is one. */
function geminiAction(path: string): ProxyEndpoint | undefined {
  if (!path.startsWith('/models/')) return undefined;
  const colon = path.lastIndexOf(':');
  if (colon <= 8 || path.indexOf('/', 8) !== -1) return undefined;
  const action = path.slice(colon + 1);
  return Object.hasOwn(GEMINI_ACTIONS, action) ? GEMINI_ACTIONS[action] : undefined;
}

/** `/models/{model}:{action}` → the model, URL-decoded; undefined when it does not decode. */
export function geminiModel(v1Path: string): string | undefined {
  try {
    return decodeURIComponent(v1Path.slice('/models/'.length, v1Path.lastIndexOf(':')));
  } catch {
    return undefined;
  }
}

export type RouteMatch =
  | { kind: 'health' }
  | { kind: 'ready' }
  | { kind: 'metrics' }
  | { kind: 'admin'; path: string; query: URLSearchParams }
  | { kind: 'proxy'; endpoint: ProxyEndpoint; agent: string | undefined; v1Path: string; search: string }
  | { kind: 'not_found' };

const ENDPOINTS: Record<string, ProxyEndpoint> = {
  '/chat/completions': 'chat',
  '/messages': 'messages',
  '/messages/count_tokens': 'count_tokens',
  '/responses': 'responses',
  '/embeddings': 'embeddings',
  '/models': 'models',
};

export function matchRoute(rawUrl: string): RouteMatch {
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const search = q === -1 ? '' : rawUrl.slice(q);
  if (path === '/health' || path === '/healthz') return { kind: 'health' };
  if (path === '/health/ready' || path === '/readyz') return { kind: 'ready' };
  if (path === '/metrics') return { kind: 'metrics' };
  if (path.startsWith('/api/')) return { kind: 'admin', path, query: new URLSearchParams(search) };

  let agent: string | undefined;
  let rest = path;
  if (path.startsWith('/agents/')) {
    const end = path.indexOf('/', 8);
    if (end === -1) return { kind: 'not_found' };
    try {
      agent = decodeURIComponent(path.slice(8, end));
    } catch {
      return { kind: 'not_found' };
    }
    rest = path.slice(end);
  }
  // The Gemini SDK calls /v1beta/models/{model}:{action} (and /v1/… when told that version); nothing else under v1beta.
  if (rest.startsWith('/v1beta/')) {
    const endpoint = geminiAction(rest.slice(7));
    return endpoint === undefined ? { kind: 'not_found' } : { kind: 'proxy', endpoint, agent, v1Path: rest.slice(7), search };
  }
  if (rest !== '/v1' && !rest.startsWith('/v1/')) return { kind: 'not_found' };
  const v1Path = rest.slice(3);
  const gemini = geminiAction(v1Path);
  if (gemini !== undefined) return { kind: 'proxy', endpoint: gemini, agent, v1Path, search };
  // Trailing slashes are forgiven: some clients join base URLs sloppily.
  const key = v1Path.length > 1 && v1Path.endsWith('/') ? v1Path.slice(0, -1) : v1Path;
  return { kind: 'proxy', endpoint: ENDPOINTS[key] ?? 'other', agent, v1Path: key, search };
}
