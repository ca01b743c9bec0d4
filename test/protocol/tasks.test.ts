/**
 * Task routing through the gateway, against the real server-everything (2025-11-25 tasks:
 * `simulate-research-query` is a task-only tool) over stdio and over Streamable HTTP,
 * with an SDK v1 client; and the error paths of both eras: forged, malformed or
 * unknown task ids get -32602, never a crash.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import * as z from 'zod/v4';
import { eventually, startGateway, type RunningGateway } from '../helpers/gateway.js';

const MODERN = '2026-07-28';
const everythingEntry = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
const anyResult = z.any();

interface Task {
  taskId: string;
  status: string;
}

async function legacyClient(url: string, headers: Record<string, string> = {}): Promise<V1Client> {
  const client = new V1Client({ name: 'tasks-test', version: '1.0.0' }, { capabilities: { tasks: {} } });
  await client.connect(new V1Transport(new URL(`${url}/mcp`), { requestInit: { headers } }));
  return client;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** server-everything in its Streamable HTTP mode (sessionful, v1 SDK). */
async function startEverythingHttp(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [everythingEntry, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  await eventually(() => stderr, (text) => /listening on port/.test(text), 15_000);
  assert.match(stderr, /listening on port/);
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

const upstreams: { name: string; start: () => Promise<{ server: Record<string, unknown>; stop?: () => Promise<void> }> }[] = [
  { name: 'stdio', start: async () => ({ server: { id: 'everything', command: process.execPath, args: [everythingEntry, 'stdio'] } }) },
  {
    name: 'Streamable HTTP',
    start: async () => {
      const http = await startEverythingHttp();
      return { server: { id: 'everything', url: http.url }, stop: http.stop };
    },
  },
];

for (const upstream of upstreams) {
  describe(`2025-11-25 tasks through the gateway, server-everything over ${upstream.name}`, () => {
    let gw: RunningGateway;
    let stopUpstream: (() => Promise<void>) | undefined;
    let client: V1Client;

    before(async () => {
      const started = await upstream.start();
      stopUpstream = started.stop;
      gw = await startGateway([started.server]);
      client = await legacyClient(gw.url);
    });
    after(async () => {
      await client.close();
      await gw.stop();
      await stopUpstream?.();
    });

    test('the tasks capability is relayed, a task-augmented call returns a gateway task id, and get, list and result route by it', async () => {
      assert.deepEqual(client.getServerCapabilities()?.tasks, { list: {}, cancel: {}, requests: { tools: { call: {} } } });
      const created = (await client.request({ method: 'tools/call', params: { name: 'simulate-research-query', arguments: { topic: 'gateways' }, task: { ttl: 60_000 } } }, anyResult)) as { task: Task };
      const taskId = created.task.taskId;
      assert.match(taskId, /^everything:0:[A-Za-z0-9_-]+$/, 'the id names the server and replica');
      assert.equal(created.task.status, 'working');

      const got = (await client.request({ method: 'tasks/get', params: { taskId } }, anyResult)) as Task;
      assert.equal(got.taskId, taskId);
      assert.ok(['working', 'completed'].includes(got.status), got.status);

      const listed = (await client.request({ method: 'tasks/list', params: {} }, anyResult)) as { tasks: Task[]; nextCursor?: string };
      assert.ok(listed.tasks.some((task) => task.taskId === taskId), JSON.stringify(listed));
      assert.ok(listed.tasks.every((task) => task.taskId.startsWith('everything:')));
      assert.equal(listed.nextCursor, undefined);

      // Blocks until the task is done (four 1 s stages).
      const result = (await client.request({ method: 'tasks/result', params: { taskId } }, anyResult)) as { content: { text: string }[]; _meta?: Record<string, { taskId: string }> };
      assert.match(result.content[0]!.text, /Research Report: gateways/);
      assert.equal(result._meta?.['io.modelcontextprotocol/related-task']?.taskId, taskId);
      const done = (await client.request({ method: 'tasks/get', params: { taskId } }, anyResult)) as Task;
      assert.equal(done.status, 'completed');
    });

    test('tasks/cancel reaches the owning upstream', async () => {
      const created = (await client.request({ method: 'tools/call', params: { name: 'simulate-research-query', arguments: { topic: 'cancel me' }, task: {} } }, anyResult)) as { task: Task };
      const cancelled = (await client.request({ method: 'tasks/cancel', params: { taskId: created.task.taskId } }, anyResult)) as Task;
      assert.equal(cancelled.taskId, created.task.taskId);
      assert.equal(cancelled.status, 'cancelled');
      const got = (await client.request({ method: 'tasks/get', params: { taskId: created.task.taskId } }, anyResult)) as Task;
      assert.equal(got.status, 'cancelled');
    });

    test('forged, malformed and unknown task ids get -32602 with a clear message, and the gateway carries on', async () => {
      const refused = async (taskId: unknown, pattern: RegExp) => {
        await assert.rejects(client.request({ method: 'tasks/get', params: { taskId } } as never, anyResult), (error: { code?: number; message: string }) => {
          assert.equal(error.code, -32602, error.message);
          assert.match(error.message, pattern);
          return true;
        });
      };
      await refused('forged', /not a task id this gateway issued/);
      await refused('everything:0:not*base64', /not a task id this gateway issued/);
      // "YWJj" is "abc", but "YWJ" does not encode back to itself: not an id the gateway made.
      await refused('everything:0:YWJ', /not a task id this gateway issued/);
      await refused('ghost:0:YWJj', /no server "ghost" is configured/);
      await refused('everything:9:YWJj', /replica 9 of server "everything", which is no longer running/);
      await refused(42, /needs a string "taskId"/);
      // Well-formed for the gateway, unknown upstream: the upstream's own refusal comes back.
      await assert.rejects(client.request({ method: 'tasks/get', params: { taskId: 'everything:0:YWJj' } }, anyResult), (error: { code?: number }) => error.code === -32602);
      await assert.rejects(client.request({ method: 'tasks/list', params: { cursor: 'x' } }, anyResult), /invalid cursor/);
      assert.ok((await client.listTools()).tools.length > 0);
    });
  });
}

describe('tasks belong to the caller that made them', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway([{ id: 'everything', command: process.execPath, args: [everythingEntry, 'stdio'] }], {
      config: { auth: { strategy: 'api-key', apiKeys: [{ key: 'key-a', name: 'a' }, { key: 'key-b', name: 'b' }] } },
    });
  });
  after(() => gw.stop());

  test("another caller cannot get, cancel or list a task, even with its id", async () => {
    const owner = await legacyClient(gw.url, { 'x-api-key': 'key-a' });
    const other = await legacyClient(gw.url, { 'x-api-key': 'key-b' });
    try {
      const created = (await owner.request({ method: 'tools/call', params: { name: 'simulate-research-query', arguments: { topic: 'mine' }, task: {} } }, anyResult)) as { task: Task };
      const taskId = created.task.taskId;
      for (const method of ['tasks/get', 'tasks/cancel', 'tasks/result']) {
        await assert.rejects(other.request({ method, params: { taskId } } as never, anyResult), (error: { code?: number; message: string }) => error.code === -32602 && /unknown task/.test(error.message), method);
      }
      const listed = (await other.request({ method: 'tasks/list', params: {} }, anyResult)) as { tasks: Task[] };
      assert.ok(!listed.tasks.some((task) => task.taskId === taskId));
      const mine = (await owner.request({ method: 'tasks/list', params: {} }, anyResult)) as { tasks: Task[] };
      assert.ok(mine.tasks.some((task) => task.taskId === taskId));
      assert.equal(((await owner.request({ method: 'tasks/cancel', params: { taskId } }, anyResult)) as Task).status, 'cancelled');
    } finally {
      await owner.close();
      await other.close();
    }
  });
});

