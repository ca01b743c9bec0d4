/**
 * The front door's policy step, before any route: serve the OAuth
 * protected-resource metadata, authenticate (public paths excepted), apply the
 * caller's request limit and stamp its `X-RateLimit-*` headers on whatever the
 * route answers. Refusals come in the path's own error shape: JSON-RPC on the
 * MCP paths, the REST error body elsewhere.
 */
import { GatewayError, toGatewayError } from '../errors.js';
import { errorFrame } from '../protocol/jsonrpc.js';
import { HttpExchange } from '../protocol/exchange.js';
import { anonymousCaller, type Caller } from '../policy/caller.js';
import type { Policy } from '../policy/policy.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { rateLimitError, rateLimitHeaders } from '../policy/rate-limiter.js';
import type { HttpRequest, HttpResponse, RequestHandler } from './engine.js';
import { sendError, sendRawJson, withHeaders } from './respond.js';

export type CallerHandler = (request: HttpRequest, response: HttpResponse, caller: Caller) => void;

export function createPolicyGate(policy: Policy, metrics: GatewayMetrics, isMcpPath: (path: string) => boolean, next: CallerHandler): RequestHandler {
  // Read from `policy` on every request: a reload replaces its parts.
  const fail = (request: HttpRequest, response: HttpResponse, error: GatewayError, headers: Readonly<Record<string, string>>): void => {
    if (isMcpPath(request.path)) new HttpExchange(response).reply(error.status, errorFrame(null, error), headers);
    else sendError(response, error, headers);
  };

  const admit = async (request: HttpRequest, response: HttpResponse, publicPath: boolean): Promise<void> => {
    const { authenticator, limiter, resource } = policy;
    let caller: Caller;
    try {
      caller = publicPath || !authenticator.enabled ? anonymousCaller(request.remoteAddress) : await authenticator.authenticate(request.headers);
    } catch (error) {
      const refusal = toGatewayError(error);
      const challenged = refusal.code === 'MCPGW_ERR_UNAUTHORIZED' || refusal.code === 'MCPGW_ERR_INSUFFICIENT_SCOPE';
      const credentialGiven = request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined;
      metrics.recordRefusal(refusal.code === 'MCPGW_ERR_INSUFFICIENT_SCOPE' ? 'insufficient_scope' : refusal.code === 'MCPGW_ERR_AUTH_UNAVAILABLE' ? 'auth_unavailable' : 'unauthorized');
      return fail(request, response, refusal, challenged ? { 'www-authenticate': resource.challenge(refusal, credentialGiven) } : {});
    }
    // Probes and discovery (the public paths) are never limited: a busy caller must not make the gateway look dead.
    if (!limiter.enabled || publicPath) return next(request, response, caller);
    const decision = await limiter.request(caller);
    const headers = rateLimitHeaders(decision);
    if (!decision.allowed) {
      metrics.recordRefusal('rate_limited', caller.name);
      return fail(request, response, rateLimitError(decision, `caller "${caller.name}"`), headers);
    }
    next(request, withHeaders(response, headers), caller);
  };

  return (request, response) => {
    const { authenticator, limiter, resource } = policy;
    if (resource.document !== undefined && resource.metadataPaths.has(request.path)) {
      if (request.method !== 'GET') return sendError(response, new GatewayError('MCPGW_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${request.path}`), { allow: 'GET' });
      sendRawJson(response, 200, resource.document);
      return;
    }
    const publicPath = authenticator.isPublic(request.path);
    if ((publicPath || !authenticator.enabled) && !limiter.enabled) return next(request, response, anonymousCaller(request.remoteAddress));
    admit(request, response, publicPath).catch((error: unknown) => {
      if (!response.closed) fail(request, response, toGatewayError(error), {});
    });
  };
}
