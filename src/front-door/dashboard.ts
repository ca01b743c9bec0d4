/**
 * `/dashboard`: the page and its few static assets, built into dist/dashboard
 * by `npm run build` and held in memory from the start.
 *
 * The page itself is served without a credential, because a browser cannot
 * attach `X-API-Key` to a navigation and a key in the URL would end up in
 * logs and history. It holds no data: it asks for a key (kept in
 * sessionStorage), checks it against `GET /api/v1/admin/whoami` (admin roles
 * only) and reads everything it shows from the JSON API with that key.
 * Without authentication the rule of the admin API applies here too: only a
 * browser on this machine gets the page at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../errors.js';
import { anonymousCaller } from '../policy/caller.js';
import type { Policy } from '../policy/policy.js';
import type { RequestHandler } from './engine.js';
import { sendError } from './respond.js';

export const DASHBOARD_PATH = '/dashboard';

/** The page may load its own script and style, talk to its own origin, and nothing else. */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** <package>/dist/dashboard, seen from <package>/dist/src/front-door. */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL('../../dashboard/', import.meta.url));
}

export function isDashboardPath(path: string): boolean {
  return path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`);
}

/** Reads the built assets once; a missing directory (a checkout that was never built) leaves the dashboard answering 404. */
export function loadDashboardAssets(dir = defaultDashboardDir()): ReadonlyMap<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return assets;
  }
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type !== undefined) assets.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  return assets;
}

/** Where the page learns whether to ask for a key before its first request (so opening it costs no refused request). */
const AUTHENTICATION_META = '<meta name="mcp-gateway-authentication" content="unknown">';

function pageFor(page: Asset, authentication: boolean): Asset {
  return { type: page.type, body: Buffer.from(page.body.toString('utf8').replace(AUTHENTICATION_META, `<meta name="mcp-gateway-authentication" content="${authentication ? 'on' : 'off'}">`)) };
}

export function createDashboard(policy: Policy, assets: ReadonlyMap<string, Asset> = loadDashboardAssets()): RequestHandler {
  const index = assets.get('index.html');
  const pages = index === undefined ? undefined : { on: pageFor(index, true), off: pageFor(index, false) };
  return (request, response) => {
    if (request.method !== 'GET') return void sendError(response, new GatewayError('MCPGW_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${request.path}`), { allow: 'GET' });
    // Read on every request: a reload may switch authentication on or off.
    if (!policy.authenticator.enabled && !policy.mayAdminister(anonymousCaller(request.remoteAddress))) {
      return void sendError(response, new GatewayError('MCPGW_ERR_FORBIDDEN', 'without authentication, only a browser on this machine may open the dashboard'));
    }
    const rest = request.path.slice(DASHBOARD_PATH.length);
    const name = rest === '' || rest === '/' ? 'index.html' : rest.slice(1);
    const asset = name === 'index.html' && pages !== undefined ? pages[policy.authenticator.enabled ? 'on' : 'off'] : name.includes('/') ? undefined : assets.get(name);
    if (asset === undefined) {
      const reason = assets.size === 0 ? 'the dashboard is not built (npm run build writes dist/dashboard)' : `no dashboard file ${request.path}`;
      return void sendError(response, new GatewayError('MCPGW_ERR_ROUTE_NOT_FOUND', reason));
    }
    const headers: Record<string, string> = { 'content-type': asset.type };
    if (name === 'index.html') headers['content-security-policy'] = DASHBOARD_CSP;
    response.send(200, headers, asset.body);
  };
}