describe('2026-07-28 task methods on the gateway', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway([{ id: 'everything', command: process.execPath, args: [everythingEntry, 'stdio'] }]);
  });
  after(() => gw.stop());

  const post = (method: string, params: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': method, ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } } } } }),
    });

  test('tasks/get, tasks/update and tasks/cancel need Mcp-Name = taskId and a gateway task id; tasks/result and tasks/list do not exist in 2026-07-28', async () => {
    for (const method of ['tasks/get', 'tasks/update', 'tasks/cancel']) {
      const unnamed = await post(method, { taskId: 'forged', inputResponses: {} });
      assert.equal(unnamed.status, 400, method);
      assert.equal((await unnamed.json()).error.code, -32020);
      const forged = await post(method, { taskId: 'forged', inputResponses: {} }, { 'mcp-name': 'forged' });
      const body = await forged.json();
      assert.equal(body.error.code, -32602, `${method}: ${JSON.stringify(body)}`);
      assert.equal(body.error.data.code, 'MCPGW_ERR_UNKNOWN_TASK');
    }
    for (const method of ['tasks/result', 'tasks/list']) {
      const removed = await post(method, { taskId: 'x' });
      assert.equal(removed.status, 404, method);
      assert.equal((await removed.json()).error.code, -32601);
    }
    // No 2026-07-28 upstream here speaks the extension, so it is not advertised.
    const discover = await (await post('server/discover', {})).json();
    assert.equal(discover.result.capabilities.extensions, undefined);
    assert.equal(discover.result.capabilities.tasks, undefined, 'the 2025 tasks capability is not a 2026-07-28 one');
  });
});
