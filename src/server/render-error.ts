/**
 * Error rendering for the server's own refusals and routes: the same functions the pipeline answers with
 * (src/pipeline/respond.ts), so a refusal at the edge and one in the pipeline look alike to a client.
 */
export { sendError, sendJson, toGatewayError } from '../pipeline/respond.js';
