import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULTS, SERVER_DEFAULTS } from '../../src/config/defaults.js';
import { loadConfig, locateConfig, normalizeConfig, parseConfig, securityWarnings } from '../../src/config/load.js';
import { GatewayError } from '../../src/errors.js';
import { oneServer } from './helpers.js';

test('defaults are filled in everywhere', () => {
  const config = parseConfig(oneServer(), { env: {} });
  const { servers, ...top } = config;
  const { strategy: _none, ...auth } = DEFAULTS.auth;
  // The file's `strategy` becomes the list of strategies a credential is tried against.
  assert.deepEqual(top, { ...DEFAULTS, auth: { ...auth, strategies: [] } });
  assert.deepEqual(servers, [{ id: 's', name: 's', transport: 'stdio', command: 'node', ...SERVER_DEFAULTS }]);
  assert.equal(DEFAULTS.maxBodyBytes, 4 * 1024 * 1024);
});

test('partial nested objects keep the defaults they do not set', () => {
  const config = parseConfig(oneServer('    healthCheck: { intervalSeconds: 5 }\n') + 'rateLimit: { limit: 7 }\n', { env: {} });
  assert.deepEqual(config.servers[0]?.healthCheck, { ...SERVER_DEFAULTS.healthCheck, intervalSeconds: 5 });
  assert.deepEqual(config.rateLimit, { ...DEFAULTS.rateLimit, enabled: true, limit: 7 });
});

test('transport aliases are folded: http → streamable-http, ws → websocket', () => {
  const config = parseConfig(
    'servers:\n  - { id: a, transport: http, url: "http://h/mcp" }\n  - { id: b, transport: ws, url: "wss://h/ws" }\n  - { id: c, transport: sse, url: "https://h/sse", name: Legacy }\n',
    { env: {} },
  );
  assert.deepEqual(
    config.servers.map((s) => [s.transport, s.name]),
    [
      ['streamable-http', 'a'],
      ['websocket', 'b'],
      ['sse', 'Legacy'],
    ],
  );
});

test('the result is deep-frozen', () => {
  const config = parseConfig(oneServer('    args: [a]\n    env: { A: b }\n'), { env: {} });
  for (const value of [config, config.servers, config.servers[0], config.servers[0]?.args, config.servers[0]?.env, config.servers[0]?.healthCheck, config.auth.apiKeys]) {
    assert.ok(Object.isFrozen(value));
  }
  assert.throws(() => {
    (config as { port: number }).port = 1;
  }, TypeError);
});

