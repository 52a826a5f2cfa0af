/** Azure OpenAI providers in the config: the two URL forms, the api-version, the deployments routed models need. */
import { describe, expect, it } from 'vitest';
import { formatProblem, parseConfigText } from '../../../src/config/index.js';

const parse = (text: string) => parseConfigText(text, { file: 'gateway.yaml', env: {} });
const problems = (text: string) => parse(text).errors.map((p) => ({ path: p.path, message: p.message, line: p.line }));

describe('a provider without base_url', () => {
  it('is told the URL its type speaks: a local server for openai, the public API for gemini and anthropic', () => {
    const hint = (type: string) => parse(`providers:\n  p: { type: ${type} }\n`).errors.map(formatProblem)[0];
    expect(hint('openai')).toContain('e.g. http://127.0.0.1:11434/v1 for Ollama');
    expect(hint('gemini')).toContain('e.g. https://generativelanguage.googleapis.com/v1beta');
    expect(hint('anthropic')).toContain('e.g. https://api.anthropic.com');
  });
});

describe('providers of type azure', () => {
  it('reads the classic form (a pasted /openai dropped), the v1 form and an api-version in base_url', () => {
    const r = parse(
      [
        'providers:',
        '  az: { type: azure, base_url: https://res.openai.azure.com/openai/, api_version: 2024-10-21, deployments: { gpt-4o: prod-4o } }',
        '  v1: { type: azure, base_url: https://res.openai.azure.com/openai/v1, apis: [responses, chat] }',
        '  dated: { type: azure, base_url: "https://res.openai.azure.com?api-version=2024-10-21", deployments: { gpt-4o: d } }',
        'models:',
        '  gpt-4o: az',
        '  gpt-4.1: v1',
      ].join('\n'),
    );
    expect(r.errors.map(formatProblem)).toEqual([]);
    const az = r.config!.providers.get('az')!;
    expect(az).toMatchObject({ baseUrl: 'https://res.openai.azure.com', apis: ['chat'], azure: { form: 'classic', apiVersion: '2024-10-21', deployments: { 'gpt-4o': 'prod-4o' } } });
    expect(r.config!.providers.get('v1')).toMatchObject({ baseUrl: 'https://res.openai.azure.com/openai/v1', apis: ['responses', 'chat'], azure: { form: 'v1', apiVersion: undefined, deployments: {} } });
    expect(r.config!.providers.get('dated')).toMatchObject({ baseUrl: 'https://res.openai.azure.com/?api-version=2024-10-21', azure: { form: 'classic', apiVersion: undefined } });
  });

  it('locates a missing base_url, a missing, doubled or v1 api_version, and Azure keys on another type', () => {
    expect(problems('providers:\n  azure: { type: azure }\n')).toEqual([{ path: 'providers.azure.base_url', message: 'provider "azure" needs a base_url', line: 2 }]);
    expect(problems('providers:\n  az:\n    type: azure\n    base_url: https://res.openai.azure.com\n')).toEqual([
      { path: 'providers.az.api_version', message: 'an Azure OpenAI resource endpoint needs an api-version on every call', line: 2 },
    ]);
    expect(problems('providers:\n  az: { type: azure, base_url: "https://r.openai.azure.com?api-version=2024-10-21", api_version: 2024-10-21 }\n')[0]?.message).toBe(
      'the api-version is set twice: here and in base_url',
    );
    expect(problems('providers:\n  az:\n    type: azure\n    base_url: https://r.openai.azure.com/openai/v1\n    api_version: 2024-10-21\n')).toEqual([
      { path: 'providers.az.api_version', message: 'the Azure v1 API (base_url ending in /openai/v1) takes no api-version', line: 5 },
    ]);
    expect(problems('providers:\n  o:\n    type: openai\n    base_url: http://h/v1\n    deployments: { a: b }\n')).toEqual([
      { path: 'providers.o.deployments', message: 'only Azure OpenAI providers have deployments', line: 5 },
    ]);
  });

  it('requires a deployment for every model an exact route or a fallback sends to a classic resource', () => {
    const text = [
      'providers:',
      '  az: { type: azure, base_url: https://r.openai.azure.com, api_version: 2024-10-21, deployments: { gpt-4o: d } }',
      '  v1: { type: azure, base_url: https://r.openai.azure.com/openai/v1 }',
      '  oa: { type: openai, base_url: http://h/v1 }',
      'models:',
      '  gpt-4o: az',
      '  gpt-4o-mini: az',
      '  fast: { provider: oa, model: o3, fallbacks: [az] }',
      '  gpt-4.1: v1',
      '  "gpt-5*": az',
    ].join('\n');
    expect(problems(text)).toEqual([
      { path: 'models.gpt-4o-mini', message: 'model "gpt-4o-mini" goes to Azure provider "az", which has no deployment for it', line: 7 },
      { path: 'models.fast.fallbacks[0]', message: 'model "o3" goes to Azure provider "az", which has no deployment for it', line: 8 },
    ]);
  });
});
