/**
 * CORS for browser clients, from `corsOrigins` (exact origins, or `*`).
 * Decided per request from a set built once; no origin list means no CORS
 * headers at all (same-origin only).
 */
import type { RequestHandler } from './engine.js';
import { withHeaders } from './respond.js';

const ALLOW_HEADERS = 'authorization, content-type, accept, mcp-protocol-version, mcp-session-id, mcp-method, mcp-name, last-event-id, x-api-key';
const EXPOSE_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate, retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, x-mcp-gateway-scope';

export function withCors(origins: readonly string[], next: RequestHandler): RequestHandler {
  if (origins.length === 0) return next;
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return (request, response) => {
    const origin = request.headers.origin;
    if (origin === undefined || (!any && !allowed.has(origin))) return next(request, response);
    const corsHeaders: Record<string, string> = { 'access-control-allow-origin': any ? '*' : origin, 'access-control-expose-headers': EXPOSE_HEADERS, vary: 'origin' };
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      response.send(204, { ...corsHeaders, 'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS', 'access-control-allow-headers': ALLOW_HEADERS, 'access-control-max-age': '600' }, '');
      return;
    }
    next(request, withHeaders(response, corsHeaders));
  };
}
