import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { configErrors, oneServer } from './helpers.js';

test('unknown key, with a suggestion from the allowed keys', () => {
  assert.deepEqual(configErrors('servers:\n  - id: s\n    transport: stdio\n    comand: node\n'), [
    'servers[0].comand: unknown key (did you mean "command"?)',
    'servers[0].command: is required for a stdio server',
  ]);
  assert.deepEqual(configErrors(oneServer('    max_concurrency: 2\n')), ['servers[0].max_concurrency: unknown key (did you mean "maxConcurrency"?)']);
  assert.deepEqual(configErrors(oneServer('    healthCheck: { intervalSecs: 3 }\n')), [
    'servers[0].healthCheck.intervalSecs: unknown key (did you mean "intervalSeconds"?)',
  ]);
  assert.deepEqual(configErrors('colour: blue\nservers: []\n'), ['colour: unknown key']);
});

test('wrong type names the expected type and the value given', () => {
  assert.deepEqual(configErrors('port: abc\nservers: []\n'), ['port: must be an integer (got "abc")']);
  assert.deepEqual(configErrors('port: 1.5\nservers: []\n'), ['port: must be an integer (got 1.5)']);
  assert.deepEqual(configErrors(oneServer('    args: node\n')), ['servers[0].args: must be an array (got "node")']);
  assert.deepEqual(configErrors(oneServer('    enabled: maybe\n')), ['servers[0].enabled: must be a boolean (true or false) (got "maybe")']);
  assert.deepEqual(configErrors('servers: {}\n'), ['servers: must be an array (got {})']);
  assert.deepEqual(configErrors('- 1\n'), ['(top level): must be an object (got [1])']);
});

test('enum lists the canonical values (aliases accepted but not advertised)', () => {
  assert.deepEqual(configErrors('servers:\n  - id: s\n    transport: grpc\n'), [
    'servers[0].transport: must be one of stdio, streamable-http, sse, websocket (got "grpc")',
  ]);
  assert.deepEqual(configErrors('logLevel: loud\nservers: []\n'), ['logLevel: must be one of trace, debug, info, warn, error, fatal, silent (got "loud")']);
  assert.deepEqual(configErrors(oneServer('    protocol: "2025-06-18"\n')), ['servers[0].protocol: must be one of auto, 2026-07-28, legacy (got "2025-06-18")']);
  assert.deepEqual(configErrors('auth: { strategy: oauth }\nservers: []\n'), ['auth.strategy: must be one of none, api-key, jwt (got "oauth")']);
});

test('out of range', () => {
  assert.deepEqual(configErrors('port: 70000\nservers: []\n'), ['port: must be between 0 and 65535 (got 70000)']);
  assert.deepEqual(configErrors(oneServer('    healthCheck:\n      intervalSeconds: 0\n')), [
    'servers[0].healthCheck.intervalSeconds: must be greater than 0 (got 0)',
  ]);
  assert.deepEqual(configErrors(oneServer('    maxConcurrency: 0\n')), ['servers[0].maxConcurrency: must be at least 1 (got 0)']);
  assert.deepEqual(configErrors(oneServer('    replicas: 65\n')), ['servers[0].replicas: must be between 1 and 64 (got 65)']);
  assert.deepEqual(configErrors(oneServer('    restart: { initialDelayMs: 5000, maxDelayMs: 1000 }\n')), [
    'servers[0].restart.initialDelayMs: must not exceed restart.maxDelayMs, 1000 (got 5000)',
  ]);
});

