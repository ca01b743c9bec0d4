/**
 * What the views and the log may show of a server's credentials: header and
 * environment names (an operator wants to see that `Authorization` is set),
 * never their values; identity settings without their secrets.
 */
import type { UpstreamIdentityConfig } from '../config/types.js';

export const REDACTED = '[redacted]';

/** Log fields that may hold a credential, whatever object they sit in (pino `redact` paths). */
export const REDACTED_LOG_PATHS = [
  'headers.*',
  '*.headers.*',
  'env.*',
  '*.env.*',
  'authorization',
  '*.authorization',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  'signingKey',
  '*.signingKey',
  'bearerToken',
  '*.bearerToken',
];

/** The same keys, every value replaced. */
export function redactValues(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(record).map((key) => [key, REDACTED]));
}

export function identityView(identity: UpstreamIdentityConfig): Record<string, unknown> {
  if (identity.mode === 'signed') {
    const { secret, ...shown } = identity;
    return { ...shown, signedWith: secret === undefined ? 'gateway key (/.well-known/jwks.json)' : 'shared secret (HS256)' };
  }
  const { clientSecret: _secret, ...shown } = identity;
  return shown;
}
