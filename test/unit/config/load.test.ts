import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  configFromObject,
  formatProblem,
  loadConfig,
  parseConfigText,
  readConfig,
  renderInitConfig,
  resolveConfigPath,
  validateConfig,
} from '../../../src/config/index.js';
import type { ConfigProblem } from '../../../src/config/index.js';

const root = resolve(import.meta.dirname, '../../..');
const seedFixture = join(root, 'test/fixtures/config/seed-agent-gateway.yaml');
const exampleEnv = { AI_GATEWAY_ADMIN_TOKEN: 'admin-secret', RESEARCHER_KEY: 'k-res', EVAL_KEY: 'k-eval' };

function exampleFiles(): string[] {
  const examples = readdirSync(join(root, 'examples'))
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .map((f) => join(root, 'examples', f));
  return [join(root, 'gateway.example.yaml'), ...examples, seedFixture];
}

function only(problems: ConfigProblem[], path: string): ConfigProblem {
  const found = problems.filter((p) => p.path === path);
  expect(found, `problems at ${path}: ${problems.map(formatProblem).join('\n')}`).toHaveLength(1);
  return found[0] as ConfigProblem;
}

describe('example configs', () => {
  it('finds the examples', () => {
    expect(exampleFiles().length).toBeGreaterThanOrEqual(5);
  });

  it.each(exampleFiles().map((f) => [f.slice(root.length + 1), f]))('%s validates', (_name, file) => {
    const result = readConfig({ path: file, env: exampleEnv });
    expect(result.errors.map(formatProblem)).toEqual([]);
    expect(result.config).toBeDefined();
    // Only the seed fixture's dashboard section deserves a warning.
    const unexpected = result.warnings.filter((w) => w.path !== 'dashboard');
    expect(unexpected.map(formatProblem)).toEqual([]);
  });

  it('renderInitConfig produces a valid config with no warnings', () => {
    const result = parseConfigText(renderInitConfig(), { env: {} });
    expect(result.errors.map(formatProblem)).toEqual([]);
    expect(result.warnings.map(formatProblem)).toEqual([]);
    expect(result.config?.agents.get('default')?.budget.maxCostPerDay).toBe(10);
  });

  it('gateway.example.yaml normalises every section', () => {
    const { config } = readConfig({ path: join(root, 'gateway.example.yaml'), env: { ...exampleEnv, OPENAI_API_KEY: 'sk-o' } });
    if (!config) throw new Error('expected a config');
    expect(config.gateway).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      adminToken: 'admin-secret',
      maxBodyBytes: 10 * 1024 * 1024,
      maxHeaderSizeBytes: 16 * 1024,
      upstreamTimeoutMs: 600_000,
      connectTimeoutMs: 10_000,
      idleTimeoutMs: 300_000,
      maxUpstreamConnections: 128,
      unknownAgents: 'allow',
      strictTranslation: false,
      timezone: 'UTC',
      defaultOutputCap: 4096,
    });
    expect(config.storage).toEqual({ path: join(root, 'ai-gateway.db'), retentionDays: 90, jsonl: undefined, maxPendingRows: 10_000 });
    expect(config.providers.get('ollama')).toMatchObject({
      type: 'openai',
      baseUrl: 'http://127.0.0.1:11434/v1',
      apiKey: undefined,
      upstreamTimeoutMs: 1_200_000,
      connectTimeoutMs: 2_000,
      idleTimeoutMs: 120_000,
    });
    expect(config.providers.get('openai')?.apiKey).toBe('sk-o');
    // The anthropic-beta header came from an empty ${VAR:-}, so no header is sent.
    expect(config.providers.get('anthropic')?.headers).toEqual({});
    expect(config.models.map((m) => m.pattern).slice(0, 6)).toEqual(['fast', 'local', 'claude-*', 'gpt-*', 'o[0-9]*', 'text-embedding-*']);
    expect(config.prices.get('my-finetune')).toEqual({
      input: 3,
      output: 12,
      cacheRead: 0.3,
      cacheWrite: 3.75,
      cacheWrite1h: 6,
      reasoning: 12,
    });
    expect([...config.capabilities]).toEqual([
      ['gpt-5-chat-latest', { reasoning: false, maxOutputTokens: 16384 }],
      ['my-azure-*', { maxOutputTokens: 16384, reasoning: false }],
    ]);
    expect(config.agents.get('researcher')).toMatchObject({
      keys: ['k-res'],
      budget: { maxCostPerHour: 5, maxCostPerDay: 20, maxCostTotal: 100 },
      rateLimit: { requests: 100, perMs: 60_000, burst: 100, tokensPerMinute: undefined },
      circuitBreaker: { trip: { kind: 'count', errors: 5 }, windowMs: 60_000, resetTimeoutMs: 30_000, halfOpenRequests: 3 },
      tags: ['research'],
    });
    expect(config.agents.get('coder')).toMatchObject({
      keys: [],
      rateLimit: { requests: 600, perMs: 3_600_000, burst: 20, tokensPerMinute: 200_000 },
      strictTranslation: true,
    });
    expect(config.policies.map((p) => [p.name, p.action])).toEqual([
      ['high-error-rate', 'pause'],
      ['runaway-spend', 'deny'],
      ['slow-down', 'throttle'],
      ['heads-up', 'alert'],
    ]);
    expect(config.policies[0]?.condition).toBe('error_rate > 0.5 && calls_this_hour >= 10');
    expect(config.policies[2]?.params).toEqual({ rate_limit: '10/min' });
    expect(config.metrics.maxLabelValues).toBe(200);
    // ALERT_WEBHOOK_URL is not set: no webhook, the rest as written.
    expect(config.alerts).toEqual({ budgetThresholds: [0.5, 0.8, 1], webhook: undefined, webhookTimeoutMs: 5000, desktop: false, bell: true });
  });
});

