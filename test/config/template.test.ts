import assert from 'node:assert/strict';
import { isAbsolute } from 'node:path';
import { test } from 'node:test';
import { demoServerPath, embeddedDefaultConfig } from '../../src/config/default-config.js';
import { parseConfig } from '../../src/config/load.js';
import { configTemplate } from '../../src/config/template.js';

test('the init template parses, with the demo server active', () => {
  const config = parseConfig(configTemplate(), { env: {} });
  assert.deepEqual(
    config.servers.map((s) => s.id),
    ['demo'],
  );
  assert.equal(config.servers[0]?.command, 'node');
  assert.deepEqual(config.servers[0]?.args, [demoServerPath()]);
});

test('the template comments every top-level key', () => {
  const text = configTemplate();
  for (const key of ['port', 'host', 'logLevel', 'httpEngine', 'maxBodyBytes', 'maxJsonDepth', 'maxHeaderBytes', 'requestTimeoutMs', 'shutdownGraceSeconds', 'auth', 'identity', 'rateLimit', 'monitor', 'corsOrigins', 'virtualServers', 'tenants', 'servers']) {
    assert.match(text, new RegExp(`^#.*\\n${key}:`, 'm'), `${key} has a comment line above it`);
  }
  assert.match(text, /\$\{[A-Z_]+:-[^}]*\}/, 'shows ${VAR:-default}');
  assert.match(text, /# +args: \["-y", "@modelcontextprotocol\/server-everything"\]/);
});

test('the commented examples parse too once uncommented', () => {
  const config = parseConfig(configTemplate({ activateExamples: true, demoServerPath: 'C:\\demo\\server.js' }), { env: {} });
  assert.deepEqual(
    config.servers.map((s) => [s.id, s.transport]),
    [
      ['demo', 'stdio'],
      ['everything', 'stdio'],
      ['remote', 'streamable-http'],
      ['on-behalf', 'streamable-http'],
      ['legacy', 'sse'],
      ['socket', 'websocket'],
    ],
  );
  assert.deepEqual(config.servers[0]?.args, ['C:\\demo\\server.js']);
  assert.equal(config.servers[2]?.url, 'http://127.0.0.1:3001/mcp');
  assert.deepEqual(config.servers[3]?.identity, { mode: 'signed', header: 'authorization', audience: 'http://127.0.0.1:3004/mcp', ttlSeconds: 60, claims: ['subject', 'name', 'roles', 'tenant'] });
  assert.equal(parseConfig(configTemplate({ activateExamples: true }), { env: { REMOTE_MCP_URL: 'https://x/mcp' } }).servers[2]?.url, 'https://x/mcp');
});

test('the embedded default runs the bundled demo server with this node', () => {
  const config = embeddedDefaultConfig({ env: {} });
  assert.equal(config.servers.length, 1);
  const [demo] = config.servers;
  assert.equal(demo?.id, 'demo');
  assert.equal(demo?.transport, 'stdio');
  assert.equal(demo?.command, process.execPath);
  assert.equal(demo?.args.length, 1);
  assert.ok(isAbsolute(demo?.args[0] ?? ''));
  assert.match(demo?.args[0] ?? '', /dist[\\/]src[\\/]demo[\\/]server\.js$/);
  assert.deepEqual(demo?.tags, ['demo']);
  assert.equal(demo?.protocol, 'auto');
  assert.ok(Object.isFrozen(config) && Object.isFrozen(demo));
  assert.equal(embeddedDefaultConfig({ env: { MCP_GATEWAY_PORT: '4321' } }).port, 4321);
});
