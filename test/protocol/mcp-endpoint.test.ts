/**
 * The gateway as an MCP server on /mcp, with real SDK clients of both eras
 * (v2 pinned to 2026-07-28; v1 over Streamable HTTP) in front of upstreams of
 * both eras, on both HTTP engines.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport as V1SseTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { eventually, startGateway, type EngineName, type RunningGateway } from '../helpers/gateway.js';

const MODERN = '2026-07-28';

async function modernClient(url: string): Promise<Client> {
  const client = new Client({ name: 'modern-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return client;
}

async function legacyClient(url: string): Promise<{ client: V1Client; transport: V1Transport }> {
  const client = new V1Client({ name: 'legacy-test', version: '1.0.0' });
  const transport = new V1Transport(new URL(`${url}/mcp`));
  await client.connect(transport);
  return { client, transport };
}

/** A raw modern POST with the headers a 2026-07-28 client sends, overridable per test. */
function modernPost(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  const params = (body.params ?? {}) as Record<string, unknown>;
  const withMeta = {
    jsonrpc: '2.0',
    ...body,
    params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, ...(params._meta as object) } },
  };
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': String(body.method), ...headers },
    body: JSON.stringify(withMeta),
  });
}

for (const engine of ['uws', 'node'] as EngineName[]) {
  describe(`/mcp on the ${engine} engine`, () => {
    let gw: RunningGateway;

    before(async () => {
      gw = await startGateway(
        [
          { id: 'demo', command: process.execPath, args: [demoServer] },
          { id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha' } },
          { id: 'beta', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'beta' }, protocol: 'legacy' },
        ],
        { engine },
      );
    });
    after(() => gw.stop());

    test('a 2026-07-28 client discovers the gateway and sees the merged catalog, clashing names namespaced', async () => {
      const client = await modernClient(gw.url);
      try {
        assert.equal(client.getProtocolEra(), 'modern');
        assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
        assert.equal(client.getServerVersion()?.name, 'mcp-gateway');
        const { tools } = await client.listTools();
        const names = tools.map((tool) => tool.name);
        for (const name of ['add', 'sleep', 'demo__echo', 'alpha__echo', 'beta__echo', 'alpha__shared', 'beta__shared']) assert.ok(names.includes(name), `missing ${name} in ${names.join(',')}`);
        assert.ok(!names.includes('echo') && !names.includes('shared'));
        const add = tools.find((tool) => tool.name === 'add')!;
        assert.ok(add.outputSchema, 'outputSchema passes through');
      } finally {
        await client.close();
      }
    });

    test('a 2026-07-28 client calls tools on upstreams of both eras, reads resources, gets prompts', async () => {
      const client = await modernClient(gw.url);
      try {
        const sum = await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } });
        assert.deepEqual(sum.structuredContent, { sum: 42 });
        const beta = await client.callTool({ name: 'beta__shared', arguments: {} });
        assert.equal((beta.content as { text: string }[])[0]!.text, 'beta');
        const alpha = await client.callTool({ name: 'alpha__echo', arguments: { message: 'via modern' } });
        assert.equal((alpha.content as { text: string }[])[0]!.text, 'via modern');
        const failed = await client.callTool({ name: 'fail', arguments: {} });
        assert.equal(failed.isError, true);
        const readme = await client.readResource({ uri: 'demo://readme' });
        assert.equal(readme.contents[0]!.uri, 'demo://readme');
        const prompt = await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
        assert.match(JSON.stringify(prompt.messages), /Ada/);
        await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), /no_such_tool/);
      } finally {
        await client.close();
      }
    });

    test('progress reaches a 2026-07-28 client on the request stream, in order', async () => {
      const client = await modernClient(gw.url);
      try {
        const seen: number[] = [];
        const result = await client.callTool({ name: 'sleep', arguments: { ms: 600, steps: 4 } }, { onprogress: (progress) => void seen.push(progress.progress) });
        assert.match(JSON.stringify(result.content), /slept|600/i);
        assert.ok(seen.length >= 2, `progress seen: ${seen.join(',')}`);
        assert.deepEqual([...seen].sort((a, b) => a - b), seen);
      } finally {
        await client.close();
      }
    });

    test('every progress notification reaches the request stream, even ones sent just before the result', async () => {
      // steps arriving in the same read as the result are where the SDK client drops them; the gateway must not.
      const response = await modernPost(gw.url, { id: 1, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 0, steps: 5 }, _meta: { progressToken: 'p1' } } }, { 'mcp-name': 'sleep' });
      assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
      const text = await response.text();
      const progress = [...text.matchAll(/"method":"notifications\/progress","params":\{([^}]*)\}/g)].map((match) => match[1]);
      assert.equal(progress.length, 5, text);
      assert.ok(progress.every((params) => params!.includes('"progressToken":"p1"')));
      assert.match(text.slice(text.lastIndexOf('data:')), /"result"/);
    });

    test('closing the request stream cancels the call upstream and frees the slot', async () => {
      const client = await modernClient(gw.url);
      try {
        const controller = new AbortController();
        const inFlight = () => gw.gateway.supervisor.group('alpha')!.inFlight;
        const slow = client.callTool({ name: 'alpha__slow', arguments: { ms: 20_000 } }, { signal: controller.signal });
        await eventually(inFlight, (n) => n === 1);
        controller.abort();
        await assert.rejects(slow);
        assert.equal(await eventually(inFlight, (n) => n === 0), 0);
      } finally {
        await client.close();
      }
    });

    test('a 2025 client (SDK v1) initialises a session, lists and calls, and the session ends on DELETE', async () => {
      const { client, transport } = await legacyClient(gw.url);
      assert.ok(transport.sessionId);
      assert.equal(client.getServerVersion()?.name, 'mcp-gateway');
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'demo__echo'));
      const result = await client.callTool({ name: 'demo__echo', arguments: { message: 'via legacy' } });
      assert.equal((result.content as { text: string }[])[0]!.text, 'via legacy');
      const modernUpstream = await client.callTool({ name: 'alpha__shared', arguments: {} });
      assert.equal((modernUpstream.content as { text: string }[])[0]!.text, 'alpha');
      const sessionId = transport.sessionId!;
      await transport.terminateSession();
      const after = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
      assert.equal(after.status, 404);
      assert.equal((await after.json()).error.data.code, 'MCPGW_ERR_UNKNOWN_SESSION');
      await client.close();
    });

    test('a large result in any script reaches REST, a 2026-07-28 client and a 2025 client exactly as the tool sent it', async () => {
      // Past json-text.ts's TRANSFER_MIN_CHARS, so it crosses from the worker as UTF-8 bytes: multi-byte text and
      // characters outside the BMP must arrive whole on every path that passes the bytes on or decodes them.
      const message = 'héllo ✓ 𝄞 日本 '.repeat(3000);
      const rest = await gw.call('echo', { message }, 'demo');
      assert.equal(rest.status, 200);
      assert.equal(rest.body.content[0].text, message);
      assert.match(rest.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(Number(rest.headers.get('content-length')), Buffer.byteLength(rest.text));
      const toolError = await gw.call('fail', { message }, 'demo');
      assert.equal(toolError.status, 200);
      assert.deepEqual([toolError.body.isError, toolError.body.content[0].text], [true, message]);
      const modern = await modernClient(gw.url);
      const { client: legacy } = await legacyClient(gw.url);
      try {
        for (const client of [modern, legacy]) {
          const echoed = await client.callTool({ name: 'demo__echo', arguments: { message } });
          assert.equal((echoed.content as { text: string }[])[0]!.text, message);
          const failed = await client.callTool({ name: 'fail', arguments: { message } });
          assert.equal(failed.isError, true);
          assert.equal((failed.content as { text: string }[])[0]!.text, message);
        }
      } finally {
        await Promise.all([modern.close(), legacy.close()]);
      }
    });

    test('a 2024-11-05 client (SDK v1 over HTTP+SSE) lists and calls through /sse and /messages', async () => {
      const client = new V1Client({ name: 'sse-test', version: '1.0.0' });
      await client.connect(new V1SseTransport(new URL(`${gw.url}/sse`)));
      try {
        const { tools } = await client.listTools();
        assert.ok(tools.some((tool) => tool.name === 'add'));
        const sum = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
        assert.deepEqual(sum.structuredContent, { sum: 3 });
        const seen: number[] = [];
        await client.callTool({ name: 'sleep', arguments: { ms: 400, steps: 4 } }, undefined, { onprogress: (p) => void seen.push(p.progress) });
        assert.ok(seen.length >= 1, 'progress reached the SSE client');
      } finally {
        await client.close();
      }
      const unknown = await fetch(`${gw.url}/messages?sessionId=nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) });
      assert.equal(unknown.status, 404);
    });

    test('a malformed 2025 initialize is refused with 400 / -32602 and opens no session', async () => {
      const initialize = (params: unknown) =>
        fetch(`${gw.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'initialize', params }) });
      const good = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } };
      for (const params of [{}, { ...good, protocolVersion: 20251125 }, { ...good, capabilities: 'all' }, { ...good, capabilities: [] }, { protocolVersion: '2025-11-25', capabilities: {} }, { ...good, clientInfo: { name: 'raw' } }, { ...good, clientInfo: null }]) {
        const refused = await initialize(params);
        assert.equal(refused.status, 400, JSON.stringify(params));
        assert.equal(refused.headers.get('mcp-session-id'), null, 'no session for a refused initialize');
        const body = await refused.json();
        assert.deepEqual([body.id, body.error.code, body.error.data.code], [7, -32602, 'MCPGW_ERR_INVALID_PARAMS']);
      }
      // A protocol version the gateway does not speak is negotiated, not refused.
      const unknownVersion = await initialize({ ...good, protocolVersion: '1999-01-01' });
      assert.equal(unknownVersion.status, 200);
      assert.equal((await unknownVersion.json()).result.protocolVersion, '2025-11-25');
      await fetch(`${gw.url}/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': unknownVersion.headers.get('mcp-session-id')! } });
    });

    test('a list change upstream reaches a 2025 session on its GET stream', async () => {
      const { client } = await legacyClient(gw.url);
      try {
        let changed = 0;
        client.setNotificationHandler(ToolListChangedNotificationSchema, async () => void changed++);
        // Let the client open its GET stream first.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const added = await client.callTool({ name: 'add_tool', arguments: {} }).catch(() => undefined);
        // add_tool exists on alpha and beta: namespaced.
        const result = added ?? (await client.callTool({ name: 'alpha__add_tool', arguments: {} }));
        assert.ok(result);
        await eventually(() => changed, (n) => n > 0, 5000);
        assert.ok(changed > 0, 'no tools/list_changed reached the session');
      } finally {
        await client.close();
      }
    });

    test('list changes after an upstream restart reach a 2026-07-28 listener and a 2025 session', async () => {
      const modern = await modernClient(gw.url);
      const { client: legacy } = await legacyClient(gw.url);
      try {
        let modernChanges = 0;
        let legacyChanges = 0;
        modern.setNotificationHandler('notifications/tools/list_changed', () => void modernChanges++);
        legacy.setNotificationHandler(ToolListChangedNotificationSchema, async () => void legacyChanges++);
        const subscription = await modern.listen({ toolsListChanged: true, promptsListChanged: true });
        assert.equal(subscription.honoredFilter.toolsListChanged, true);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const restartsBefore = gw.gateway.supervisor.group('alpha')!.restarts;
        await modern.callTool({ name: 'alpha__crash', arguments: {} }).catch(() => undefined);
        await eventually(() => gw.gateway.supervisor.group('alpha')!, (group) => group.restarts > restartsBefore && group.state === 'ready', 15_000);
        await eventually(() => modernChanges + legacyChanges, () => modernChanges > 0 && legacyChanges > 0, 5000);
        assert.ok(modernChanges > 0, 'the 2026-07-28 listener heard nothing');
        assert.ok(legacyChanges > 0, 'the 2025 session heard nothing');
        const { tools } = await modern.listTools();
        assert.ok(tools.some((tool) => tool.name === 'alpha__echo'), 'alpha is back in the catalog');
        await subscription.close();
      } finally {
        await modern.close();
        await legacy.close();
      }
    });

    test('a 2025 client that reconnects its GET stream with Last-Event-ID gets the events it missed', async () => {
      const init = await fetch(`${gw.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
      });
      const sessionId = init.headers.get('mcp-session-id')!;
      assert.equal((await init.json()).result.protocolVersion, '2025-06-18');
      const openStream = (lastEventId?: string) => {
        const controller = new AbortController();
        const response = fetch(`${gw.url}/mcp`, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }, signal: controller.signal });
        return { controller, response };
      };
      const readUntil = async (body: ReadableStream<Uint8Array>, pattern: RegExp): Promise<string> => {
        const reader = body.getReader();
        const decoder = new TextDecoder();
        let text = '';
        const until = Date.now() + 10_000;
        while (!pattern.test(text) && Date.now() < until) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value);
        }
        reader.releaseLock();
        return text;
      };
      const first = openStream();
      const firstBody = (await first.response).body!;
      await gw.call('add_tool', {}, 'alpha');
      const seen = await readUntil(firstBody, /id: (\d+)\nevent: message\ndata: .*tools\/list_changed/);
      const firstId = /id: (\d+)/.exec(seen)![1]!;
      first.controller.abort();
      // A change while no stream is open.
      await gw.call('add_tool', {}, 'beta');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const second = openStream(firstId);
      const replayed = await readUntil((await second.response).body!, new RegExp(`id: ${Number(firstId) + 1}\n`));
      second.controller.abort();
      assert.match(replayed, new RegExp(`id: ${Number(firstId) + 1}\nevent: message\ndata: .*tools/list_changed`));
      assert.doesNotMatch(replayed, new RegExp(`id: ${firstId}\n`));
      await fetch(`${gw.url}/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    });

    test('wire rules: header mismatch, unsupported version, removed method, notifications, origin, sessions', async () => {
      const mismatch = await modernPost(gw.url, { id: 1, method: 'tools/list' }, { 'mcp-method': 'prompts/list' });
      assert.equal(mismatch.status, 400);
      assert.equal((await mismatch.json()).error.code, -32020);
      const missingName = await modernPost(gw.url, { id: 2, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 } } });
      assert.equal(missingName.status, 400);
      assert.match((await missingName.json()).error.message, /Mcp-Name/);
      const named = await modernPost(gw.url, { id: 3, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 } } }, { 'mcp-name': 'add' });
      assert.equal(named.status, 200);
      const namedBody = await named.json();
      assert.equal(namedBody.result.resultType, 'complete');
      const base64Name = await modernPost(gw.url, { id: 4, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 } } }, { 'mcp-name': `=?base64?${Buffer.from('add').toString('base64')}?=` });
      assert.equal(base64Name.status, 200);
      const future = await modernPost(gw.url, { id: 5, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2027-01-01' } } }, { 'mcp-protocol-version': '2027-01-01' });
      assert.equal(future.status, 400);
      const futureBody = await future.json();
      assert.equal(futureBody.error.code, -32022);
      assert.ok(futureBody.error.data.detail.supported.includes(MODERN));
      const ping = await modernPost(gw.url, { id: 6, method: 'ping' });
      assert.equal(ping.status, 404);
      assert.equal((await ping.json()).error.code, -32601);
      // Names every JavaScript object answers to are methods like any other unknown one, not ones that need an Mcp-Name.
      for (const method of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        const unknown = await modernPost(gw.url, { id: 6, method });
        assert.equal(unknown.status, 404, method);
        assert.equal((await unknown.json()).error.code, -32601, method);
      }
      const noCaps = await fetch(`${gw.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN } } }),
      });
      assert.equal(noCaps.status, 400);
      assert.equal((await noCaps.json()).error.code, -32602);
      const list = await modernPost(gw.url, { id: 8, method: 'tools/list' });
      const listBody = await list.json();
      assert.equal(listBody.result.resultType, 'complete');
      assert.equal(listBody.result.ttlMs, 0);
      assert.equal(listBody.result.cacheScope, 'public');
      const notification = await modernPost(gw.url, { method: 'notifications/cancelled', params: { requestId: 99 } }, { 'mcp-method': 'notifications/cancelled' });
      assert.equal(notification.status, 202);
      const evil = await modernPost(gw.url, { id: 9, method: 'tools/list' }, { origin: 'http://evil.example' });
      assert.equal(evil.status, 403);
      const local = await modernPost(gw.url, { id: 10, method: 'tools/list' }, { origin: 'http://localhost:3000' });
      assert.equal(local.status, 200);
      const noSession = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 11, method: 'tools/list' }) });
      assert.equal(noSession.status, 400);
      assert.equal((await noSession.json()).error.data.code, 'MCPGW_ERR_SESSION_REQUIRED');
      const unknownSession = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', 'mcp-session-id': 'nope' }, body: JSON.stringify({ jsonrpc: '2.0', id: 12, method: 'tools/list' }) });
      assert.equal(unknownSession.status, 404);
      const get = await fetch(`${gw.url}/mcp`);
      assert.equal(get.status, 405);
      const badJson = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":' });
      assert.equal(badJson.status, 400);
      assert.equal((await badJson.json()).error.code, -32700);
      const batch = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
      assert.equal(batch.status, 400);
    });

    test('results speak for the gateway, completions are advertised only when an upstream completes', async () => {
      const call = await modernPost(gw.url, { id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 1 } } }, { 'mcp-name': 'add' });
      const body = await call.json();
      // The demo (a 2026-07-28 upstream) stamps its own serverInfo; the gateway's replaces it.
      assert.equal(body.result._meta['io.modelcontextprotocol/serverInfo'].name, 'mcp-gateway');
      const list = await (await modernPost(gw.url, { id: 2, method: 'tools/list' })).json();
      assert.equal(list.result._meta['io.modelcontextprotocol/serverInfo'].name, 'mcp-gateway');
      const completion = await (await modernPost(gw.url, { id: 3, method: 'completion/complete', params: { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'A' } } })).json();
      assert.ok(completion.result, JSON.stringify(completion));
      assert.ok(Array.isArray(completion.result.completion.values));
    });

    test('a 2025 request cancelled with notifications/cancelled is cancelled upstream and gets no answer', async () => {
      const init = await fetch(`${gw.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
      });
      const session = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': init.headers.get('mcp-session-id')! };
      const pending = fetch(`${gw.url}/mcp`, { method: 'POST', headers: session, body: JSON.stringify({ jsonrpc: '2.0', id: 'slow-1', method: 'tools/call', params: { name: 'alpha__slow', arguments: { ms: 20_000 } } }) });
      await eventually(() => gw.gateway.supervisor.group('alpha')!.inFlight, (n) => n === 1);
      const cancel = await fetch(`${gw.url}/mcp`, { method: 'POST', headers: session, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow-1', reason: 'user' } }) });
      assert.equal(cancel.status, 202);
      const answer = await pending;
      assert.equal(answer.status, 202);
      assert.equal(await answer.text(), '');
      assert.equal(await eventually(() => gw.gateway.supervisor.group('alpha')!.inFlight, (n) => n === 0), 0);
      await fetch(`${gw.url}/mcp`, { method: 'DELETE', headers: session });
    });

    test('a tool that asks for input: a 2026-07-28 client answers input_required through the gateway (signed requestState)', async () => {
      const client = new Client({ name: 'modern-elicit', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: { form: {} } } });
      const asked: string[] = [];
      client.setRequestHandler('elicitation/create', async (request) => {
        asked.push(String(request.params.message));
        return { action: 'accept', content: { confirm: true } };
      });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`)));
      try {
        const result = await client.callTool({ name: 'alpha__deploy', arguments: { env: 'prod' } });
        assert.equal((result.content as { text: string }[])[0]!.text, 'deployed to prod by alpha (state alpha:prod)');
        assert.deepEqual(asked, ['Deploy to prod?']);
      } finally {
        await client.close();
      }
    });

    test('a tool that asks for input: a 2025 client is asked with a real elicitation/create (the era bridge)', async () => {
      const client = new V1Client({ name: 'legacy-elicit', version: '1.0.0' }, { capabilities: { elicitation: {} } });
      const asked: string[] = [];
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(String(request.params.message));
        return { action: 'accept', content: { confirm: true } };
      });
      await client.connect(new V1Transport(new URL(`${gw.url}/mcp`)));
      try {
        const result = await client.callTool({ name: 'alpha__deploy', arguments: { env: 'staging' } });
        assert.equal((result.content as { text: string }[])[0]!.text, 'deployed to staging by alpha (state alpha:staging)');
        assert.deepEqual(asked, ['Deploy to staging?']);
      } finally {
        await client.close();
      }
      const { client: unable } = await legacyClient(gw.url);
      try {
        await assert.rejects(unable.callTool({ name: 'alpha__deploy', arguments: { env: 'qa' } }), (error: { code?: number; message: string }) => {
          assert.equal(error.code, -32021);
          assert.match(error.message, /elicitation/);
          return true;
        });
      } finally {
        await unable.close();
      }
    });

    test('a 2025 upstream asking for input mid-call: relayed to a 2025 client, parked for a 2026-07-28 client, 409 over REST', async () => {
      // beta speaks 2025 to the gateway: its SDK turns the tool's input request into a real elicitation/create.
      const modern = new Client({ name: 'modern-elicit', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: { form: {} } } });
      const legacy = new V1Client({ name: 'legacy-elicit', version: '1.0.0' }, { capabilities: { elicitation: {} } });
      const asked: string[] = [];
      modern.setRequestHandler('elicitation/create', async (request) => {
        asked.push(`modern: ${String(request.params.message)}`);
        return { action: 'accept', content: { confirm: true } };
      });
      legacy.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(`legacy: ${String(request.params.message)}`);
        return { action: 'accept', content: { confirm: true } };
      });
      await modern.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`)));
      await legacy.connect(new V1Transport(new URL(`${gw.url}/mcp`)));
      try {
        const viaModern = await modern.callTool({ name: 'beta__deploy', arguments: { env: 'prod' } });
        assert.match((viaModern.content as { text: string }[])[0]!.text, /^deployed to prod by beta/);
        const viaLegacy = await legacy.callTool({ name: 'beta__deploy', arguments: { env: 'staging' } });
        assert.match((viaLegacy.content as { text: string }[])[0]!.text, /^deployed to staging by beta/);
        assert.deepEqual(asked, ['modern: Deploy to prod?', 'legacy: Deploy to staging?']);
      } finally {
        await modern.close();
        await legacy.close();
      }
      // A 2026-07-28 client that cannot answer gets an error at once, not a parked call that waits for nothing.
      const unable = await modernClient(gw.url);
      try {
        const outcome = await unable.callTool({ name: 'beta__deploy', arguments: { env: 'qa' } }).then(
          (result) => JSON.stringify(result),
          (error: Error) => error.message,
        );
        assert.match(outcome, /elicitation/);
      } finally {
        await unable.close();
      }
      const rest = await gw.call('deploy', { env: 'dev' }, 'beta');
      assert.equal(rest.status, 409);
      assert.equal(rest.body.error.code, 'MCPGW_ERR_INPUT_REQUIRED');
      assert.match(rest.body.error.message, /\/mcp/);
      const restModern = await gw.call('deploy', { env: 'dev' }, 'alpha');
      assert.equal(restModern.status, 409);
      assert.equal(restModern.body.error.code, 'MCPGW_ERR_INPUT_REQUIRED');
    });

    test('a tampered, foreign or misdirected requestState is refused with a clear error', async () => {
      const canElicit = { 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } } };
      const first = await (await modernPost(gw.url, { id: 1, method: 'tools/call', params: { name: 'alpha__deploy', arguments: { env: 'x' }, _meta: canElicit } }, { 'mcp-name': 'alpha__deploy' })).json();
      assert.equal(first.result.resultType, 'input_required');
      const state = first.result.requestState as string;
      assert.match(state, /^mcpgw1\./);
      assert.doesNotMatch(state, /alpha:x/, 'the upstream state travels inside, not in the clear prefix');
      const retry = (requestState: string, name = 'alpha__deploy') =>
        modernPost(gw.url, { id: 2, method: 'tools/call', params: { name, arguments: { env: 'x' }, requestState, inputResponses: { confirm: { action: 'accept', content: { confirm: true } } }, _meta: canElicit } }, { 'mcp-name': name });
      const good = await (await retry(state)).json();
      assert.equal(good.result.content[0].text, 'deployed to x by alpha (state alpha:x)');
      const [prefix, body, signature] = state.split('.');
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), s: 'beta' })).toString('base64url');
      for (const bad of [`${prefix}.${forged}.${signature}`, 'alpha:x', `${state}x`]) {
        const refused = await (await retry(bad)).json();
        assert.equal(refused.error.code, -32602, JSON.stringify(refused));
        assert.equal(refused.error.data.code, 'MCPGW_ERR_BAD_REQUEST_STATE');
      }
      const otherTool = await (await retry(state, 'alpha__echo')).json();
      assert.equal(otherTool.error.data.code, 'MCPGW_ERR_BAD_REQUEST_STATE');
    });

    test('calls over /mcp are counted like REST calls', async () => {
      const client = await modernClient(gw.url);
      try {
        await client.callTool({ name: 'demo__echo', arguments: { message: 'count' } });
      } finally {
        await client.close();
      }
      const { body } = await gw.get('/api/v1/requests?server=demo&tool=echo&limit=1');
      assert.equal(body.requests[0].via, 'mcp');
      assert.equal(body.requests[0].status, 'ok');
    });
  });
}