describe('alerts', () => {
  const load = (alerts: string, env: Record<string, string> = {}) => parseConfigText(`alerts: ${alerts}\n`, { env });

  it('defaults to 50%, 80% and 100% thresholds, the bell, no webhook and no desktop notifications', () => {
    expect(parseConfigText('{}\n', { env: {} }).config?.alerts).toEqual({ budgetThresholds: [0.5, 0.8, 1], webhook: undefined, webhookTimeoutMs: 5000, desktop: false, bell: true });
  });

  it('takes thresholds in any order once each, a webhook from the environment, a timeout', () => {
    const { config } = load('{ budget_thresholds: [1, 0.25, 0.25], webhook: "${HOOK}", webhook_timeout: 2s, desktop: true, bell: false }', { HOOK: 'https://hooks.slack.com/services/T/B/x' });
    expect(config?.alerts).toEqual({ budgetThresholds: [0.25, 1], webhook: 'https://hooks.slack.com/services/T/B/x', webhookTimeoutMs: 2000, desktop: true, bell: false });
    expect(load('{ webhook: "${HOOK:-}" }').config?.alerts.webhook).toBeUndefined();
    expect(load('{ budget_thresholds: [] }').config?.alerts.budgetThresholds).toEqual([]);
  });

  it('refuses thresholds outside (0, 1] and a webhook that is no http(s) URL, naming the field', () => {
    const problems = (alerts: string): string[] => load(alerts).errors.map(formatProblem);
    expect(problems('{ budget_thresholds: [0.5, 1.5] }').join('\n')).toMatch(/alerts\.budget_thresholds\[1\]: .*at most 1/);
    expect(problems('{ budget_thresholds: [0] }').join('\n')).toMatch(/alerts\.budget_thresholds\[0\]: .*above 0/);
    expect(problems('{ webhook: "ftp://example.com/x" }').join('\n')).toMatch(/alerts\.webhook.*http:\/\/ or https:\/\//);
    expect(problems('{ desktop: "yes" }').join('\n')).toMatch(/alerts\.desktop/);
  });
});

describe('seed (agent-gateway) format', () => {
  it('loads unchanged, mapping audit.log_file and warning only about dashboard', () => {
    const result = readConfig({ path: seedFixture, env: { RESEARCH_AGENT_KEY: 'agw-r' } });
    expect(result.errors).toEqual([]);
    const w = only(result.warnings, 'dashboard');
    expect(w.line).toBe(52);
    const config = result.config;
    if (!config) throw new Error('expected a config');
    expect(config.gateway.port).toBe(8080);
    expect(config.storage.jsonl).toBe(join(root, 'test/fixtures/config/logs/audit.jsonl'));
    expect(config.agents.get('research-agent')).toMatchObject({
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      keys: ['agw-r'],
      budget: { maxCostPerHour: 2.5, maxCostPerDay: 20, maxCostTotal: undefined },
      rateLimit: { requests: 100, perMs: 60_000 },
      circuitBreaker: { trip: { kind: 'count', errors: 5 }, resetTimeoutMs: 30_000, windowMs: 60_000, halfOpenRequests: 1 },
      tags: ['research', 'production'],
    });
    expect(config.agents.get('coding-agent')?.keys).toEqual(['agw-coding-local']);
    expect(config.agents.get('coding-agent')?.rateLimit).toMatchObject({ requests: 30, perMs: 60_000 });
    expect(config.agents.get('batch-summarizer')?.rateLimit).toMatchObject({ requests: 1000, perMs: 3_600_000 });
    expect(config.policies[0]).toEqual({ name: 'pause-on-errors', condition: 'error_rate > 0.5', action: 'pause', params: {} });
    // The seed names providers it never defines: the embedded ones serve them.
    expect([...config.providers.keys()]).toEqual(['openai', 'anthropic']);
  });
});

describe('broken configs', () => {
  const file = 'broken.yaml';
  const check = (text: string) => parseConfigText(text, { file, env: {} });

  it('wrong type', () => {
    const r = check('gateway:\n  host: 127.0.0.1\n  port: "eighty"\n');
    const p = only(r.errors, 'gateway.port');
    expect(p).toMatchObject({ file, line: 3, severity: 'error' });
    expect(p.message).toMatch(/expected number/);
    expect(p.fix).toBeDefined();
    expect(r.config).toBeUndefined();
  });

  it('bad rate limit', () => {
    const r = check('agents:\n  bot:\n    rate_limit: 100/mn\n');
    const p = only(r.errors, 'agents.bot.rate_limit');
    expect(p.line).toBe(3);
    expect(p.message).toBe('invalid rate limit');
    expect(p.fix).toMatch(/"100\/min"/);
    expect(formatProblem(p)).toMatch(/^broken\.yaml:3:\d+: error: agents\.bot\.rate_limit: invalid rate limit \(fix: write "<count>\/<unit>"/);
  });

  it('rate limit of the wrong type', () => {
    const r = check('agents:\n  bot:\n    rate_limit: 100\n');
    expect(only(r.errors, 'agents.bot.rate_limit').message).toBe('expected a rate limit');
  });

  it('rate limit object without requests or tpm', () => {
    const r = check('agents:\n  bot:\n    rate_limit: { burst: 5 }\n');
    expect(only(r.errors, 'agents.bot.rate_limit').message).toMatch(/needs requests or tpm/);
  });

  it('bad duration', () => {
    const r = check('agents:\n  bot:\n    circuit_breaker:\n      error_threshold: 3\n      reset_timeout: 30 seconds\n');
    const p = only(r.errors, 'agents.bot.circuit_breaker.reset_timeout');
    expect(p.line).toBe(5);
    expect(p.message).toBe('invalid duration');
    expect(p.fix).toMatch(/30s/);
  });

  it('a capability entry with an effort nobody spells, or a cap that is no count', () => {
    const r = check('capabilities:\n  o3:\n    reasoning_efforts: [low, extreme]\n  gpt-x: { max_output_tokens: 0 }\n');
    expect(only(r.errors, 'capabilities.o3.reasoning_efforts[1]')).toMatchObject({ line: 3 });
    expect(only(r.errors, 'capabilities.o3.reasoning_efforts[1]').message).toMatch(/none.*minimal.*low.*medium.*high.*xhigh.*max/);
    expect(only(r.errors, 'capabilities.gpt-x.max_output_tokens').message).toMatch(/>0|positive|greater/i);
  });

  it('bad size', () => {
    const r = check('gateway:\n  max_body: 10 megabytes\n');
    expect(only(r.errors, 'gateway.max_body')).toMatchObject({ line: 2, message: 'invalid size' });
  });

  it('bad policy action', () => {
    const r = check('policies:\n  - name: p1\n    condition: "error_rate > 0.5"\n    action: pause\n  - name: p2\n    condition: "cost_today > 1"\n    action: explode\n');
    const p = only(r.errors, 'policies[1].action');
    expect(p.line).toBe(7);
    expect(p.message).toMatch(/pause, deny, alert, throttle/);
  });

  it('policy without a condition, and duplicate policy names', () => {
    const r = check('policies:\n  - { name: p, action: pause }\n  - { name: q, condition: "x > 1", action: alert }\n  - { name: q, condition: "y > 1", action: alert }\n');
    expect(only(r.errors, 'policies[0].condition').line).toBe(2);
    expect(r.errors.filter((e) => e.path.startsWith('policies[2]'))).toHaveLength(0);
    const r2 = check('policies:\n  - { name: q, condition: "x > 1", action: alert }\n  - { name: q, condition: "y > 1", action: alert }\n');
    expect(only(r2.errors, 'policies[1].name')).toMatchObject({ line: 3, message: 'duplicate policy name "q"' });
  });

  it('unknown provider referenced by a model', () => {
    const r = check('providers:\n  ollama: { type: openai, base_url: "http://127.0.0.1:11434/v1" }\nmodels:\n  "llama*": { provider: olama }\n');
    const p = only(r.errors, 'models["llama*"].provider');
    expect(p).toMatchObject({ line: 4, message: 'unknown provider "olama"', fix: 'did you mean "ollama"?' });
  });

  it('unknown provider referenced by a shorthand route, a fallback and an agent', () => {
    const r = check('models:\n  "gpt-*": opanai\n  "claude-*": { provider: anthropic, fallbacks: [nowhere] }\nagents:\n  bot: { provider: vertex }\n');
    expect(only(r.errors, 'models["gpt-*"]')).toMatchObject({ line: 2, message: 'unknown provider "opanai"' });
    expect(only(r.errors, 'models["claude-*"].fallbacks[0]').line).toBe(3);
    expect(only(r.errors, 'agents.bot.provider')).toMatchObject({ line: 5, message: 'unknown provider "vertex"' });
  });

  it('provider without type or base_url', () => {
    const r = check('providers:\n  local:\n    base_url: http://127.0.0.1:8000/v1\n  ollama:\n    type: openai\n');
    expect(only(r.errors, 'providers.local.type').line).toBe(2);
    expect(only(r.errors, 'providers.ollama.base_url')).toMatchObject({ line: 4 });
  });

  it('bad base_url, bad enum, bad time zone, bad agent name', () => {
    const r = check(
      'gateway:\n  unknown_agents: block\n  timezone: Mars/Base\nproviders:\n  x: { type: openai, base_url: "ftp://host" }\nagents:\n  "has space": {}\n',
    );
    expect(only(r.errors, 'gateway.unknown_agents').line).toBe(2);
    expect(only(r.errors, 'gateway.timezone').message).toMatch(/unknown time zone/);
    expect(only(r.errors, 'providers.x.base_url').message).toMatch(/http/);
    const name = only(r.errors, 'agents["has space"]');
    expect(name).toMatchObject({ line: 7, message: 'invalid agent name' });
  });

  it('an agent key used twice, without echoing the key', () => {
    const r = check('agents:\n  a: { keys: [shared-secret-1] }\n  b: { api_key: shared-secret-1 }\n');
    const p = only(r.errors, 'agents.b.keys');
    expect(p.message).toMatch(/already used by agent "a"/);
    expect(formatProblem(p)).not.toContain('shared-secret-1');
  });

  it('fractional error count', () => {
    const r = check('agents:\n  a:\n    circuit_breaker: { error_threshold: 2.5 }\n');
    expect(only(r.errors, 'agents.a.circuit_breaker.error_threshold').line).toBe(3);
  });

  it('YAML syntax errors name the line', () => {
    const r = check('gateway:\n  port: 8080\n    host: x\n');
    expect(r.errors[0]).toMatchObject({ file, line: 2 });
    expect(r.errors[0]?.message).toMatch(/^YAML syntax error/);
    expect(r.config).toBeUndefined();
    const dup = check('gateway:\n  port: 1\n  port: 2\n');
    expect(dup.errors[0]).toMatchObject({ line: 3, fix: 'remove or rename one of the duplicate keys' });
  });

  it('a top level that is not a mapping', () => {
    const r = check('- a\n- b\n');
    expect(r.errors[0]?.message).toMatch(/must be a mapping/);
  });

  it('reports several problems at once', () => {
    const r = check('gateway:\n  port: -1\nagents:\n  a: { rate_limit: fast }\npolicies:\n  - { name: x, condition: "y", action: nuke }\n');
    expect(r.errors.map((e) => e.path).sort()).toEqual(['agents.a.rate_limit', 'gateway.port', 'policies[0].action']);
  });
});

describe('unknown keys', () => {
  it('warn with their path and a suggestion, never fail', () => {
    const r = parseConfigText('gateway:\n  prot: 9000\nagents:\n  a:\n    rate_limt: 5/min\n    budget: { max_cost_per_hour: 1, per_week: 3 }\nextra_section: {}\n', {
      file: 'g.yaml',
    });
    expect(r.errors).toEqual([]);
    expect(r.config).toBeDefined();
    expect(only(r.warnings, 'gateway.prot')).toMatchObject({ line: 2, fix: 'did you mean "port"?' });
    expect(only(r.warnings, 'agents.a.rate_limt')).toMatchObject({ line: 5, fix: 'did you mean "rate_limit"?' });
    expect(only(r.warnings, 'agents.a.budget.per_week').line).toBe(6);
    expect(only(r.warnings, 'extra_section').line).toBe(7);
    expect(r.config?.agents.get('a')?.rateLimit).toBeUndefined();
  });

  it('are also reported alongside errors', () => {
    const r = parseConfigText('gateway:\n  prot: 1\n  port: x\n');
    expect(r.warnings.map((w) => w.path)).toEqual(['gateway.prot']);
    expect(r.errors.map((e) => e.path)).toEqual(['gateway.port']);
  });
});

describe('embedded defaults', () => {
  it('are used when there is no file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-cfg-'));
    const r = readConfig({ cwd: dir, env: { OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: '' } });
    expect(r.source).toEqual({ kind: 'embedded' });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    const config = r.config;
    if (!config) throw new Error('expected a config');
    expect(config.providers.get('openai')).toMatchObject({ type: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-test', builtin: true });
    expect(config.providers.get('anthropic')).toMatchObject({ type: 'anthropic', baseUrl: 'https://api.anthropic.com', apiKey: undefined });
    expect(config.models.map((m) => [m.pattern, m.provider])).toEqual([
      ['gpt-*', 'openai'],
      ['o[0-9]*', 'openai'],
      ['chatgpt-*', 'openai'],
      ['text-embedding-*', 'openai'],
      ['claude-*', 'anthropic'],
    ]);
    expect(config.storage.path).toBe(join(dir, 'ai-gateway.db'));
    expect(config.gateway).toMatchObject({ host: '127.0.0.1', port: 8080, unknownAgents: 'allow', adminToken: undefined });
  });

  it('are merged under a file: file routes first, file providers replace by name', () => {
    const config = configFromObject({
      providers: { openai: { base_url: 'http://proxy.local/v1' }, ollama: { type: 'openai', base_url: 'http://127.0.0.1:11434/v1' } },
      models: { 'claude-*': 'ollama', fast: { provider: 'ollama', model: 'llama3.1:8b' } },
    });
    expect(config.models.map((m) => m.pattern)).toEqual(['claude-*', 'fast', 'gpt-*', 'o[0-9]*', 'chatgpt-*', 'text-embedding-*']);
    expect(config.models[0]?.provider).toBe('ollama');
    expect(config.providers.get('openai')).toMatchObject({ type: 'openai', baseUrl: 'http://proxy.local/v1', builtin: false });
    expect(config.providers.get('anthropic')?.builtin).toBe(true);
  });

  it('can be switched off', () => {
    const config = configFromObject({ gateway: { embedded_defaults: false }, providers: { sim: { type: 'mock' } }, models: { '*': 'sim' } });
    expect([...config.providers.keys()]).toEqual(['sim']);
    expect(config.models.map((m) => m.pattern)).toEqual(['*']);
    const r = validateConfig({ gateway: { embedded_defaults: false }, models: { 'gpt-*': 'openai' } });
    expect(r.errors.map((e) => e.path)).toEqual(['models["gpt-*"]']);
  });
});

describe('config file resolution', () => {
  it('prefers an explicit path, then ./gateway.yaml, else embedded', () => {
    expect(resolveConfigPath('conf/x.yaml', '/srv', () => false)).toBe('/srv/conf/x.yaml');
    expect(resolveConfigPath(undefined, '/srv', (p) => p === '/srv/gateway.yaml')).toBe('/srv/gateway.yaml');
    expect(resolveConfigPath(undefined, '/srv', () => false)).toBeUndefined();
  });

  it('reads ./gateway.yaml from the working directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-cfg-'));
    writeFileSync(join(dir, 'gateway.yaml'), 'gateway:\n  port: 9123\nstorage:\n  path: data/g.db\n');
    const r = readConfig({ cwd: dir, env: {} });
    expect(r.source).toEqual({ kind: 'file', path: join(dir, 'gateway.yaml') });
    expect(r.config?.gateway.port).toBe(9123);
    expect(r.config?.storage.path).toBe(join(dir, 'data/g.db'));
  });

  it('a missing explicit file is an error naming the file', () => {
    const r = readConfig({ path: '/nonexistent/dir/gw.yaml', env: {} });
    expect(r.errors[0]).toMatchObject({ file: '/nonexistent/dir/gw.yaml', message: 'config file not found' });
  });
});

