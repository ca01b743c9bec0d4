/**
 * A call that first needs the caller's upstream credential. With the
 * credential cached it is dispatched at once; otherwise once it is signed or
 * exchanged, and a cancel that comes in meanwhile stops it from ever being
 * dispatched. A credential that cannot be had settles the call with that
 * error, the way any other failed call settles.
 */
import { GatewayError, toGatewayError } from '../errors.js';
import type { CredentialHeaders } from '../identity/upstream-credentials.js';
import type { CallOutcome, CallRequest } from './replica.js';

export interface Dispatch {
  readonly outcome: Promise<CallOutcome>;
  readonly cancel: (reason: string) => void;
}

export function withCredentials(credentials: CredentialHeaders | Promise<CredentialHeaders>, request: CallRequest, send: (request: CallRequest) => Dispatch): Dispatch {
  if (!(credentials instanceof Promise)) return send(merged(request, credentials));
  let sent: Dispatch | undefined;
  let cancelled: string | undefined;
  const outcome = credentials.then(
    (headers): Promise<CallOutcome> | CallOutcome => {
      if (cancelled !== undefined) return failed(new GatewayError('MCPGW_ERR_CANCELLED', cancelled));
      sent = send(merged(request, headers));
      return sent.outcome;
    },
    (error: unknown) => failed(toGatewayError(error)),
  );
  return {
    outcome,
    cancel: (reason) => {
      if (sent !== undefined) sent.cancel(reason);
      else cancelled ??= reason;
    },
  };
}

function merged(request: CallRequest, credentials: CredentialHeaders): CallRequest {
  return { ...request, headers: request.headers === undefined ? credentials : { ...request.headers, ...credentials } };
}

function failed(error: GatewayError): CallOutcome {
  return { ok: false, error, upstreamMs: 0, queuedMs: 0 };
}
