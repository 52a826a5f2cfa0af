/**
 * What a real-client test runs against: both fake providers (each checking its own provider key), a gateway that
 * routes like the embedded defaults (`gpt-*`, `o1`…`o9*` → provider `openai`, `claude-*` → provider `anthropic`),
 * and a network trap for the client's environment.
 *
 * `startAgentRig({ openai, anthropic, models, yaml })`: extra fake options, extra `models:` entries (checked before
 * the default globs) and extra top-level YAML (`agents:`, `prices:`, …). `rowsOf(agent, count, where)` waits for
 * the agent's audit rows (optionally filtered) and returns them oldest first. `stop()` ends it all.
 */
import { startFakeAnthropic, startFakeOpenAI, type FakeAnthropicOptions, type FakeOpenAIOptions, type FakeUpstream } from '../../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { startNetworkTrap, type NetworkTrap } from './cli-home.js';

/** The keys the gateway holds for the fakes; clients' own keys must never reach them. */
export const OPENAI_PROVIDER_KEY = 'sk-provider-openai-agents-7Hq2';
export const ANTHROPIC_PROVIDER_KEY = 'sk-ant-provider-agents-3Kd9';

export interface AgentRigOptions {
  openai?: FakeOpenAIOptions;
  anthropic?: FakeAnthropicOptions;
  /** More `models:` entries, one per line without indentation, checked before the default globs. */
  models?: string[];
  /** More top-level YAML. */
  yaml?: string;
}

export interface AgentRig {
  openai: FakeUpstream;
  anthropic: FakeUpstream;
  gw: TestGateway;
  trap: NetworkTrap;
  rowsOf(agent: string, count: number, where?: (row: Record<string, unknown>) => boolean): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export async function startAgentRig(options: AgentRigOptions = {}): Promise<AgentRig> {
  const openai = await startFakeOpenAI({ apiKey: OPENAI_PROVIDER_KEY, ...options.openai });
  const anthropic = await startFakeAnthropic({ apiKey: ANTHROPIC_PROVIDER_KEY, ...options.anthropic });
  const trap = await startNetworkTrap();
  const gw = await startTestGateway({
    yaml: [
      'gateway:',
      '  embedded_defaults: false',
      'providers:',
      `  openai: { type: openai, base_url: ${openai.baseURL}, api_key: ${OPENAI_PROVIDER_KEY} }`,
      `  anthropic: { type: anthropic, base_url: ${anthropic.url}, api_key: ${ANTHROPIC_PROVIDER_KEY} }`,
      'models:',
      ...(options.models ?? []).map((m) => `  ${m}`),
      '  "gpt-*": openai',
      '  "o[0-9]*": openai',
      '  "claude-*": anthropic',
      options.yaml ?? '',
    ].join('\n'),
  });
  return {
    openai,
    anthropic,
    gw,
    trap,
    async rowsOf(agent, count, where = () => true) {
      let rows: Record<string, unknown>[] = [];
      await eventually(() => (rows = gw.rows().filter((r) => r['agent'] === agent && where(r))).length >= count);
      return rows;
    },
    async stop() {
      await gw.stop();
      await Promise.all([openai.close(), anthropic.close(), trap.close()]);
    },
  };
}
