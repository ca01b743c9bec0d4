/**
 * The one error table. Every error the gateway reports carries a stable `code`
 * (match on it, never on the class or the message). Each entry fixes the HTTP
 * status used on REST, the JSON-RPC code used on MCP, and whether the error may
 * be shown to a client at all (`wire: false` errors are local: config, startup).
 *
 * docs/errors.md lists the same table; test/internals/errors.test.ts keeps the
 * two in step in both directions.
 */
export const ERRORS = {
  MCPGW_ERR_BAD_JSON: { status: 400, rpc: -32700, wire: true, summary: 'The request body is not valid JSON.' },
  MCPGW_ERR_BAD_REQUEST: { status: 400, rpc: -32600, wire: true, summary: 'The request is well-formed JSON but not a valid request for this endpoint.' },
  MCPGW_ERR_BODY_TOO_LARGE: { status: 413, rpc: -32600, wire: true, summary: 'The request body exceeds `maxBodyBytes`.' },
  MCPGW_ERR_JSON_TOO_DEEP: { status: 400, rpc: -32600, wire: true, summary: 'The request body nests objects and arrays deeper than `maxJsonDepth`.' },
  MCPGW_ERR_HEADERS_TOO_LARGE: { status: 431, rpc: -32600, wire: true, summary: 'The request headers exceed `maxHeaderBytes`.' },
  MCPGW_ERR_REQUEST_TIMEOUT: { status: 408, rpc: -32600, wire: true, summary: 'The request (headers and body) did not arrive within `requestTimeoutMs`.' },
  MCPGW_ERR_ROUTE_NOT_FOUND: { status: 404, rpc: -32601, wire: true, summary: 'No such HTTP route.' },
  MCPGW_ERR_METHOD_NOT_ALLOWED: { status: 405, rpc: -32601, wire: true, summary: 'The route exists but not for this HTTP method.' },
  MCPGW_ERR_INVALID_PARAMS: { status: 400, rpc: -32602, wire: true, summary: 'The MCP request\'s params are missing or malformed (for 2026-07-28: the `_meta` envelope).' },
  MCPGW_ERR_HEADER_MISMATCH: { status: 400, rpc: -32020, wire: true, summary: 'A 2026-07-28 request\'s `MCP-Protocol-Version`, `Mcp-Method` or `Mcp-Name` header is missing or disagrees with its body.' },
  MCPGW_ERR_UNSUPPORTED_VERSION: { status: 400, rpc: -32022, wire: true, summary: 'The request names a protocol version the gateway does not serve; `data.supported` lists those it does.' },
  MCPGW_ERR_METHOD_NOT_FOUND: { status: 404, rpc: -32601, wire: true, summary: 'No such MCP method in the request\'s protocol era (2026-07-28 removed `ping`, `initialize`, `logging/setLevel`, …).' },
  MCPGW_ERR_FORBIDDEN_ORIGIN: { status: 403, rpc: -32600, wire: true, summary: 'A browser `Origin` that is neither loopback nor in `corsOrigins` (DNS-rebinding protection).' },
  MCPGW_ERR_SESSION_REQUIRED: { status: 400, rpc: -32000, wire: true, summary: 'A 2025-era request other than `initialize` came without an `Mcp-Session-Id`.' },
  MCPGW_ERR_UNKNOWN_SESSION: { status: 404, rpc: -32001, wire: true, summary: 'The `Mcp-Session-Id` names no live session (never existed, deleted or expired); initialize again.' },
  MCPGW_ERR_BAD_REQUEST_STATE: { status: 400, rpc: -32602, wire: true, summary: 'A multi-round-trip retry carried a `requestState` the gateway did not issue, that was altered, or that expired.' },
  MCPGW_ERR_MISSING_CAPABILITY: { status: 400, rpc: -32021, wire: true, summary: 'The upstream needs input (elicitation, sampling, roots) the client did not declare it can give.' },
  MCPGW_ERR_UNAUTHORIZED: { status: 401, rpc: -32010, wire: true, summary: 'No credential, or one the gateway does not accept (unknown key; bad, expired or foreign token); the reason is in the message, never the secret.' },
  MCPGW_ERR_INSUFFICIENT_SCOPE: { status: 403, rpc: -32011, wire: true, summary: 'A valid token that lacks a scope the gateway requires (`auth.oauth.scopes`); `WWW-Authenticate` names it.' },
  MCPGW_ERR_FORBIDDEN: { status: 403, rpc: -32011, wire: true, summary: 'The caller is authenticated but the access rules do not let it use this tool, resource, prompt or session.' },
  MCPGW_ERR_RATE_LIMITED: { status: 429, rpc: -32029, wire: true, summary: 'A rate limit is used up; `Retry-After` and `data.retryAfterSeconds` say when to try again.' },
  MCPGW_ERR_QUOTA_EXCEEDED: { status: 429, rpc: -32030, wire: true, summary: 'The tenant\'s daily call quota (`tenants.<name>.quota.callsPerDay`) is used up; it renews at 00:00 UTC, which `Retry-After` and `data.retryAfterSeconds` count down to.' },
  MCPGW_ERR_RATE_LIMIT_UNAVAILABLE: { status: 503, rpc: -32603, wire: true, summary: 'The shared rate-limit store (Redis) cannot be reached and `rateLimit.redis.onError` is `fail-closed`.' },
  MCPGW_ERR_PEER_UNAVAILABLE: { status: 503, rpc: -32603, wire: true, summary: 'The request belongs to a call held by another gateway instance, which cannot be reached right now (or left the cluster).' },
  MCPGW_ERR_NOT_CLUSTERED: { status: 400, rpc: -32600, wire: true, summary: 'A cluster view (`?scope=cluster`) was asked of a gateway running without `cluster.enabled`.' },
  MCPGW_ERR_AUTH_UNAVAILABLE: { status: 503, rpc: -32603, wire: true, summary: 'The token cannot be checked right now (the JWKS or introspection endpoint is slow or unreachable).' },
  MCPGW_ERR_UNKNOWN_TOOL: { status: 404, rpc: -32602, wire: true, summary: 'No enabled server offers a tool of that name.' },
  MCPGW_ERR_UNKNOWN_SERVER: { status: 404, rpc: -32602, wire: true, summary: 'No server has that id.' },
  MCPGW_ERR_INVALID_ARGUMENTS: { status: 400, rpc: -32602, wire: true, summary: 'The tool call\'s `arguments` do not match the tool\'s `inputSchema`; `data.errors` lists what is wrong. The upstream was not called.' },
  MCPGW_ERR_UNKNOWN_TASK: { status: 404, rpc: -32602, wire: true, summary: 'The task id was not issued by this gateway, is malformed, or belongs to a server or replica that is gone.' },
  MCPGW_ERR_UNKNOWN_REQUEST: { status: 404, rpc: -32602, wire: true, summary: 'No request-log entry has that id: it was never recorded, or retention (`monitor.retentionHours`, `monitor.maxEntries`) dropped it.' },
  MCPGW_ERR_NOT_REPLAYABLE: { status: 422, rpc: -32602, wire: true, summary: 'The request-log entry or capture cannot be replayed: its request was not captured, or its arguments were cut to `monitor.capture.maxBytes` and no `arguments` were given.' },
  MCPGW_ERR_CAPTURE_REDACTED: { status: 422, rpc: -32602, wire: true, summary: 'The captured arguments were redacted, so the capture is not the call that was made; `data.fields` lists the JSON Pointers of the redacted fields to give in `arguments`.' },
  MCPGW_ERR_AMBIGUOUS_TOOL: { status: 409, rpc: -32602, wire: true, summary: 'Several servers offer the tool; name one with `server` or `<serverId>__<tool>`.' },
  MCPGW_ERR_SUBSCRIPTIONS_UNSUPPORTED: { status: 400, rpc: -32602, wire: true, summary: 'The server that offers the resource does not support resource subscriptions.' },
  MCPGW_ERR_INPUT_REQUIRED: { status: 409, rpc: -32600, wire: true, summary: 'The tool needs input from the client (elicitation, sampling, roots); only the MCP endpoint can carry that.' },
  MCPGW_ERR_APPROVAL_DENIED: { status: 403, rpc: -32031, wire: true, summary: 'The tool call needed human approval (`approval.rules`) and was denied (by an approver, or declined by the asked client); the upstream was not called.' },
  MCPGW_ERR_APPROVAL_TIMEOUT: { status: 504, rpc: -32032, wire: true, summary: 'The tool call needed human approval and nobody decided within the rule\'s timeout (`approval.timeoutSeconds`); the upstream was not called.' },
  MCPGW_ERR_APPROVAL_LIMIT: { status: 503, rpc: -32603, wire: true, summary: 'The tool call needed human approval, but `approval.maxPending` calls already wait for an approver; it was refused at once.' },
  MCPGW_ERR_UNKNOWN_APPROVAL: { status: 404, rpc: -32602, wire: true, summary: 'No call waits for approval under that id: never held, already decided, timed out, or its client went away.' },
  MCPGW_ERR_UPSTREAM_REJECTED: { status: 400, rpc: -32602, wire: true, summary: 'The upstream refused the request as invalid (JSON-RPC -32602/-32600); its message is in `data`.' },
  MCPGW_ERR_UPSTREAM: { status: 502, rpc: -32603, wire: true, summary: 'The upstream answered with a JSON-RPC error.' },
  MCPGW_ERR_UPSTREAM_IDENTITY: { status: 502, rpc: -32603, wire: true, summary: 'The gateway could not get the caller\'s credential for the upstream (`servers[].identity`): the token endpoint failed, timed out or refused the exchange. The upstream was not called.' },
  MCPGW_ERR_UPSTREAM_CRASHED: { status: 502, rpc: -32603, wire: true, summary: 'The upstream connection or process ended while the call was in flight (for an HTTP upstream: the connection was refused or reset).' },
  MCPGW_ERR_UPSTREAM_BAD_RESPONSE: { status: 502, rpc: -32603, wire: true, summary: 'The upstream sent something that is not a valid answer (for an HTTP upstream: a 5xx status, in `data.httpStatus`).' },
  MCPGW_ERR_RESPONSE_TOO_LARGE: { status: 502, rpc: -32603, wire: true, summary: 'The upstream\'s answer is larger than the server\'s `maxResponseBytes`; it was dropped unread.' },
  MCPGW_ERR_SERVER_UNAVAILABLE: { status: 503, rpc: -32603, wire: true, summary: 'The server is starting, restarting, failed or stopped.' },
  MCPGW_ERR_CIRCUIT_OPEN: { status: 503, rpc: -32603, wire: true, summary: 'The server\'s circuit breaker is open after repeated upstream failures; calls fail at once until a probe succeeds (`data.retryAfterSeconds`).' },
  MCPGW_ERR_QUEUE_FULL: { status: 503, rpc: -32603, wire: true, summary: 'The server is at `maxConcurrency` and its queue (`maxQueue`) is full.' },
  MCPGW_ERR_SHUTTING_DOWN: { status: 503, rpc: -32603, wire: true, summary: 'The gateway is stopping and takes no new calls.' },
  MCPGW_ERR_TIMEOUT: { status: 504, rpc: -32603, wire: true, summary: 'The call exceeded the server `timeout`; it was cancelled upstream.' },
  MCPGW_ERR_CANCELLED: { status: 499, rpc: -32603, wire: true, summary: 'The client went away; the call was cancelled upstream.' },
  MCPGW_ERR_INTERNAL: { status: 500, rpc: -32603, wire: true, summary: 'A gateway bug; the log has the details.' },
  MCPGW_ERR_RELOAD_REFUSED: { status: 422, rpc: -32602, wire: true, summary: 'A config reload was refused: the new file is invalid (`data.errors` lists each field and what is wrong); the running config stays.' },
  MCPGW_ERR_CONFIG: { status: 500, rpc: -32603, wire: false, summary: 'The configuration is invalid; the message lists each field and what is wrong.' },
  MCPGW_ERR_CONFIG_NOT_FOUND: { status: 500, rpc: -32603, wire: false, summary: 'The configuration file does not exist or cannot be read.' },
  MCPGW_ERR_UNSUPPORTED_FEATURE: { status: 500, rpc: -32603, wire: false, summary: 'The configuration asks for a feature this version does not provide yet.' },
  MCPGW_ERR_SANDBOX_UNAVAILABLE: { status: 500, rpc: -32603, wire: false, summary: 'A stdio server asks for `sandbox: bubblewrap` but the `bwrap` binary cannot be found or run; the server does not start (never unsandboxed).' },
  MCPGW_ERR_LISTEN: { status: 500, rpc: -32603, wire: false, summary: 'The HTTP front door could not listen on the configured host and port.' },
} as const satisfies Record<string, ErrorSpec>;

