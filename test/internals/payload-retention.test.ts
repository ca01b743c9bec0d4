/**
 * A call's payload is let go once it has been sent on, not held until its
 * answer: with many large calls in flight, whatever is held is copied by every
 * young-generation GC in between and then promoted, which cost the gateway a
 * third of its CPU at 100 KiB (bench/README.md, "Large payloads"). Checked with
 * the real collector: the test process exposes `gc`, then asks what survives
 * it while calls to a tool that never answers are in flight.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { normalizeConfig } from '../../src/config/load.js';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Cancellation } from '../../workers/cancellation.js';
import { openLean } from '../../workers/lean-connection.js';
import { ResponseLimit } from '../../workers/response-limit.js';
import type { ConnectionHooks } from '../../workers/upstream-connection.js';
import { fixtures } from '../fixtures/paths.js';
import { stopLeavingNothing } from '../helpers/faults.js';
import { eventually, startGateway } from '../helpers/gateway.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const PAYLOAD_BYTES = 512 * 1024;
const hangServer = { id: 'hang', command: process.execPath, args: [fixtures.faultStdio], maxConcurrency: 32, timeout: 120_000 };

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const MODERN = '2026-07-28';

/** The `hang` calls' arguments, fresh for each call. */
function hangArguments(index: number): Record<string, unknown> {
  return { pad: `${index}:`.padEnd(PAYLOAD_BYTES, 'x') };
}

const JSON_POST = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** A JSON-RPC tools/call of `hang`, as a Blob (its own copy, off the heap): the string it was made from is garbage at once. */
function rpcCall(index: number, meta: Record<string, unknown> | undefined): Blob {
  const params = { name: 'hang', arguments: hangArguments(index), ...(meta === undefined ? {} : { _meta: meta }) };
  return new Blob([JSON.stringify({ jsonrpc: '2.0', id: index, method: 'tools/call', params })]);
}

interface Surface {
  /** Headers every call on this surface carries, once set up (a 2025 session). */
  open?(url: string): Promise<Record<string, string>>;
  post(url: string, index: number, signal: AbortSignal, headers: Record<string, string>): Promise<Response>;
}