describe('loadConfig', () => {
  it('throws a ConfigError listing every problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-cfg-'));
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'gateway:\n  port: x\n  prot: 1\nagents:\n  a: { rate_limit: 5/fortnight }\n');
    let thrown: unknown;
    try {
      loadConfig({ path, env: {} });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const err = thrown as ConfigError;
    expect(err.kind).toBe('config');
    expect(err.problems.filter((p) => p.severity === 'error').map((p) => [p.path, p.line])).toEqual([
      ['gateway.port', 2],
      ['agents.a.rate_limit', 5],
    ]);
    expect(err.problems.some((p) => p.severity === 'warning' && p.path === 'gateway.prot')).toBe(true);
    expect(err.message).toContain(`${path}:2:`);
    expect(err.message).toContain('2 problems');
  });

  it('returns config, warnings and source when valid', () => {
    const loaded = loadConfig({ path: seedFixture, env: {} });
    expect(loaded.source).toEqual({ kind: 'file', path: seedFixture });
    expect(loaded.warnings.map((w) => w.path)).toEqual(['dashboard']);
    expect(loaded.config.agents.size).toBe(3);
  });
});

describe('policy condition hook', () => {
  it('reports a condition the policy parser rejects at its line', () => {
    const text = 'policies:\n  - name: ok\n    condition: "error_rate > 0.5"\n    action: pause\n  - name: bad\n    condition: "error_rate >"\n    action: pause\n';
    const checkPolicyCondition = (c: string) => (c.trim().endsWith('>') ? 'expected a value after ">"' : undefined);
    const r = parseConfigText(text, { file: 'p.yaml', checkPolicyCondition });
    const p = only(r.errors, 'policies[1].condition');
    expect(p).toMatchObject({ line: 6, message: 'expected a value after ">"' });
    expect(parseConfigText(text, { file: 'p.yaml' }).errors).toEqual([]);
  });
});

describe('model order', () => {
  it('warns about digit-only model names, which JavaScript objects reorder', () => {
    const r = validateConfig({ models: { fast: 'openai', '4': 'anthropic' } });
    expect(only(r.warnings, 'models["4"]').message).toMatch(/matched before/);
  });
});
