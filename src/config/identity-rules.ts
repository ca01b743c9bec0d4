/**
 * What the schema cannot say about identity to upstreams: which fields belong
 * to which mode, which transports can carry a per-call header at all, which
 * header names are the transport's own, and whether the signing key is one
 * the gateway can sign with.
 */
import { signingKeyProblem } from '../identity/signing-key.js';
import { IDENTITY_CARRIER_HEADER } from '../threads/messages.js';
import type { ConfigIssue } from './schema.js';
import type { UpstreamTransport } from './types.js';

type Path = (string | number)[];
type Report = (path: Path, message: string) => void;

const SIGNED_ONLY = ['ttlSeconds', 'claims', 'secret'] as const;
const EXCHANGE_ONLY = ['tokenEndpoint', 'clientId', 'clientSecret', 'resource', 'scope', 'timeoutMs'] as const;
const EXCHANGE_REQUIRED = ['tokenEndpoint', 'clientId', 'clientSecret'] as const;

/** Headers the MCP transport or HTTP itself sets; an identity header must not fight them. */
const TRANSPORT_HEADERS = new Set(['accept', 'accept-encoding', 'connection', 'content-length', 'content-type', 'host', 'keep-alive', 'last-event-id', 'te', 'transfer-encoding', 'upgrade', IDENTITY_CARRIER_HEADER]);

/** Why each non-HTTP transport cannot carry a caller's identity per call. */
const NO_PER_CALL_HEADERS: Readonly<Record<Exclude<UpstreamTransport, 'streamable-http'>, string>> = {
  stdio: 'a stdio server has no HTTP request to carry it',
  websocket: "one WebSocket connection carries every caller's calls, so no header can travel per call",
  sse: "the SDK's HTTP+SSE client transport sends every message without per-request headers",
};

export function gatewayIdentityIssues(identity: unknown): ConfigIssue[] {
  if (!isRecord(identity) || typeof identity.signingKey !== 'string' || !identity.signingKey.includes('-----BEGIN ')) return [];
  const problem = signingKeyProblem(identity.signingKey);
  return problem === undefined ? [] : [{ path: 'identity.signingKey', message: problem }];
}

/** `servers[index].identity`, given the server's (canonical or inferred) transport. */
export function serverIdentityIssues(identity: unknown, transport: UpstreamTransport | undefined, at: Path, report: Report): void {
  if (!isRecord(identity)) return;
  if (transport !== undefined && transport !== 'streamable-http') {
    report(at, `is only for streamable-http servers: ${NO_PER_CALL_HEADERS[transport]}`);
  }
  if (identity.mode === 'signed') {
    for (const key of EXCHANGE_ONLY) if (identity[key] !== undefined) report([...at, key], 'is only for mode: exchange');
  } else if (identity.mode === 'exchange') {
    for (const key of SIGNED_ONLY) if (identity[key] !== undefined) report([...at, key], 'is only for mode: signed');
    for (const key of EXCHANGE_REQUIRED) if (identity[key] === undefined) report([...at, key], 'is required for mode: exchange');
    if (typeof identity.tokenEndpoint === 'string' && !/^https?:\/\//i.test(identity.tokenEndpoint)) {
      report([...at, 'tokenEndpoint'], `must be an http:// or https:// URL (got ${JSON.stringify(identity.tokenEndpoint)})`);
    }
  }
  if (typeof identity.header === 'string') {
    const header = identity.header.toLowerCase();
    if (TRANSPORT_HEADERS.has(header) || header.startsWith('mcp-')) {
      report([...at, 'header'], `must not be "${identity.header}": the MCP transport sets that header itself (use authorization or a header of your own, e.g. x-user-token)`);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
