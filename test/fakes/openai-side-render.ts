/**
 * Renderers for the OpenAI endpoints a gateway only passes through: legacy completions, image generation,
 * speech and batches. Shapes follow the API reference; bytes are deterministic per seed, like the chat fake's.
 */
import { IdSource } from './ids.js';
import { stringField, type JsonObject } from './json.js';
import { bodyPlan, streamPlan, type ResponsePlan } from './plan.js';
import { buildReply, replyText, type ContentScenario, type RenderEnv } from './reply.js';
import { OPENAI_DONE, openAIFrame, SSE_HEADERS } from './sse.js';
import { wireUsage, type ResolvedUsage } from './usage.js';

const JSON_TYPE = { 'content-type': 'application/json' };

function legacyUsage(u: ResolvedUsage): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output };
}

/** POST /v1/completions: `text_completion` objects, streamed as chunks of the same shape when asked. */
export function renderOpenAICompletions(scenario: ContentScenario, body: JsonObject, env: RenderEnv): ResponsePlan {
  const ids = new IdSource(env.seed);
  const id = `cmpl-${ids.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 29)}`;
  const model = scenario.model ?? stringField(body, 'model') ?? 'gpt-3.5-turbo-instruct';
  const stream = body['stream'] === true;
  const reply = buildReply(scenario, { model, stream, lastUserText: '', stopSequences: [], lastToolOutput: '' }, { toolCallId: () => '', signature: () => '' });
  const usage = wireUsage(legacyUsage(reply.usage), reply.usageWire);
  const headers = { 'x-request-id': ids.openAIRequestId(), 'openai-processing-ms': '212' };
  const base = { id, object: 'text_completion', created: env.created, model };
  if (!stream) {
    const out = { ...base, choices: [{ text: replyText(reply), index: 0, logprobs: null, finish_reason: 'stop' }], ...(usage === undefined ? {} : { usage }) };
    return bodyPlan(200, { ...JSON_TYPE, ...headers }, Buffer.from(JSON.stringify(out, null, 2), 'utf8'));
  }
  const options = body['stream_options'];
  const includeUsage = typeof options === 'object' && options !== null && (options as JsonObject)['include_usage'] === true;
  const frames = [
    ...reply.textChunks.map((text) => openAIFrame({ ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: null }] })),
    openAIFrame({ ...base, choices: [{ text: '', index: 0, logprobs: null, finish_reason: 'stop' }] }),
    ...(includeUsage && usage !== undefined ? [openAIFrame({ ...base, choices: [], usage })] : []),
    OPENAI_DONE,
  ];
  return streamPlan(200, { ...SSE_HEADERS, ...headers }, frames, reply.delayMs);
}

/** A 1×1 transparent PNG: the smallest real image. */
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** POST /v1/images/generations: `b64_json` images, `n` of them. */
export function renderOpenAIImages(body: JsonObject, env: RenderEnv): ResponsePlan {
  const ids = new IdSource(env.seed);
  const n = typeof body['n'] === 'number' && body['n'] > 0 ? Math.min(10, Math.floor(body['n'])) : 1;
  const out = { created: env.created, data: Array.from({ length: n }, () => ({ b64_json: PNG_1X1, revised_prompt: stringField(body, 'prompt') ?? '' })) };
  return bodyPlan(200, { ...JSON_TYPE, 'x-request-id': ids.openAIRequestId() }, Buffer.from(JSON.stringify(out, null, 2), 'utf8'));
}

/** POST /v1/audio/speech: audio bytes, not JSON (an MPEG frame header, then deterministic filler). */
export function renderOpenAISpeech(body: JsonObject, env: RenderEnv): ResponsePlan {
  const ids = new IdSource(env.seed);
  const text = stringField(body, 'input') ?? '';
  const audio = Buffer.alloc(2048 + text.length * 64);
  audio.set([0xff, 0xfb, 0x90, 0x64]);
  for (let i = 4; i < audio.length; i++) audio[i] = (i * 31 + env.seed) & 0xff;
  const type = body['response_format'] === 'wav' ? 'audio/wav' : 'audio/mpeg';
  return bodyPlan(200, { 'content-type': type, 'x-request-id': ids.openAIRequestId() }, audio);
}

/** POST /v1/batches: the new batch, validating. */
export function renderOpenAIBatch(body: JsonObject, env: RenderEnv): ResponsePlan {
  const ids = new IdSource(env.seed);
  const out = {
    id: `batch_${ids.chars('0123456789abcdef', 32)}`,
    object: 'batch',
    endpoint: stringField(body, 'endpoint') ?? '/v1/chat/completions',
    errors: null,
    input_file_id: stringField(body, 'input_file_id') ?? '',
    completion_window: stringField(body, 'completion_window') ?? '24h',
    status: 'validating',
    output_file_id: null,
    error_file_id: null,
    created_at: env.created,
    in_progress_at: null,
    expires_at: env.created + 86_400,
    completed_at: null,
    failed_at: null,
    expired_at: null,
    request_counts: { total: 0, completed: 0, failed: 0 },
    metadata: body['metadata'] ?? null,
  };
  return bodyPlan(200, { ...JSON_TYPE, 'x-request-id': ids.openAIRequestId() }, Buffer.from(JSON.stringify(out, null, 2), 'utf8'));
}
