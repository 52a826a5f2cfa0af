/**
 * The README's provider section promises one working config example per provider type. Each example is loaded as
 * written — only the provider's host is moved to a local fake of that provider — and one request goes through it.
 * A new provider type without an example, or an example that stopped working, fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { checkPolicyCondition } from '../../src/app/gateway.js';
import { parseConfigText } from '../../src/config/index.js';
import { REGISTERED_PROVIDER_TYPES } from '../../src/providers/registry.js';
import { startFakeAnthropic, startFakeAzure, startFakeGemini, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { ROOT } from '../helpers/cli.js';
import { agentRows, startTestGateway } from '../helpers/gateway.js';

interface Example {
  type: string;
  model: string;
  config: Record<string, unknown>;
}

/** The fenced YAML blocks of the README's "## Providers" section that start with `# example <type>: <model>`. */
/** Every fenced YAML block of the README's "## Providers" section. */
function providerSectionYaml(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Providers\n');
  const end = readme.indexOf('\n## ', start + 1);
  return readme
    .slice(start, end)
    .split('```yaml\n')
    .slice(1)
    .map((block) => block.slice(0, block.indexOf('```')));
}

function readmeExamples(): Example[] {
  const examples: Example[] = [];
  for (const text of providerSectionYaml()) {
    const head = /^# example ([a-z-]+): (\S+)\n/.exec(text);
    if (head) examples.push({ type: head[1]!, model: head[2]!, config: parse(text) as Record<string, unknown> });
  }
  return examples;
}

/** Where each type's requests go in the test: the fake's origin replaces the example's (path and query stay). */
const DEFAULT_BASE: Record<string, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com/v1beta',
};

const ENV = { OPENAI_API_KEY: 'sk-readme-openai-4f2a', ANTHROPIC_API_KEY: 'sk-ant-readme-9c1d', AZURE_OPENAI_API_KEY: 'azure-readme-key-7e3b', GEMINI_API_KEY: 'gemini-readme-key-2d8f' };
const examples = readmeExamples();
const fakes: Record<string, FakeUpstream> = {};

beforeAll(async () => {
  fakes.openai = await startFakeOpenAI();
  fakes.anthropic = await startFakeAnthropic();
  fakes.gemini = await startFakeGemini({ apiKey: ENV.GEMINI_API_KEY });
  // The deployments the README's Azure examples name.
  fakes.azure = await startFakeAzure({ apiKey: ENV.AZURE_OPENAI_API_KEY, deployments: { 'gpt-4o-prod': 'gpt-4o', 'gpt-4o-mini': 'gpt-4o-mini', 'gpt-4.1-prod': 'gpt-4.1' } });
});
afterAll(async () => {
  for (const fake of Object.values(fakes)) await fake.close();
});

/** The example with every provider moved onto its fake, embedded defaults off (so only the example routes). */
function onFakes(example: Example): string {
  const providers = example.config.providers as Record<string, Record<string, unknown>>;
  for (const provider of Object.values(providers)) {
    const type = String(provider.type);
    if (type === 'mock') continue;
    const fake = fakes[type];
    if (!fake) throw new Error(`no fake provider for type ${type}: add one to this test`);
    const url = new URL(String(provider.base_url ?? DEFAULT_BASE[type]));
    provider.base_url = fake.url + url.pathname.replace(/\/$/, '') + url.search;
  }
  return stringify({ ...example.config, gateway: { ...(example.config.gateway as object), embedded_defaults: false } });
}

describe('README provider examples', () => {
  it('every config block of the section (retries, key pools, routing rules included) is valid as written', () => {
    const env = { OPENAI_API_KEY: 'k1', ANTHROPIC_API_KEY: 'k2', GEMINI_API_KEY: 'k3', AZURE_OPENAI_API_KEY: 'k4', OPENAI_KEY_1: 'k5', OPENAI_KEY_2: 'k6' };
    const blocks = providerSectionYaml();
    expect(blocks.length).toBeGreaterThanOrEqual(9);
    for (const text of blocks) {
      const result = parseConfigText(text, { file: 'README.md', env, baseDir: ROOT, checkPolicyCondition });
      expect(result.errors.map((e) => e.message), text).toEqual([]);
      expect(result.warnings.map((e) => e.message), text).toEqual([]);
    }
  });

  it('has one example per provider type the gateway builds', () => {
    const covered = new Set(examples.map((e) => e.type));
    expect([...REGISTERED_PROVIDER_TYPES].filter((t) => !covered.has(t))).toEqual([]);
  });

  for (const example of examples) {
    it(`${example.type} example answers ${example.model} with its cost on the audit row`, async () => {
      const gw = await startTestGateway({ yaml: onFakes(example), env: ENV });
      try {
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-agent-id': 'readme' },
          body: JSON.stringify({ model: example.model, messages: [{ role: 'user', content: 'Say hi.' }], max_tokens: 64 }),
        });
        expect(res.status, await res.clone().text()).toBe(200);
        const body = (await res.json()) as { choices: { message: { content: string } }[] };
        expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
        const [row] = await agentRows(gw, 'readme');
        expect(Object.keys(example.config.providers as object)).toContain(row!.provider);
        expect(row!.status).toBe(200);
        // Priced from the bundled table, or from the example's own `prices:` (a free local model costs exactly 0).
        const ownPrice = example.config.prices !== undefined;
        if (ownPrice) expect(row!.cost_usd).toBe(0);
        else expect(row!.cost_usd).toBeGreaterThan(0);
      } finally {
        await gw.stop();
      }
    });
  }
});
