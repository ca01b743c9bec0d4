/**
 * The last hop of a caller's upstream credential: the main thread sends it
 * under IDENTITY_CARRIER_HEADER (the SDK would drop a per-request
 * `Authorization`), and this fetch, installed only for servers with
 * `identity`, moves it to the configured header as the request leaves. A
 * value there from the static `headers` (a service credential for the
 * gateway's own requests: connect, lists, health checks) is replaced on calls.
 */
import { IDENTITY_CARRIER_HEADER } from '../src/threads/messages.js';

type Fetch = typeof fetch;

export function carryIdentity(header: string, base: Fetch = fetch): Fetch {
  return (input, init) => {
    if (init?.headers === undefined) return base(input, init);
    const headers = new Headers(init.headers);
    const value = headers.get(IDENTITY_CARRIER_HEADER);
    if (value === null) return base(input, init);
    headers.delete(IDENTITY_CARRIER_HEADER);
    headers.set(header, value);
    return base(input, { ...init, headers });
  };
}
