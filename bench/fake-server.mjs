/**
 * Child process hosting both fake providers for the benchmark (bundled from test/fakes by run.mjs). Talks to
 * the parent over IPC: sends `{ type: 'ready', openai, anthropic }`, accepts
 * `{ type: 'scenario', scenario }` (answers `{ type: 'ok' }`) and `{ type: 'close' }`.
 */
import { startFakeAnthropic, startFakeOpenAI } from '../node_modules/.cache/ai-gateway-bench/fakes.mjs';

const OPENAI_KEY = process.env.BENCH_OPENAI_KEY ?? 'sk-bench';
const ANTHROPIC_KEY = process.env.BENCH_ANTHROPIC_KEY ?? 'sk-ant-bench';

const options = { recordResponses: false };
const openai = await startFakeOpenAI({ ...options, apiKey: OPENAI_KEY });
const anthropic = await startFakeAnthropic({ ...options, apiKey: ANTHROPIC_KEY });

// The fakes keep a record of every request; forget them often so a long run does not grow the heap. The
// default scenario survives because it is set again right after.
let scenario = null;
setInterval(() => {
  openai.reset();
  anthropic.reset();
  if (scenario) {
    openai.setScenario(scenario);
    anthropic.setScenario(scenario);
  }
}, 500).unref();

process.on('message', async (msg) => {
  if (msg?.type === 'scenario') {
    scenario = msg.scenario;
    openai.setScenario(scenario);
    anthropic.setScenario(scenario);
    process.send?.({ type: 'ok' });
  } else if (msg?.type === 'close') {
    await Promise.all([openai.close(), anthropic.close()]);
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

process.send?.({ type: 'ready', openai: openai.baseURL, anthropic: anthropic.baseURL });