test('missing required keys and empty strings', () => {
  assert.deepEqual(configErrors('servers:\n  - transport: stdio\n    command: x\n'), ['servers[0].id: is required']);
  // `transport` may be omitted (it is inferred, see transport-inference.test.ts); what cannot be missing is both command and url.
  assert.deepEqual(configErrors('servers:\n  - id: s\n'), ['servers[0]: needs "command" (stdio) or "url" (network transport)']);
  assert.deepEqual(configErrors(oneServer('    name: ""\n')), ['servers[0].name: must not be empty']);
  assert.deepEqual(configErrors('auth: { apiKeys: [{ name: ci }] }\nservers: []\n'), ['auth.apiKeys[0].key: is required']);
  assert.deepEqual(configErrors('auth: { apiKeys: [[k]] }\nservers: []\n'), ['auth.apiKeys[0]: must be a string or an object (got ["k"])']);
});

test('server ids: pattern and no double underscore', () => {
  assert.deepEqual(configErrors('servers:\n  - id: "-x"\n    transport: stdio\n    command: x\n'), [
    'servers[0].id: must be 1-64 letters, digits, "_" or "-", starting with a letter or digit (got "-x")',
  ]);
  assert.deepEqual(configErrors('servers:\n  - id: a__b\n    transport: stdio\n    command: x\n'), [
    'servers[0].id: must not contain "__", the separator in qualified tool names (<serverId>__<tool>) (got "a__b")',
  ]);
  assert.deepEqual(configErrors(`servers:\n  - id: ${'a'.repeat(65)}\n    transport: stdio\n    command: x\n`).length, 1);
  // An id ending in "_" would run into the default separator: "a_" + "__" + tool splits after "a".
  assert.deepEqual(configErrors('servers:\n  - id: a_\n    transport: stdio\n    command: x\n').length, 1);
});

test('mcp.separator: 1-8 tool-name characters, and no server id may clash with it', () => {
  const withSeparator = (separator: string, id = 'docs') => `mcp:\n  separator: ${JSON.stringify(separator)}\nservers:\n  - id: ${id}\n    transport: stdio\n    command: x\n`;
  assert.equal(parseConfig(withSeparator('.'), { env: {} }).mcp.separator, '.');
  assert.equal(parseConfig(withSeparator('.', 'a__b'), { env: {} }).servers[0]?.id, 'a__b', 'with another separator, "__" in an id is fine');
  assert.deepEqual(configErrors(withSeparator('::')), ['mcp.separator: must be 1-8 characters, each a letter, digit, "_", ".", "-" or "/" (characters valid in MCP tool names) (got "::")']);
  assert.deepEqual(configErrors(withSeparator('')).length, 1);
  assert.deepEqual(configErrors(withSeparator('x'.repeat(9))).length, 1);
  assert.deepEqual(configErrors(withSeparator('a b')).length, 1);
  assert.deepEqual(configErrors(withSeparator('-', 'my-server')), [
    'servers[0].id: must not contain "-", the separator in qualified tool names (<serverId>-<tool>); set by mcp.separator (got "my-server")',
  ]);
  // A malformed separator does not hide the ids' own problems (checked against the default then).
  assert.deepEqual(configErrors(withSeparator('::', 'a__b')).length, 2);
});

test('duplicate ids name both places', () => {
  const text = 'servers:\n' + ['x', 'y', 'x'].map((id) => `  - id: ${id}\n    transport: stdio\n    command: node\n`).join('');
  assert.deepEqual(configErrors(text), ['servers[2].id: duplicate id "x" (also servers[0])']);
});