export interface ErrorSpec {
  /** HTTP status on the REST API. */
  readonly status: number;
  /** JSON-RPC error code on the MCP endpoint. */
  readonly rpc: number;
  /** False for errors that never reach a client (they stop the process instead). */
  readonly wire: boolean;
  readonly summary: string;
}

export type ErrorCode = keyof typeof ERRORS;

/** The shape errors take when they cross a thread or the wire: structured clone drops classes. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly data?: unknown;
}

const BRAND = Symbol.for('mcp-gateway.error');

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly data: unknown;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, data?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.data = data;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  toWire(): WireError {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }

  static fromWire(wire: WireError): GatewayError {
    return new GatewayError(wire.code, wire.message, wire.data);
  }

  /** Recognises errors from another copy of this module (a worker bundle, a second install). */
  static is(value: unknown): value is GatewayError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** Anything thrown, as a GatewayError: unknown throwables become MCPGW_ERR_INTERNAL. */
export function toGatewayError(error: unknown): GatewayError {
  if (GatewayError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError('MCPGW_ERR_INTERNAL', message, undefined, { cause: error });
}

/** The REST body: `{"error":{"code","message","data"?}}`. */
export function restErrorBody(error: GatewayError | WireError): string {
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.data !== undefined) body.data = error.data;
  return JSON.stringify({ error: body });
}

/** The JSON-RPC error object for the MCP endpoint; the gateway code travels in `data.code`. */
export function jsonRpcError(error: GatewayError | WireError): { code: number; message: string; data: Record<string, unknown> } {
  const data: Record<string, unknown> = { code: error.code };
  if (error.data !== undefined) data.detail = error.data;
  return { code: ERRORS[error.code].rpc, message: error.message, data };
}
