/**
 * The lean stdio connection (workers/lean-connection.ts), through the gateway:
 * how it settles the era with 2025-era servers that answer the
 * `server/discover` probe badly, what it answers a server's own requests, and
 * that a stdio worker's module graph holds no SDK, zod, ajv or ws.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixtures } from '../fixtures/paths.js';
import { scratchDir, stopLeavingNothing } from '../helpers/faults.js';
import { startGateway } from '../helpers/gateway.js';

const quirky = (id: string, args: string[], extra: Record<string, unknown> = {}) => ({ id, command: process.execPath, args: [fixtures.quirkyStdio, ...args], ...extra });

async function starts(file: string): Promise<number> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
}

describe('era settling on stdio without the SDK', () => {
  test('a probe answered with -32601, with -32022 for future versions only, or not at all is a 2025 server, initialized on the same process', async (t) => {
    const dir = await scratchDir(t);
    const gw = await startGateway([
      quirky('refuses', ['--starts', join(dir, 'refuses')]),
      quirky('future', ['--discover', 'refuse', '--starts', join(dir, 'future')]),
      quirky('ignores', ['--discover', 'ignore', '--starts', join(dir, 'ignores')], { startupTimeoutMs: 3000 }),
    ]);
    t.after(() => gw.stop());
    for (const id of ['refuses', 'future', 'ignores']) {
      const entry = gw.report.servers.find((server) => server.id === id)!;
      assert.equal(entry.ok, true, `${id}: ${entry.reason}`);
      assert.equal(entry.protocolVersion, '2025-06-18');
      assert.equal(await starts(join(dir, id)), 1, `${id} was spawned once`);
      assert.equal((await gw.call('echo', { message: `via ${id}` }, id)).body.content[0].text, `via ${id}`);
    }
    assert.deepEqual((await gw.get('/api/v1/servers/refuses')).body.serverInfo, { name: 'quirky', version: '1.0.0' });
    await stopLeavingNothing(gw);
  });

  test('a server the probe kills is started again and initialized', async (t) => {
    const dir = await scratchDir(t);
    const gw = await startGateway([quirky('dies', ['--discover', 'exit', '--starts', join(dir, 'dies')])]);
    t.after(() => gw.stop());
    const entry = gw.report.servers[0]!;
    assert.equal(entry.ok, true, entry.reason);
    assert.equal(entry.protocolVersion, '2025-06-18');
    assert.equal(await starts(join(dir, 'dies')), 2, 'one process for the probe, one for initialize');
    assert.equal((await gw.call('echo', { message: 'again' }, 'dies')).body.content[0].text, 'again');
    await stopLeavingNothing(gw);
  });

  test('pinned to 2026-07-28, a 2025 server is refused with the reason', async (t) => {
    const gw = await startGateway([quirky('pinned', [], { protocol: '2026-07-28' })]);
    t.after(() => gw.stop());
    const entry = gw.report.servers[0]!;
    assert.equal(entry.ok, false);
    assert.match(entry.reason ?? '', /did not offer pinned protocol version 2026-07-28/);
    await stopLeavingNothing(gw);
  });

  test('an initialize answer in a version the gateway does not speak is a clear start-up error, without a second spawn', async (t) => {
    const dir = await scratchDir(t);
    const gw = await startGateway([quirky('odd-version', ['--version', '1999-01-01', '--starts', join(dir, 'odd')])]);
    t.after(() => gw.stop());
    const odd = gw.report.servers[0]!;
    assert.equal(odd.ok, false);
    assert.match(odd.reason ?? '', /protocol version is not supported: 1999-01-01/);
    assert.equal(await starts(join(dir, 'odd')), 1, 'a failed handshake is not retried on a fresh process');
    await stopLeavingNothing(gw);
  });
});

test("a 2025 server's own requests: ping is answered, roots/list (not declared) gets method-not-found, and the call completes", async (t) => {
  const gw = await startGateway([quirky('asks', [])]);
  t.after(() => gw.stop());
  const answer = await gw.call('ask', {}, 'asks');
  assert.equal(answer.status, 200, answer.text);
  const { ping, roots } = JSON.parse(answer.body.content[0].text);
  assert.deepEqual(ping.result, {});
  assert.equal(roots.error.code, -32601);
  await stopLeavingNothing(gw);
});

test('a result and its arguments cross the gateway as text: what the upstream wrote (less resultType: "complete"), what the client sent', async (t) => {
  const gw = await startGateway([quirky('verbatim', [])]);
  t.after(() => gw.stop());
  // Spaces, an escape and a key order of the client's own: passed on as written, not re-serialised.
  const body = String.raw`{"tool":"verbatim", "arguments" : { "b" : [1, 2], "a" : "\u00e9 \"}\"" } }`;
  const response = await fetch(`${gw.url}/api/v1/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  const { content, _meta, ...rest } = JSON.parse(text);
  assert.deepEqual(rest, {}, 'resultType "complete" is not passed on');
  assert.deepEqual(_meta, { note: '{kept}' });
  assert.equal(content[0].text, 'café "}]" \\');
  assert.ok(text.includes(String.raw`"text":"caf\u00e9 \"}]\" \\"`), `the result's own escapes are kept: ${text}`);
  const received: string = content[1].text;
  assert.ok(received.includes(String.raw`"arguments":{ "b" : [1, 2], "a" : "\u00e9 \"}\"" }`), `the arguments went upstream as the client wrote them: ${received}`);
  // The same over /mcp (2026-07-28): the arguments inside params, the answer inside a JSON-RPC frame.
  const meta = String.raw`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`;
  const rpc = await fetch(`${gw.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'verbatim' },
    body: String.raw`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"verbatim",${meta},"arguments":{ "z" : "\u00e9" }}}`,
  });
  const frame = await rpc.text();
  assert.equal(rpc.status, 200, frame);
  const answer = JSON.parse(frame) as { id: number; result: { content: { text: string }[]; resultType?: string } };
  assert.equal(answer.id, 3);
  assert.equal(answer.result.content[0]!.text, 'café "}]" \\');
  assert.ok(answer.result.content[1]!.text.includes(String.raw`"arguments":{ "z" : "\u00e9" }`), `over /mcp too: ${answer.result.content[1]!.text}`);
  // A body that is no JSON object is still refused before anything is passed on.
  const bad = await fetch(`${gw.url}/api/v1/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"tool":"verbatim","arguments":{"a":1,}}' });
  assert.equal(bad.status, 400);
  await stopLeavingNothing(gw);
});

test("a stdio worker's static module graph loads no SDK, zod, ajv or ws (they cost every worker thread its own copy)", () => {
  const workers = resolve(dirname(fileURLToPath(import.meta.url)), '../../workers');
  const seen = new Set<string>();
  const external = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    // Static imports only: `import(...)` is how the HTTP connection, ws and ajv stay out until needed.
    for (const match of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith('.')) walk(resolve(dirname(file), specifier));
      else external.add(specifier);
    }
  };
  walk(join(workers, 'upstream-worker.js'));
  walk(join(workers, 'lean-connection.js'));
  assert.ok(seen.size > 10, 'the walk followed the imports');
  const heavy = [...external].filter((name) => /^(@modelcontextprotocol\/|zod|ajv|ws$)/.test(name));
  assert.deepEqual(heavy, []);
  assert.ok([...external].every((name) => name.startsWith('node:')), `only Node built-ins: ${[...external].join(', ')}`);
});
