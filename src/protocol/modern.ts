/**
 * MCP 2026-07-28 on the gateway's front door: stateless POSTs, the `_meta`
 * envelope, the routing headers checked against the body before anything is
 * routed, `server/discover`, and `resultType`/cache hints on every result.
 */
import { GatewayError, toGatewayError } from '../errors.js';
import type { HttpRequest } from '../front-door/engine.js';
import type { Caller } from '../policy/caller.js';
import { dispatchShared, SHARED_METHODS, type Arrival, type CallerContext } from './dispatch.js';
import type { Exchange } from './exchange.js';
import { stampObject, stampObjectBytes } from '../json-member.js';
import { errorFrame, resultFrame, type Inbound } from './jsonrpc.js';
import { asBuffer, jsonTextString, type JsonText } from '../json-text.js';
import type { ListenHub } from './listen.js';
import type { McpService } from './mcp-service.js';
import { MODERN_TASK_METHODS } from './tasks.js';
import { META_CLIENT_CAPABILITIES, META_SERVER_INFO, MODERN_VERSION, SUPPORTED_VERSIONS } from './versions.js';

/**
 * Methods whose target is named in the `Mcp-Name` header. A Map, not an object
 * literal: the method is the client's string, and `constructor` or `__proto__`
 * must not find something on Object.prototype.
 */
const NAMED: ReadonlyMap<string, 'name' | 'uri' | 'taskId'> = new Map([
  ['tools/call', 'name'],
  ['prompts/get', 'name'],
  ['resources/read', 'uri'],
  // The tasks extension's Streamable HTTP binding: the (gateway's) task id, so intermediaries can route on it.
  ['tasks/get', 'taskId'],
  ['tasks/update', 'taskId'],
  ['tasks/cancel', 'taskId'],
]);

export interface ModernContext {
  readonly service: McpService;
  readonly listen: ListenHub;
  readonly serverInfo: { readonly name: string; readonly version: string };
  readonly instructions?: string;
}

export async function handleModern(request: HttpRequest, inbound: Inbound, version: string, exchange: Exchange, context: ModernContext, who: Caller, arrival: Arrival): Promise<void> {
  const id = inbound.kind === 'request' ? inbound.message.id : null;
  try {
    if (inbound.kind === 'response') throw new GatewayError('MCPGW_ERR_BAD_REQUEST', 'the gateway sends no requests to 2026-07-28 clients, so it expects no responses');
    const { method, params } = inbound.message;
    checkEnvelope(request, version, method, params);
    if (inbound.kind === 'notification') {
      // Cancellation is the request's own stream closing; other notifications need no answer either.
      exchange.empty(202);
      return;
    }
    if (inbound.message.method === 'subscriptions/listen') {
      context.listen.open(inbound.message.id, params, exchange, { caller: who, resourceOwner: (uri) => context.service.resourceOwner(uri, who) });
      return;
    }
    const caller = { caller: who, clientCapabilities: (params._meta as Record<string, unknown>)[META_CLIENT_CAPABILITIES], canPark: true, ...withParamHeaders(request.headers) };
    const served = await serve(context, inbound.message, exchange, arrival, caller);
    exchange.reply(200, resultFrame(inbound.message.id, served));
  } catch (error) {
    const gatewayError = toGatewayError(error);
    exchange.reply(httpStatusOf(gatewayError), errorFrame(id, gatewayError));
  }
}

async function serve(
  context: ModernContext,
  message: { id: string | number; method: string; params: Record<string, unknown> },
  exchange: Exchange,
  arrival: Arrival,
  caller: CallerContext,
): Promise<JsonText> {
  const meta = { _meta: { [META_SERVER_INFO]: context.serverInfo } };
  if (message.method === 'server/discover') {
    return JSON.stringify({
      supportedVersions: SUPPORTED_VERSIONS,
      capabilities: context.service.capabilities('modern', caller.caller),
      ...(context.instructions ? { instructions: context.instructions } : {}),
      resultType: 'complete',
      ttlMs: 0,
      cacheScope: context.service.discoveryIsPrivate ? 'private' : 'public',
      ...meta,
    });
  }
  if (!SHARED_METHODS.has(message.method) && !MODERN_TASK_METHODS.has(message.method)) {
    throw new GatewayError('MCPGW_ERR_METHOD_NOT_FOUND', `method "${message.method}" does not exist in MCP ${MODERN_VERSION}`);
  }
  // With access rules the lists depend on who asks, and must never be shared across callers; ttl 0: always revalidate.
  const listStamp = { era: 'modern', fields: { resultType: 'complete', ttlMs: 0, cacheScope: context.service.listsArePrivate ? 'private' : 'public', ...meta } } as const;
  const dispatched = await dispatchShared(context.service, message, exchange, arrival, caller, listStamp);
  if (dispatched.isList) return dispatched.resultJson;
  // A large result that crossed from the worker as bytes is stamped as bytes: it never becomes a string here.
  if (typeof dispatched.resultJson !== 'string' && message.method !== 'resources/read') {
    return stampObjectBytes(dispatched.resultJson, { resultType: resultTypeOf(asciiHead(dispatched.resultJson, RESULT_TYPE_WITHIN)) });
  }
  const resultJson = jsonTextString(dispatched.resultJson);
  const resultType = resultTypeOf(resultJson);
  if (message.method === 'resources/read' && resultType === 'complete') return withCacheHints(resultJson);
  return stampObject(resultJson, { resultType });
}