test('JSON is accepted as well as YAML', () => {
  const json = JSON.stringify({ port: 4200, servers: [{ id: 'j', transport: 'streamable-http', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Key': 'v' } }] });
  const config = parseConfig(json, { env: {} });
  assert.equal(config.port, 4200);
  assert.deepEqual(config.servers[0]?.headers, { 'X-Key': 'v' });
});

test('normalizeConfig does not modify its input', () => {
  const raw = { servers: [{ id: 'x', transport: 'ws', url: 'ws://h' }] };
  const snapshot = structuredClone(raw);
  normalizeConfig(raw, { env: {} });
  assert.deepEqual(raw, snapshot);
});

test('api keys may be strings or {key, name, roles, rateLimit}; bare keys are named by position', () => {
  const config = parseConfig('auth:\n  strategy: api-key\n  apiKeys: [k1, { key: k2, name: ci, roles: [reader], rateLimit: { limit: 3 } }, { key: k3 }]\nservers: []\n', { env: {} });
  assert.deepEqual(config.auth.strategies, ['api-key']);
  assert.deepEqual(config.auth.apiKeys, [
    { key: 'k1', name: 'api-key-1', roles: [] },
    { key: 'k2', name: 'ci', roles: ['reader'], rateLimit: { limit: 3, windowSeconds: 60 } },
    { key: 'k3', name: 'api-key-3', roles: [] },
  ]);
  assert.deepEqual(config.auth.publicPaths, ['/api/v1/health', '/health/live', '/health/ready', '/.well-known/*']);
});

test('auth.strategy may be a list; none means no strategy', () => {
  assert.deepEqual(parseConfig('servers: []\n', { env: {} }).auth.strategies, []);
  const both = parseConfig('auth: { strategy: [api-key, jwt], apiKeys: [k], jwt: { secret: "0123456789abcdef0123456789abcdef" } }\nservers: []\n', { env: {} });
  assert.deepEqual(both.auth.strategies, ['api-key', 'jwt']);
  assert.equal(both.auth.jwt?.rolesClaim, 'roles');
  assert.equal(both.auth.jwt?.clockToleranceSeconds, 5);
});

test('a rateLimit block turns the limit on unless it says enabled: false', () => {
  assert.equal(parseConfig('servers: []\n', { env: {} }).rateLimit.enabled, false);
  assert.equal(parseConfig('rateLimit: { limit: 5 }\nservers: []\n', { env: {} }).rateLimit.enabled, true);
  assert.equal(parseConfig('rateLimit: { limit: 5, enabled: false }\nservers: []\n', { env: {} }).rateLimit.enabled, false);
});

test('auth mistakes are refused with the field named', () => {
  const refused = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseConfig(text, { env: {} }),
      (error: unknown) => GatewayError.is(error) && error.code === 'MCPGW_ERR_CONFIG' && pattern.test(error.message),
    );
  refused('auth: { strategy: api-key }\nservers: []\n', /^auth\.apiKeys: must list at least one key/m);
  refused('auth: { strategy: jwt }\nservers: []\n', /^auth\.jwt: needs one of secret, publicKey or jwksUrl/m);
  refused('auth: { strategy: jwt, jwt: { secret: short } }\nservers: []\n', /^auth\.jwt\.secret: must be at least 32 characters/m);
  refused('auth: { strategy: jwt, jwt: { secret: "0123456789abcdef0123456789abcdef", jwksUrl: "https://x/jwks" } }\nservers: []\n', /^auth\.jwt\.jwksUrl: cannot be combined with secret/m);
  refused('auth: { strategy: api-key, apiKeys: ["sha256:abc"] }\nservers: []\n', /^auth\.apiKeys\[0\]: a hashed key must be "sha256:" followed by 64 hex digits/m);
  refused('auth: { strategy: api-key, apiKeys: [{ key: a, name: x }, { key: b, name: x }] }\nservers: []\n', /^auth\.apiKeys\[1\]\.name: duplicate key name "x"/m);
  refused('auth: { strategy: api-key, apiKeys: [k], oauth: { resource: "https://gw/mcp", authorizationServers: ["https://idp"] } }\nservers: []\n', /^auth\.strategy: must include "jwt" when auth\.oauth is set/m);
  refused('rateLimit: { perServer: { ghost: { limit: 1 } } }\nservers: []\n', /^rateLimit\.perServer\.ghost: names no configured server/m);
  refused('access: [{ allow: ["*"] }]\nservers: []\n', /^access\[0\]/m);
});

test('securityWarnings: an open gateway on a non-loopback address is called out', () => {
  assert.deepEqual(securityWarnings(parseConfig('servers: []\n', { env: {} })), []);
  assert.match(securityWarnings(parseConfig('host: 0.0.0.0\nservers: []\n', { env: {} }))[0] ?? '', /anyone who can reach port 4000 can call every tool/);
  assert.deepEqual(securityWarnings(parseConfig('host: 0.0.0.0\nauth: { strategy: api-key, apiKeys: [k] }\nservers: []\n', { env: {} })), []);
});

test('loadConfig reads a file, and reports a missing one as MCPGW_ERR_CONFIG_NOT_FOUND', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'gw.yml'), oneServer());
  const config = await loadConfig('gw.yml', { cwd: dir, env: {} });
  assert.equal(config.servers[0]?.id, 's');

  await assert.rejects(loadConfig('nope.yml', { cwd: dir, env: {} }), (error: unknown) => GatewayError.is(error) && error.code === 'MCPGW_ERR_CONFIG_NOT_FOUND' && error.message.includes('nope.yml'));
  await writeFile(join(dir, 'bad.yml'), 'port: x\n');
  await assert.rejects(loadConfig(join(dir, 'bad.yml'), { env: {} }), (error: unknown) => GatewayError.is(error) && error.code === 'MCPGW_ERR_CONFIG' && error.message.includes(`Invalid configuration in ${join(dir, 'bad.yml')}`));
});

test('without a path: $MCP_GATEWAY_CONFIG, else ./mcp-gateway.yml, else not found', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal(await locateConfig(undefined, { cwd: dir, env: {} }), undefined);
  await assert.rejects(loadConfig(undefined, { cwd: dir, env: {} }), (error: unknown) => GatewayError.is(error) && error.code === 'MCPGW_ERR_CONFIG_NOT_FOUND');

  await writeFile(join(dir, 'mcp-gateway.yml'), oneServer());
  await writeFile(join(dir, 'other.json'), JSON.stringify({ servers: [] }));
  assert.deepEqual(await locateConfig(undefined, { cwd: dir, env: {} }), { path: join(dir, 'mcp-gateway.yml'), origin: 'cwd' });
  assert.equal((await loadConfig(undefined, { cwd: dir, env: {} })).servers.length, 1);
  assert.deepEqual(await locateConfig(undefined, { cwd: dir, env: { MCP_GATEWAY_CONFIG: 'other.json' } }), { path: join(dir, 'other.json'), origin: 'env' });
  assert.equal((await loadConfig(undefined, { cwd: dir, env: { MCP_GATEWAY_CONFIG: 'other.json' } })).servers.length, 0);
});

test('input-hardening settings: defaults, and values taken as given', () => {
  const defaults = parseConfig(oneServer(), { env: {} });
  assert.deepEqual([defaults.maxJsonDepth, defaults.maxHeaderBytes, defaults.requestTimeoutMs, defaults.servers[0]?.validateArguments], [64, 16384, 30000, true]);
  const set = parseConfig(oneServer('    validateArguments: false\n') + 'maxJsonDepth: 8\nmaxHeaderBytes: 4096\nrequestTimeoutMs: 300\n', { env: {} });
  assert.deepEqual([set.maxJsonDepth, set.maxHeaderBytes, set.requestTimeoutMs, set.servers[0]?.validateArguments], [8, 4096, 300, false]);
});

test('maxResponseBytes: 16 MiB unless a server sets its own', () => {
  assert.equal(parseConfig(oneServer(), { env: {} }).servers[0]?.maxResponseBytes, 16 * 1024 * 1024);
  assert.equal(parseConfig(oneServer('    maxResponseBytes: 65536\n'), { env: {} }).servers[0]?.maxResponseBytes, 65536);
});
