/** What a running gateway derives from its config and its socket: rebuilt on reload and on bind, not per request. */
import { describe, expect, it } from 'vitest';
import { checkPolicyCondition } from '../../../src/app/config-loader.js';
import { RunningConfig, secretsOf } from '../../../src/app/running-config.js';
import { parseConfigText } from '../../../src/config/index.js';
import type { GatewayConfig } from '../../../src/config/types.js';

function config(yaml: string): GatewayConfig {
  const result = parseConfigText(yaml, { file: 'gateway.yaml', env: {}, baseDir: '.', checkPolicyCondition });
  if (!result.config) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.config;
}

const base = 'providers:\n  sim: { type: mock }\nmodels:\n  "m-*": sim\n';

describe('RunningConfig', () => {
  it('names the bound address in its URL, an IPv6 address in brackets', () => {
    const running = new RunningConfig(config(base));
    expect(running.url).toBe('');
    running.boundTo('::1', 4567);
    expect(running.url).toBe('http://[::1]:4567');
    expect(running.port()).toBe(4567);
    running.boundTo('127.0.0.1', 8080);
    expect(running.url).toBe('http://127.0.0.1:8080');
  });

  it('rebuilds the settings on apply: virtual keys, and the response bound the options override', () => {
    const running = new RunningConfig(config(base), 1234);
    expect(running.settings().virtualKeys.size).toBe(0);
    expect(running.settings().maxResponseBytes).toBe(1234);
    running.apply(config(`${base}agents:\n  alice: { keys: [vk-alice-0001] }\n`));
    expect(running.settings().virtualKeys.get('vk-alice-0001')).toBe('alice');
    expect(running.settings().isKnownAgent('alice')).toBe(true);
    expect(running.settings().maxResponseBytes).toBe(1234);
  });

  it('warns of a network address without an admin token, not of loopback', () => {
    const running = new RunningConfig(config(base));
    running.boundTo('127.0.0.1', 1);
    expect(running.exposure()).toBeUndefined();
    running.boundTo('10.0.0.5', 1);
    expect(running.exposure()).toMatch(/without gateway.admin_token/);
  });

  it('lists every secret of a config for the redactor, the webhook URL included', () => {
    const c = config(`${base}agents:\n  alice: { keys: [vk-alice-0001] }\nalerts:\n  webhook: https://hooks.example/T0/secret-path\n`);
    expect(secretsOf(c)).toEqual(expect.arrayContaining(['vk-alice-0001', 'https://hooks.example/T0/secret-path']));
  });
});