/**
 * A complete `resources/read` result must carry `ttlMs` and `cacheScope`; a
 * 2025 upstream sends neither. Its own hints, when it has them, are kept. A
 * read is not the tools/call hot path, so parsing it here is fine.
 */
function withCacheHints(resultJson: string): string {
  const result = JSON.parse(resultJson) as Record<string, unknown>;
  // Nothing says who may share a 2025 upstream's resource: private, and revalidate every time.
  return JSON.stringify({ resultType: 'complete', ttlMs: 0, cacheScope: 'private', ...result });
}

/** Where an upstream's own `resultType` is looked for: at the front, where SDK servers write it. */
const RESULT_TYPE_WITHIN = 200;

/** The first `bytes` of UTF-8 JSON as text, for looking at its ASCII (a character cut at the end does not matter there). */
function asciiHead(json: Uint8Array, bytes: number): string {
  return asBuffer(json).toString('latin1', 0, Math.min(bytes, json.byteLength));
}

/** The upstream's own `resultType` (`input_required`, `task`) is kept; the SDK client strips `complete`. */
function resultTypeOf(resultJson: string): string {
  const match = /"resultType"\s*:\s*"([^"]+)"/.exec(resultJson.slice(0, RESULT_TYPE_WITHIN));
  return match?.[1] ?? 'complete';
}

function checkEnvelope(request: HttpRequest, version: string, method: string, params: Record<string, unknown>): void {
  if (!SUPPORTED_VERSIONS.includes(version) || version !== MODERN_VERSION) {
    throw new GatewayError('MCPGW_ERR_UNSUPPORTED_VERSION', `protocol version ${version} is not supported`, { supported: SUPPORTED_VERSIONS, requested: version });
  }
  const headers = request.headers;
  const headerVersion = headers['mcp-protocol-version'];
  if (headerVersion !== version) {
    throw new GatewayError('MCPGW_ERR_HEADER_MISMATCH', headerVersion === undefined ? 'missing MCP-Protocol-Version header' : `MCP-Protocol-Version header ${headerVersion} does not match the body's ${version}`);
  }
  const headerMethod = headers['mcp-method'];
  if (headerMethod !== method) {
    throw new GatewayError('MCPGW_ERR_HEADER_MISMATCH', headerMethod === undefined ? 'missing Mcp-Method header' : `Mcp-Method header "${headerMethod}" does not match the body's "${method}"`);
  }
  const nameField = NAMED.get(method);
  if (nameField !== undefined) {
    const headerName = headers['mcp-name'];
    const bodyName = params[nameField];
    if (headerName === undefined) throw new GatewayError('MCPGW_ERR_HEADER_MISMATCH', `missing Mcp-Name header (required for ${method})`);
    if (decodeHeaderValue(headerName) !== bodyName) throw new GatewayError('MCPGW_ERR_HEADER_MISMATCH', `Mcp-Name header does not match the body's ${nameField}`);
  }
  const meta = params._meta as Record<string, unknown> | undefined;
  const capabilities = meta?.[META_CLIENT_CAPABILITIES];
  if (typeof capabilities !== 'object' || capabilities === null || Array.isArray(capabilities)) {
    throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', `_meta["${META_CLIENT_CAPABILITIES}"] is required on every ${MODERN_VERSION} request`);
  }
}

/**
 * `Mcp-Param-*` headers mirror tool parameters marked `x-mcp-header`; the
 * gateway cannot know every tool's, so it passes all of them on (the spec's
 * rule for intermediaries), and HTTP upstreams validate them.
 */
function withParamHeaders(headers: Readonly<Record<string, string>>): { headers?: Record<string, string> } {
  let found: Record<string, string> | undefined;
  for (const name in headers) if (name.startsWith('mcp-param-')) (found ??= {})[name] = headers[name]!;
  return found ? { headers: found } : {};
}

/** Non-ASCII header values travel as `=?base64?<base64>?=`. */
function decodeHeaderValue(value: string): string {
  const match = /^=\?base64\?(.*)\?=$/.exec(value);
  return match ? Buffer.from(match[1]!, 'base64').toString('utf8') : value;
}

/** Spec-mandated statuses; every other JSON-RPC error rides on a 200, as SDK servers do. */
function httpStatusOf(error: GatewayError): number {
  switch (error.code) {
    case 'MCPGW_ERR_HEADER_MISMATCH':
    case 'MCPGW_ERR_UNSUPPORTED_VERSION':
    case 'MCPGW_ERR_INVALID_PARAMS':
    case 'MCPGW_ERR_BAD_JSON':
    case 'MCPGW_ERR_BAD_REQUEST':
    case 'MCPGW_ERR_METHOD_NOT_FOUND':
      return error.status;
    default:
      return 200;
  }
}
