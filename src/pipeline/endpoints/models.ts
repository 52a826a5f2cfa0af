/** `GET /v1/models`: the models this gateway routes (exact names and aliases), in the client's list shape. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PipelineDeps } from '../ports.js';
import { sendJson } from '../respond.js';

export function listModels(req: IncomingMessage, res: ServerResponse, deps: PipelineDeps): void {
  const list = deps.directory.modelIds();
  const created = Math.floor(deps.clock.now() / 1000);
  if (req.headers['anthropic-version'] !== undefined) {
    const data = list.map((id) => ({ type: 'model', id, display_name: id, created_at: new Date(created * 1000).toISOString() }));
    sendJson(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  } else {
    sendJson(res, 200, { object: 'list', data: list.map((id) => ({ id, object: 'model', created, owned_by: 'ai-gateway' })) });
  }
}
