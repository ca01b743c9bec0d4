/** The catalog fixture (raw and SDK) and `--method tools/list` / `--expect tools:N`, through the real harness. */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseCallMix, parseExpectation, prepare } from '../../src/bench/calls.js';
import { catalogTools, RawCatalogServer } from '../../src/bench/fixtures/catalog-server.js';
import { parseEvent } from '../../src/bench/targets/mcp-sse.js';
import { runBench } from '../../src/bench/runner.js';

const fixture = fileURLToPath(new URL('../../src/bench/fixtures/catalog-server.js', import.meta.url));
const list = (tools: number) => runBench({ target: { kind: 'stdio', command: process.execPath, args: [fixture, '--tools', '7', '--name', 'svc'], protocol: 'auto' }, calls: [{ method: 'tools/list', tool: 'tools/list', expect: { tools } }], concurrency: 2, requests: 20, durationMs: 20_000, threads: 1 });

describe('bench: catalog fixture and tools/list', () => {
  it('the raw server answers both eras and lists exactly N tools', () => {
    const server = new RawCatalogServer('svc', catalogTools('svc', 7));
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
    const discover = JSON.parse(server.handle(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: meta } }))!);
    assert.ok(discover.result.supportedVersions.includes('2026-07-28'));
    assert.equal(discover.result.resultType, 'complete');
    const listed = JSON.parse(server.handle(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: meta } }))!);
    assert.deepEqual(listed.result.tools.map((t: { name: string }) => t.name), Array.from({ length: 7 }, (_, i) => `svc_op_${i}`));
    const init = JSON.parse(server.handle(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'initialize', params: { protocolVersion: '2025-06-18' } }))!);
    assert.equal(init.result.protocolVersion, '2025-06-18');
    const call = JSON.parse(server.handle(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'svc_op_3', arguments: { message: 'hi' } } }))!);
    assert.equal(call.result.content[0].text, 'hi');
    assert.equal(JSON.parse(server.handle(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'nope' } }))!).error.code, -32602);
    assert.equal(server.handle(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })), undefined);
  });

  it('the harness lists the spawned fixture and checks the count (7 passes, 8 is a mismatch)', async () => {
    const good = await list(7);
    assert.equal(good.result.ok, 20);
    assert.equal(good.result.errors, 0);
    const bad = await list(8);
    assert.equal(bad.result.ok, 0);
    assert.equal(bad.result.errorsByKind.mismatch, 20);
    assert.match(bad.result.errorSamples.mismatch![0]!, /expected 8 tools, the listing had 7/);
  });

  it('tools:N parses, and belongs to tools/list only', () => {
    assert.deepEqual(parseExpectation('tools:5000', 'x'), { tools: 5000 });
    assert.equal(prepare({ method: 'tools/list', tool: 'tools/list', expect: { tools: 3 } }, 't').expectTools, 3);
    assert.throws(() => prepare({ tool: 'echo', payload: 10, expect: { tools: 3 } }, 't'), /tools\/list/);
    assert.deepEqual(parseCallMix([{ method: 'tools/list' }], 'f'), [{ method: 'tools/list', tool: 'tools/list' }]);
    assert.throws(() => parseCallMix([{ method: 'tools/get' }], 'f'), /method/);
  });

  it('SSE events: type and data lines', () => {
    assert.deepEqual(parseEvent('event: endpoint\ndata: /message?sessionId=1'), { type: 'endpoint', data: '/message?sessionId=1' });
    assert.deepEqual(parseEvent('data:{"a":1}\r\ndata: x'), { type: 'message', data: '{"a":1}\nx' });
  });
});
