/**
 * A two-tenant gateway over real stdio fixtures, and the checks the isolation
 * suite makes of every answer: nothing of the other tenant in any body or
 * header, and a refusal shaped exactly like the one for a name that was never
 * configured.
 */
import assert from 'node:assert/strict';
import { demoServer, fixtures } from '../fixtures/paths.js';

/** Every string that belongs to tenant "globex": none may reach a caller of tenant "acme". */
export const GLOBEX = /globex/i;

export const KEYS = {
  acme: 'acme-secret-key-0001',
  acmeTwo: 'acme-secret-key-0002',
  globex: 'globex-secret-key-0001',
  admin: 'admin-secret-key-0001',
  plain: 'plain-secret-key-0001',
} as const;

export const headersOf = (key: string): Record<string, string> => ({ 'x-api-key': key });

/** acme owns acme-tools; globex owns globex-vault and globex-docs; shared-demo is untenanted, partly shared with each. */
export function tenantServers(): Record<string, unknown>[] {
  return [
    { id: 'acme-tools', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'acme-fixture', FIXTURE_RESOURCES: '1' }, tenant: 'acme' },
    { id: 'globex-vault', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'globex-fixture', FIXTURE_RESOURCES: '1' }, tenant: 'globex' },
    { id: 'globex-docs', command: process.execPath, args: [demoServer], env: { DEMO_SERVER_NAME: 'globex-docs' }, tenant: 'globex' },
    { id: 'shared-demo', command: process.execPath, args: [demoServer] },
  ];
}

export function tenantConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    auth: {
      strategy: 'api-key',
      apiKeys: [
        { key: KEYS.acme, name: 'acme-key', tenant: 'acme', roles: ['approver'] },
        { key: KEYS.acmeTwo, name: 'acme-key-two', tenant: 'acme' },
        { key: KEYS.globex, name: 'globex-key', tenant: 'globex', roles: ['approver'] },
        { key: KEYS.admin, name: 'root', roles: ['admin'] },
        { key: KEYS.plain, name: 'plain-key' },
      ],
    },
    approval: { rules: [{ tools: ['*/slow'], ask: 'approver' }], approverRoles: ['approver'] },
    tenants: {
      acme: { share: ['shared-demo/add', 'shared-demo/greet', 'shared-demo/demo://readme'], virtualServers: [{ name: 'acme-bundle', servers: ['acme-tools'] }] },
      globex: { share: ['shared-demo/*'], virtualServers: [{ name: 'globex-bundle', servers: ['globex-vault'], tools: ['shared-demo/echo'] }] },
    },
    ...extra,
  };
}

export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

/** No byte of tenant globex in the body or any header. */
export function assertClean(answer: Answer, what: string): void {
  assert.doesNotMatch(answer.text, GLOBEX, `${what}: body mentions globex: ${answer.text.slice(0, 400)}`);
  for (const [name, value] of answer.headers) assert.doesNotMatch(`${name}: ${value}`, GLOBEX, `${what}: header ${name} mentions globex`);
}

/**
 * The refusal for another tenant's `name` is the refusal for `missing`, which
 * was never configured: same status, same body once the name is swapped, and
 * nothing else of globex in it.
 */
export function assertLikeMissing(hidden: Answer, missing: Answer, name: string, missingName: string, what: string): void {
  assert.equal(hidden.status, missing.status, `${what}: status ${hidden.status} differs from the missing one's ${missing.status}: ${hidden.text}`);
  const swapped = hidden.text.split(name).join(missingName);
  assert.equal(normalise(swapped), normalise(missing.text), `${what}: the answer differs from the one for a name never configured`);
  assertClean({ ...hidden, text: swapped }, what);
}

/** Request ids and times differ between any two answers. */
function normalise(text: string): string {
  return text.replace(/"(requestId|traceId|time|id)":"[^"]*"/g, '"$1":"*"');
}

/** A raw 2026-07-28 request to an MCP path, with the headers the spec requires. */
export async function mcpPost(url: string, path: string, method: string, params: Record<string, unknown>, headers: Record<string, string>): Promise<Answer> {
  const named = [params.name, params.uri, params.taskId].find((value) => typeof value === 'string');
  const target = typeof named === 'string' ? named : undefined;
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(target === undefined ? {} : { 'mcp-name': target }),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } }),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}
