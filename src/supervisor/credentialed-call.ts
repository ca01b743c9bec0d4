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
  let cancelled = false;
  let settle!: (outcome: CallOutcome) => void;
  const outcome = new Promise<CallOutcome>((resolve) => (settle = resolve));
  credentials.then(
    (headers) => {
      if (cancelled) return;
      try {
        sent = send(merged(request, headers));
      } catch (error) {
        return settle(failed(toGatewayError(error)));
      }
      void sent.outcome.then(settle);
    },
    (error: unknown) => settle(failed(toGatewayError(error))),
  );
  return {
    outcome,
    cancel: (reason) => {
      if (sent !== undefined) return sent.cancel(reason);
      // Settled at once: the caller is gone, and a slow token endpoint must not hold its answer.
      if (!cancelled) settle(failed(new GatewayError('MCPGW_ERR_CANCELLED', reason)));
      cancelled = true;
    },
  };
}

function merged(request: CallRequest, credentials: CredentialHeaders): CallRequest {
  return { ...request, headers: request.headers === undefined ? credentials : { ...request.headers, ...credentials } };
}

function failed(error: GatewayError): CallOutcome {
  return { ok: false, error, upstreamMs: 0, queuedMs: 0 };
}
