/** What the identity tests share: client tokens, and reading what the identity-http fixture received. */
import { SignJWT } from 'jose';
import type { RunningGateway } from '../helpers/gateway.js';

export const CLIENT_SECRET = 'client-tokens-are-signed-with-this-0123456789';

/** The gateway's auth block: API keys and HS256 client JWTs (tenant from the `tenant` claim). */
export const AUTH = {
  strategy: ['api-key', 'jwt'],
  apiKeys: [{ key: 'key-of-bob-do-not-forward', name: 'bob', roles: ['reader'], tenant: 't2' }],
  jwt: { secret: CLIENT_SECRET, tenantClaim: 'tenant' },
};

export const BOB = { 'x-api-key': 'key-of-bob-do-not-forward' };

export function clientToken(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setJti(crypto.randomUUID()).setExpirationTime('1h').sign(Buffer.from(CLIENT_SECRET));
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** `whoami_token` on one server over REST: the value of `header` the upstream received for that call. */
export async function whoami(gw: RunningGateway, server: string, credential: Record<string, string>, header?: string): Promise<string | null> {
  const response = await gw.post('/api/v1/tools/call', { tool: 'whoami_token', server, arguments: header === undefined ? {} : { header } }, credential);
  if (response.status !== 200) throw new Error(`whoami_token on ${server}: HTTP ${response.status} ${response.text}`);
  return response.body.structuredContent.value as string | null;
}

export interface SeenRequest {
  readonly path: string;
  readonly httpMethod: string;
  readonly methods: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
}

/** Every request the fixture process received so far (asked through `server`). */
export async function seenBy(gw: RunningGateway, server: string, credential: Record<string, string>): Promise<SeenRequest[]> {
  const response = await gw.post('/api/v1/tools/call', { tool: 'seen', server }, credential);
  if (response.status !== 200) throw new Error(`seen on ${server}: HTTP ${response.status} ${response.text}`);
  return JSON.parse(response.body.content[0].text) as SeenRequest[];
}

/** The JSON-RPC methods that carry a caller's identity; everything else is the gateway's own traffic. */
export const PER_CALL_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get', 'completion/complete', 'tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel', 'tasks/update']);