/** A `hang` call to each surface. */
const SURFACES: Record<string, Surface> = {
  REST: {
    post: (url, index, signal) =>
      fetch(`${url}/api/v1/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Blob([JSON.stringify({ tool: 'hang', arguments: hangArguments(index) })]), signal }),
  },
  '/mcp 2026-07-28': {
    post: (url, index, signal) =>
      fetch(`${url}/mcp`, {
        method: 'POST',
        headers: { ...JSON_POST, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'hang' },
        body: rpcCall(index, { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} }),
        signal,
      }),
  },
  // The 2025 bridge keeps a payload only for a 2026-07-28 upstream, which may ask for input by result; `hang` is a 2025 server.
  '/mcp 2025 session': {
    async open(url) {
      const init = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: JSON_POST,
        body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'retention', version: '1' } } }),
      });
      assert.equal(init.status, 200);
      await init.text();
      const session = { 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-06-18' };
      const initialized = await fetch(`${url}/mcp`, { method: 'POST', headers: { ...JSON_POST, ...session }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
      await initialized.text();
      return session;
    },
    post: (url, index, signal, headers) => fetch(`${url}/mcp`, { method: 'POST', headers: { ...JSON_POST, ...headers }, body: rpcCall(index, undefined), signal }),
  },
};

const quietHooks: ConnectionHooks = {
  onStderrLine: () => undefined,
  onNoise: () => undefined,
  onChildSpawn: () => undefined,
  onChildExit: () => undefined,
  onUnexpectedClose: () => undefined,
  onListChanged: () => undefined,
  onResourceUpdated: () => undefined,
  onInputRequest: () => Promise.reject(new Error('not asked in this test')),
};

describe('a payload in flight is not held', () => {
  test('the stdio connection keeps neither the params nor the options of a sent call', async () => {
    const server = normalizeConfig({ servers: [hangServer] }, { env: {} }).servers[0]!;
    const connection = await openLean(server, quietHooks, new ResponseLimit(server.maxResponseBytes), 'legacy');
    try {
      const cancellation = new Cancellation();
      let params: Record<string, unknown> | undefined = { name: 'hang', arguments: { pad: 'x'.repeat(PAYLOAD_BYTES) } };
      let options: { cancellation: Cancellation; timeoutMs: number; paramsText: string } | undefined = { cancellation, timeoutMs: 120_000, paramsText: JSON.stringify(params) };
      const paramsRef = new WeakRef(params);
      const optionsRef = new WeakRef(options);
      const answer = connection.forward('tools/call', params, options);
      answer.catch(() => undefined);
      params = undefined;
      options = undefined;
      // The line goes out at the end of this turn; the call stays in flight (hang never answers).
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      assert.equal(paramsRef.deref(), undefined, 'the parsed params were let go once sent');
      assert.equal(optionsRef.deref(), undefined, 'the forward options (with the params text) were let go once sent');
      cancellation.abort(new Error('the test is done'));
      await assert.rejects(answer, /the test is done/);
    } finally {
      await connection.close();
    }
  });

  for (const [name, surface] of Object.entries(SURFACES)) {
    test(`${name} calls in flight hold none of their payload on the main thread`, async (t) => {
      const gw = await startGateway([hangServer]);
      t.after(() => gw.stop());
      // Warm: the first call loads what every later one uses.
      assert.equal((await gw.call('echo', { message: 'warm' }, 'hang')).status, 200);
      const headers = (await surface.open?.(gw.url)) ?? {};
      const calls = 16;
      const before = heapAfterGc();
      const aborts = Array.from({ length: calls }, () => new AbortController());
      const pending = aborts.map((abort, index) => surface.post(gw.url, index, abort.signal, headers).catch(() => undefined));
      const inFlight = async () => (await gw.get('/api/v1/servers/hang')).body.inFlight as number;
      assert.equal(await eventually(inFlight, (count) => count === calls), calls, 'every call reached the worker');
      const held = heapAfterGc() - before;
      for (const abort of aborts) abort.abort();
      await Promise.all(pending);
      // Held, each call kept about three copies (its parsed body, the body's text, the params sent on): 25 MiB here.
      // Let go, what is left is the requests' own bookkeeping, here and in the test's fetches: about 1.5 MiB.
      assert.ok(held < (calls * PAYLOAD_BYTES) / 2, `${(held / 1048576).toFixed(1)} MiB more heap with ${calls} calls of ${PAYLOAD_BYTES / 1024} KiB in flight`);
      assert.equal(await eventually(inFlight, (count) => count === 0), 0, 'the aborted calls were cancelled');
      await stopLeavingNothing(gw);
    });
  }

  test('a 2025 session whose 2025 upstream asks for input by result gets a clear error: the call, its payload let go, is not sent again', async (t) => {
    const gw = await startGateway([{ id: 'quirky', command: process.execPath, args: [fixtures.quirkyStdio] }]);
    t.after(() => gw.stop());
    const client = new V1Client({ name: 'retention-bridge', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept', content: {} };
    });
    await client.connect(new V1Transport(new URL(`${gw.url}/mcp`)));
    try {
      await assert.rejects(client.callTool({ name: 'asks_by_result', arguments: { note: 'kept?' } }), (error: Error) => {
        assert.match(error.message, /asked for input by result although it was connected as a 2025 server/);
        return true;
      });
      assert.deepEqual(asked, [], 'the client was not asked for input that could not be used');
      const echo = await client.callTool({ name: 'echo', arguments: { message: 'still here' } });
      assert.equal((echo.content as { text: string }[])[0]!.text, 'still here');
    } finally {
      await client.close();
    }
    await stopLeavingNothing(gw);
  });
});