test('transport needs its own kind of target', () => {
  assert.deepEqual(configErrors('servers:\n  - id: s\n    transport: stdio\n'), ['servers[0].command: is required for a stdio server']);
  assert.deepEqual(configErrors('servers:\n  - id: s\n    transport: sse\n'), ['servers[0].url: is required for an sse server']);
  assert.deepEqual(configErrors('servers:\n  - id: s\n    transport: http\n    url: ws://h/mcp\n'), [
    'servers[0].url: must be an http:// or https:// URL for a streamable-http server (got "ws://h/mcp")',
  ]);
  assert.deepEqual(configErrors('servers:\n  - id: s\n    transport: ws\n    url: ftp://h/mcp\n'), [
    'servers[0].url: must be a ws://, wss://, http:// or https:// URL for a websocket server (got "ftp://h/mcp")',
  ]);
  assert.deepEqual(configErrors('servers:\n  - id: s\n    transport: streamable-http\n    url: "not a url"\n'), [
    'servers[0].url: must be an absolute URL such as http://127.0.0.1:3001/mcp (got "not a url")',
  ]);
  assert.deepEqual(configErrors('servers:\n  - id: s\n    transport: websocket\n    url: ws://h\n    command: node\n'), [
    'servers[0].command: is not allowed for a websocket server (it connects to "url"; command is for stdio)',
  ]);
  assert.deepEqual(configErrors(oneServer('    url: http://h/mcp\n')), [
    'servers[0].url: is not allowed for a stdio server (it runs "command"; url is for network transports)',
  ]);
});

test('auth strategies that need settings say so', () => {
  assert.deepEqual(configErrors('auth: { strategy: api-key }\nservers: []\n'), ['auth.apiKeys: must list at least one key when auth.strategy includes "api-key"']);
  assert.deepEqual(configErrors('auth: { strategy: jwt }\nservers: []\n'), ['auth.jwt: needs one of secret, publicKey or jwksUrl (or auth.oauth.introspection) when auth.strategy includes "jwt"']);
});

test('every problem is reported at once, in file order', () => {
  const text = ['port: abc', 'servers:', '  - id: a', '    transport: grpc', '  - id: b', '    transport: stdio', '    comand: node', '    command: node'].join('\n');
  const lines = configErrors(text);
  assert.deepEqual(lines, [
    'port: must be an integer (got "abc")',
    'servers[0].transport: must be one of stdio, streamable-http, sse, websocket (got "grpc")',
    'servers[1].comand: unknown key (did you mean "command"?)',
  ]);
});

test('YAML syntax errors report line and column', () => {
  assert.deepEqual(configErrors('servers:\n  - id: a\n   transport: [stdio\n', { source: 'gw.yml' }).length > 0, true);
  const [line] = configErrors('port: 1\nport: 2\n', { source: 'gw.yml' });
  assert.equal(line, 'gw.yml:2:1: YAML syntax error: Map keys must be unique');
  assert.match(configErrors('a: [1,\n', { source: 'gw.yml' })[0] ?? '', /^gw\.yml:\d+:\d+: YAML syntax error: /);
});

test('an empty file is an error, not an empty gateway', () => {
  assert.deepEqual(configErrors('# nothing here\n', { source: 'gw.yml' }), [
    'gw.yml: is empty; expected a mapping with at least "servers" (mcp-gateway init writes a commented example)',
  ]);
});

test('input-hardening limits: a bad value names the field', () => {
  assert.deepEqual(configErrors('maxJsonDepth: 1\nservers: []\n'), ['maxJsonDepth: must be between 2 and 10000 (got 1)']);
  assert.deepEqual(configErrors('maxHeaderBytes: 100\nservers: []\n'), ['maxHeaderBytes: must be between 1024 and 1048576 (got 100)']);
  assert.deepEqual(configErrors('requestTimeoutMs: 0\nservers: []\n'), ['requestTimeoutMs: must be between 1 and 3600000 (got 0)']);
  assert.deepEqual(configErrors('requestTimeoutMs: soon\nservers: []\n'), ['requestTimeoutMs: must be an integer (got "soon")']);
  assert.deepEqual(configErrors(oneServer('    validateArguments: sometimes\n')), ['servers[0].validateArguments: must be a boolean (true or false) (got "sometimes")']);
  assert.deepEqual(configErrors(oneServer('    validate_arguments: false\n')), ['servers[0].validate_arguments: unknown key (did you mean "validateArguments"?)']);
  assert.deepEqual(configErrors(oneServer('    maxResponseBytes: 10\n')), ['servers[0].maxResponseBytes: must be between 1024 and 1073741824 (got 10)']);
});
