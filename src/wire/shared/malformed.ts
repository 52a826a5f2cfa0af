/**
 * An upstream stream event that does not parse (`data: <html>502…` in the middle of a stream): nothing after
 * it can be trusted, so every stream relay ends the client's stream there with its format's error event. The
 * code is the one a whole body that does not parse gets.
 */
import { GatewayError } from '../../core/errors.js';

export const MALFORMED_UPSTREAM_CODE = 'invalid_upstream_response';

export function malformedStreamError(data: string): GatewayError {
  return new GatewayError('upstream_error', 'Upstream sent a malformed stream event.', {
    status: 502,
    code: MALFORMED_UPSTREAM_CODE,
    upstreamBody: data.slice(0, 200),
  });
}

export function isMalformedUpstream(error: GatewayError): boolean {
  return error.code === MALFORMED_UPSTREAM_CODE;
}
