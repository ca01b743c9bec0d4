import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inferTransport, parseConfig } from '../../src/config/load.js';
import { configErrors } from './helpers.js';

const transports = (text: string, env: NodeJS.ProcessEnv = {}) => parseConfig(text, { env }).servers.map((s) => [s.id, s.transport]);

test('a server without transport is stdio with command, websocket with ws(s)://, streamable-http with http(s)://', () => {
  const text = [
    'servers:',
    '  - { id: local, command: node, args: [server.js] }',
    '  - { id: plain-ws, url: "ws://127.0.0.1:3003/mcp" }',
    '  - { id: secure-ws, url: "wss://example.com/mcp" }',
    '  - { id: plain-http, url: "http://127.0.0.1:3001/mcp" }',
    '  - { id: secure-http, url: "https://example.com/mcp" }',
    '',
  ].join('\n');
  assert.deepEqual(transports(text), [
    ['local', 'stdio'],
    ['plain-ws', 'websocket'],
    ['secure-ws', 'websocket'],
    ['plain-http', 'streamable-http'],
    ['secure-http', 'streamable-http'],
  ]);
});

test('the scheme is read case-insensitively, as URLs define it', () => {
  assert.deepEqual(transports('servers:\n  - { id: a, url: "WSS://example.com/mcp" }\n  - { id: b, url: "HTTPS://example.com/mcp" }\n'), [
    ['a', 'websocket'],
    ['b', 'streamable-http'],
  ]);
});

test('an explicit transport always wins over inference', () => {
  // An http(s) URL would be inferred as streamable-http; sse and websocket must be taken as written.
  assert.deepEqual(transports('servers:\n  - { id: a, transport: sse, url: "http://h/sse" }\n  - { id: b, transport: ws, url: "https://h/ws" }\n'), [
    ['a', 'sse'],
    ['b', 'websocket'],
  ]);
});

test('the url is inferred after ${VAR} substitution', () => {
  const text = 'servers:\n  - { id: remote, url: "${REMOTE_URL:-http://127.0.0.1:3001/mcp}" }\n';
  assert.deepEqual(transports(text), [['remote', 'streamable-http']]);
  assert.deepEqual(transports(text, { REMOTE_URL: 'wss://example.com/mcp' }), [['remote', 'websocket']]);
});

test('an inferred server gets the same defaults and normalised shape as an explicit one', () => {
  const inferred = parseConfig('servers:\n  - { id: s, command: node }\n', { env: {} });
  const explicit = parseConfig('servers:\n  - { id: s, transport: stdio, command: node }\n', { env: {} });
  assert.deepEqual(inferred, explicit);
  assert.ok(Object.isFrozen(inferred.servers[0]));
});

test('neither command nor url: one error naming both ways out', () => {
  assert.deepEqual(configErrors('servers:\n  - { id: ok, command: node }\n  - { id: bare, tags: [x] }\n'), [
    'servers[1]: needs "command" (stdio) or "url" (network transport)',
  ]);
});

test('the error is reported with the other problems, the whole server before its fields', () => {
  assert.deepEqual(configErrors('servers:\n  - { id: bare, timeout: 0 }\n  - { id: "-x", command: node }\n'), [
    'servers[0]: needs "command" (stdio) or "url" (network transport)',
    'servers[0].timeout: must be at least 1 (got 0)',
    'servers[1].id: must be 1-64 letters, digits, "_" or "-", starting with a letter or digit (got "-x")',
  ]);
});

test('a url whose scheme names no transport is reported at the url', () => {
  assert.deepEqual(configErrors('servers:\n  - { id: s, url: "ftp://example.com/mcp" }\n'), [
    'servers[0].url: must be an http://, https://, ws:// or wss:// URL when "transport" is not set (got "ftp://example.com/mcp")',
  ]);
});

test('a url that is not a URL gets the schema error only, not an inference error too', () => {
  assert.deepEqual(configErrors('servers:\n  - { id: s, url: "not a url" }\n'), ['servers[0].url: must be an absolute URL such as http://127.0.0.1:3001/mcp (got "not a url")']);
});

test('command and url without transport: command means stdio, so the url is the mistake', () => {
  assert.deepEqual(configErrors('servers:\n  - { id: s, command: node, url: "http://h/mcp" }\n'), [
    'servers[0].url: is not allowed for a stdio server (it runs "command"; url is for network transports)',
  ]);
});

test('inferTransport on its own', () => {
  assert.equal(inferTransport({ command: 'node' }), 'stdio');
  assert.equal(inferTransport({ url: 'ws://h' }), 'websocket');
  assert.equal(inferTransport({ url: 'https://h/mcp' }), 'streamable-http');
  assert.equal(inferTransport({}), undefined);
  assert.equal(inferTransport({ url: 'mailto:x@example.com' }), undefined);
  assert.equal(inferTransport({ url: 'ws is not a url' }), undefined);
});
