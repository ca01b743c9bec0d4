/**
 * Every example config passes the real CLI's `validate` as it is, with no
 * environment of its own (the `${VAR:-default}` defaults apply), and does not
 * leave a gateway open beyond loopback.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { CLI, ROOT, cleanEnv, describeRun, run } from './helpers.js';

const EXAMPLES = join(ROOT, 'examples');

/** Variables the examples read; unset here so their defaults are what is checked. */
const EXAMPLE_VARIABLES = ['GATEWAY_API_KEY', 'ADMIN_API_KEY', 'METRICS_API_KEY', 'JWKS_URL', 'JWT_ISSUER', 'OAUTH_RESOURCE', 'DOCS_MCP_URL', 'GITHUB_TOKEN', 'SEARCH_MCP_URL', 'SEARCH_MCP_TOKEN', 'TICKETS_MCP_URL', 'REPO_DIR', 'WORKSPACE', 'ACME_API_KEY', 'GLOBEX_API_KEY', 'ACME_DIR', 'GLOBEX_MEMORY_FILE'];

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = cleanEnv(extra);
  for (const name of EXAMPLE_VARIABLES) if (!(name in extra)) delete clean[name];
  return clean;
}

function validate(file: string, extra: Record<string, string> = {}) {
  return run(process.execPath, [CLI, 'validate', '-c', file], { cwd: ROOT, env: env(extra), timeoutMs: 20_000 });
}

async function exampleConfigs(): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(EXAMPLES)) {
    const file = join('examples', entry, 'mcp-gateway.yml');
    if (await stat(join(ROOT, file)).then((s) => s.isFile(), () => false)) found.push(file);
  }
  return found.sort();
}

test('every example folder has a config, and the four the README promises are there', async () => {
  const configs = await exampleConfigs();
  for (const name of ['basic', 'multi-server', 'secure', 'sidecar', 'docker']) assert.ok(configs.includes(join('examples', name, 'mcp-gateway.yml')), name);
});

const EXPECTED: Record<string, RegExp> = {
  basic: /valid: 2 servers \(everything, files\)/,
  'multi-server': /valid: 5 servers \(files, git, everything, search, tickets\)/,
  secure: /valid: 2 servers \(docs, github\)/,
  sidecar: /valid: 2 servers \(files, browser\)/,
  'scale-out': /valid: 1 server \(everything\)/,
  'multi-tenant': /valid: 3 servers \(acme-files, globex-memory, everything\)/,
};

for (const name of Object.keys(EXPECTED)) {
  test(`mcp-gateway validate accepts examples/${name} with no environment, without warnings`, async () => {
    const file = join('examples', name, 'mcp-gateway.yml');
    const result = await validate(file);
    assert.equal(result.code, 0, describeRun('validate', result));
    assert.match(result.stdout, EXPECTED[name]!);
    assert.doesNotMatch(result.stderr, /⚠/, 'no warning (an open gateway beyond loopback would be one)');
  });
}

test('examples/multi-server mixes stdio and HTTP upstreams with tags and replicas', async () => {
  const config = parse(await readFile(join(EXAMPLES, 'multi-server/mcp-gateway.yml'), 'utf8')) as { servers: { command?: string; url?: string; tags?: string[]; replicas?: number }[] };
  assert.ok(config.servers.some((s) => s.command !== undefined));
  assert.ok(config.servers.some((s) => s.url !== undefined));
  assert.ok(config.servers.every((s) => (s.tags ?? []).length > 0));
  assert.ok(config.servers.some((s) => s.command !== undefined && (s.replicas ?? 1) > 1));
  assert.ok(config.servers.some((s) => s.url !== undefined && (s.replicas ?? 1) > 1));
});

test('examples/secure has every policy block: API keys (one as sha256), JWT over JWKS, OAuth resource, access rules, per-tool limits', async () => {
  const config = parse(await readFile(join(EXAMPLES, 'secure/mcp-gateway.yml'), 'utf8')) as {
    auth: { strategy: string[]; apiKeys: (string | { key: string })[]; jwt: { jwksUrl: string }; oauth: { resource: string } };
    access: unknown[];
    rateLimit: { perTool: Record<string, unknown> };
  };
  assert.deepEqual(config.auth.strategy, ['api-key', 'jwt']);
  assert.ok(config.auth.apiKeys.some((k) => typeof k === 'object' && /^sha256:[0-9a-f]{64}$/.test(k.key)));
  assert.match(config.auth.jwt.jwksUrl, /^\$\{JWKS_URL:-https:\/\//);
  assert.ok(config.auth.oauth.resource);
  assert.ok(config.access.length >= 2);
  assert.ok(Object.keys(config.rateLimit.perTool).length >= 1);
});

test('examples/sidecar stays on loopback with no auth', async () => {
  const config = parse(await readFile(join(EXAMPLES, 'sidecar/mcp-gateway.yml'), 'utf8')) as { host: string; auth: { strategy: string } };
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.auth.strategy, 'none');
});

test('examples/docker validates as the image runs it (0.0.0.0, keys set) and refuses to run without its keys', async () => {
  const file = join('examples', 'docker', 'mcp-gateway.yml');
  const asInImage = await validate(file, { MCP_GATEWAY_HOST: '0.0.0.0', GATEWAY_API_KEY: 'k'.repeat(32), METRICS_API_KEY: 'm'.repeat(32) });
  assert.equal(asInImage.code, 0, describeRun('validate', asInImage));
  assert.doesNotMatch(asInImage.stderr, /⚠/);
  const withoutKeys = await validate(file, { MCP_GATEWAY_HOST: '0.0.0.0' });
  assert.equal(withoutKeys.code, 1);
  assert.match(withoutKeys.stderr, /GATEWAY_API_KEY is not set/);
  assert.match(withoutKeys.stderr, /METRICS_API_KEY is not set/);
});
