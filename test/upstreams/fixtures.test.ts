/**
 * The upstream fixtures, the demo server and the WebSocket client transport,
 * each proved against real SDK clients (v2, and v1 for the 2025 era) before the
 * gateway's own tests build on them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Stream } from 'node:stream';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { WebSocketClientTransport } from '../../workers/transports/websocket.js';
import { demoServer, fixtures, startHttpFixture, wrapperScript, type RunningFixture } from '../fixtures/paths.js';

const CLIENT_INFO = { name: 'fixtures-test', version: '1.0.0' };
type Era = 'modern' | 'legacy';

/** Things to undo in `after()`, last first. One per suite: nothing is shared across suites. */
class Cleanup {
  readonly #steps: Array<() => Promise<unknown> | unknown> = [];
  add<T>(value: T, undo: (value: T) => Promise<unknown> | unknown): T {
    this.#steps.push(() => undo(value));
    return value;
  }
  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) await Promise.resolve().then(step).catch(() => {});
  }
}

/** 'auto' probes with server/discover; 'legacy' is the SDK default: the plain 2025 initialize, no probe. */
function v2Client(mode: 'auto' | 'legacy'): Client {
  return new Client(CLIENT_INFO, mode === 'auto' ? { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5_000 } } } : {});
}

/** The negotiation mode that should land a v2 client in `era` against a dual-era server. */
const modeFor = (era: Era) => (era === 'modern' ? 'auto' : 'legacy');

function stdioParams(script: string, env: Record<string, string> = {}) {
  return { command: process.execPath, args: [script], env: { ...getDefaultEnvironment(), ...env }, stderr: 'pipe' as const };
}

interface TextResult {
  content?: unknown;
}

function textOf(result: TextResult): string {
  const first = (result.content as Array<{ type: string; text?: string }> | undefined)?.[0];
  assert.equal(first?.type, 'text');
  return first.text ?? '';
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Drains a stream and returns a reader of everything it produced so far. */
function collect(stream: Stream | null | undefined): () => string {
  let text = '';
  stream?.on('data', (chunk: Buffer | string) => (text += chunk.toString()));
  return () => text;
}

/**
 * Starts watching for tools/list_changed (through a listen subscription on a
 * modern connection); `changed` settles on the next one. Wrapped in an object
 * because an async function would flatten a returned promise into its own.
 */
async function watchToolsChanged(client: Client): Promise<{ changed: Promise<void> }> {
  const changed = new Promise<void>((resolve) => client.setNotificationHandler('notifications/tools/list_changed', () => resolve()));
  if (client.getProtocolEra() === 'modern') await client.listen({ toolsListChanged: true });
  return { changed };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise((resolve) => server.close(resolve));
  return address.port;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('demo server (stdio)', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());

  for (const era of ['modern', 'legacy'] as const) {
    describe(`${era} era`, () => {
      let client: Client;
      let stderr: () => string;
      let transport: StdioClientTransport;

      before(async () => {
        transport = new StdioClientTransport(stdioParams(demoServer, { DEMO_SERVER_NAME: `demo-${era}` }));
        stderr = collect(transport.stderr);
        client = cleanup.add(v2Client(modeFor(era)), (c) => c.close());
        await client.connect(transport);
      });

      it(`negotiates the ${era} era and reports DEMO_SERVER_NAME`, () => {
        assert.equal(client.getProtocolEra(), era);
        assert.equal(client.getServerVersion()?.name, `demo-${era}`);
      });

      it('lists its tools with annotations and the add outputSchema', async () => {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), ['add', 'echo', 'fail', 'sleep']);
        for (const tool of tools) assert.equal(tool.annotations?.readOnlyHint, true, tool.name);
        assert.ok(tools.find((t) => t.name === 'add')?.outputSchema, 'add has an outputSchema');
      });

      it('echo returns the message verbatim', async () => {
        const message = '  héllo\n{"json": true}  ';
        assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message } })), message);
      });

      it('add returns the sum as text and structuredContent', async () => {
        const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3.5 } });
        assert.equal(textOf(result), '5.5');
        assert.deepEqual(result.structuredContent, { sum: 5.5 });
      });

      it('sleep sends one progress notification per step, before its result', async () => {
        // Tap the wire: the SDK v2 Client runs notification handlers a microtask
        // late but settles responses at once, so a progress notification read in
        // the same chunk as the result never reaches onprogress (seen in ~70% of
        // calls with ms 0). The server's side of the contract is on the wire.
        const wire: string[] = [];
        const deliver = transport.onmessage!;
        transport.onmessage = (message) => {
          wire.push('method' in message ? `progress ${(message.params as { progress: number }).progress}` : 'result');
          deliver(message);
        };
        const seen: Array<{ progress: number; total?: number }> = [];
        try {
          const result = await client.callTool(
            { name: 'sleep', arguments: { ms: 300, steps: 3 } },
            { onprogress: (p) => void seen.push({ progress: p.progress, total: p.total }) },
          );
          assert.equal(textOf(result), 'slept 300 ms');
        } finally {
          transport.onmessage = deliver;
        }
        assert.deepEqual(wire, ['progress 1', 'progress 2', 'progress 3', 'result']);
        assert.ok(seen.length >= 1, 'onprogress was called');
        assert.deepEqual(seen, [1, 2, 3].slice(0, seen.length).map((progress) => ({ progress, total: 3 })));
      });

      it('sleep stops when the call is cancelled', async () => {
        const aborter = new AbortController();
        const started = Date.now();
        const call = client.callTool(
          { name: 'sleep', arguments: { ms: 20_000, steps: 100 } },
          { signal: aborter.signal, onprogress: () => aborter.abort() },
        );
        await assert.rejects(call);
        assert.ok(Date.now() - started < 5_000, 'the call ended long before 20 s');
        await waitFor(() => /sleep cancelled after 1\/100 steps/.test(stderr()), 'the server to stop sleeping');
        assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'still up' } })), 'still up');
      });

      it('fail returns a tool error', async () => {
        const result = await client.callTool({ name: 'fail', arguments: { message: 'on purpose' } });
        assert.equal(result.isError, true);
        assert.equal(textOf(result), 'on purpose');
      });

      it('serves the demo://readme resource and the greet prompt', async () => {
        const { contents } = await client.readResource({ uri: 'demo://readme' });
        assert.match(String((contents[0] as { text?: string }).text), /demo server/);
        const prompt = await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
        assert.match(JSON.stringify(prompt.messages), /greet Ada/);
      });
    });
  }

  it('serves a v1 SDK client (2025 era)', async () => {
    const client = cleanup.add(new V1Client(CLIENT_INFO), (c) => c.close());
    await client.connect(new V1StdioClientTransport(stdioParams(demoServer)));
    assert.equal(client.getServerVersion()?.name, 'demo');
    const result = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    assert.deepEqual(result.structuredContent, { sum: 3 });
  });
});

describe('modern-stdio fixture', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  const env = { FIXTURE_NAME: 'stdio-one' };

  async function connect(era: Era): Promise<Client> {
    const client = cleanup.add(v2Client(modeFor(era)), (c) => c.close());
    await client.connect(new StdioClientTransport(stdioParams(fixtures.modernStdio, env)));
    return client;
  }

  it('auto-negotiates modern; echo, shared, whoami, slow', async () => {
    const client = await connect('modern');
    assert.equal(client.getProtocolEra(), 'modern');
    assert.equal(client.getServerVersion()?.name, 'stdio-one');
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'hi' } })), 'hi');
    assert.equal(textOf(await client.callTool({ name: 'shared', arguments: {} })), 'stdio-one');
    const whoami = await client.callTool({ name: 'whoami', arguments: {} });
    assert.deepEqual(whoami.structuredContent, { fixture: 'stdio-one', era: 'modern', protocolVersion: '2026-07-28' });
    assert.equal(textOf(await client.callTool({ name: 'slow', arguments: { ms: 20 } })), 'slept 20 ms');
  });

  it('add_tool fires list_changed on a listen subscription (modern)', async () => {
    const client = await connect('modern');
    const { changed } = await watchToolsChanged(client);
    assert.equal(textOf(await client.callTool({ name: 'add_tool', arguments: {} })), 'extra_1');
    await changed;
    const { tools } = await client.listTools({}, { cacheMode: 'refresh' });
    assert.ok(tools.some((t) => t.name === 'extra_1'));
    assert.equal(textOf(await client.callTool({ name: 'extra_1', arguments: {} })), 'extra_1 called');
  });

  it('serves a v1 SDK client in the 2025 era; add_tool fires list_changed', async () => {
    const client = cleanup.add(new V1Client(CLIENT_INFO), (c) => c.close());
    await client.connect(new V1StdioClientTransport(stdioParams(fixtures.modernStdio, env)));
    const whoami = await client.callTool({ name: 'whoami', arguments: {} });
    assert.equal((whoami.structuredContent as { era: string }).era, 'legacy');
    assert.match(String((whoami.structuredContent as { protocolVersion: string }).protocolVersion), /^2025-/);
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    await client.callTool({ name: 'add_tool', arguments: {} });
    await changed;
  });

  it('hang never answers; crash ends the process mid-call', async () => {
    const transport = new StdioClientTransport(stdioParams(fixtures.modernStdio, env));
    const client = cleanup.add(v2Client('legacy'), (c) => c.close());
    await client.connect(transport);
    await assert.rejects(client.callTool({ name: 'hang', arguments: {} }, { timeout: 200 }), /timed out/i);
    const pid = transport.pid;
    assert.ok(pid !== null);
    await assert.rejects(client.callTool({ name: 'crash', arguments: {} }), /closed/i);
    await waitFor(() => !isAlive(pid), 'the crashed fixture to exit');
  });
});

describe('modern-http fixture', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let fixture: RunningFixture;
  before(async () => {
    fixture = cleanup.add(await startHttpFixture('modern-http', [], { FIXTURE_NAME: 'http-one' }), (f) => f.stop());
  });

  async function connect(era: Era): Promise<Client> {
    const client = cleanup.add(v2Client(modeFor(era)), (c) => c.close());
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
    return client;
  }

  for (const era of ['modern', 'legacy'] as const) {
    it(`serves the ${era} era: echo, shared, whoami`, async () => {
      const client = await connect(era);
      assert.equal(client.getProtocolEra(), era);
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'over http' } })), 'over http');
      assert.equal(textOf(await client.callTool({ name: 'shared', arguments: {} })), 'http-one');
      const whoami = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as { era: string; protocolVersion: string };
      assert.equal(whoami.era, era);
      assert.match(whoami.protocolVersion, era === 'modern' ? /^2026-07-28$/ : /^2025-/);
    });
  }

  it('add_tool reaches a listen subscription; later requests see the tool', async () => {
    const client = await connect('modern');
    const { changed } = await watchToolsChanged(client);
    assert.equal(textOf(await client.callTool({ name: 'add_tool', arguments: {} })), 'extra_1');
    await changed;
    assert.equal(textOf(await client.callTool({ name: 'extra_1', arguments: {} }, { timeout: 5_000 })), 'extra_1 called');
  });

  it('slow is cut short when the caller aborts', async () => {
    const client = await connect('modern');
    const aborter = new AbortController();
    setTimeout(() => aborter.abort(), 100);
    await assert.rejects(client.callTool({ name: 'slow', arguments: { ms: 10_000 } }, { signal: aborter.signal }));
  });
});

describe('legacy-http fixture (v1 SDK, sessionful)', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let fixture: RunningFixture;
  before(async () => {
    fixture = cleanup.add(await startHttpFixture('legacy-http'), (f) => f.stop());
  });

  it("'auto' falls back to legacy; echo, whoami, add_tool list_changed on the GET stream", async () => {
    const client = cleanup.add(v2Client('auto'), (c) => c.close());
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
    assert.equal(client.getProtocolEra(), 'legacy');
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'sessionful' } })), 'sessionful');
    const whoami = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as { era: string; protocolVersion: string };
    assert.equal(whoami.era, 'legacy');
    assert.match(whoami.protocolVersion, /^2025-/);
    const { changed } = await watchToolsChanged(client);
    await client.callTool({ name: 'add_tool', arguments: {} });
    await changed;
  });

  it('POST /admin/expire-sessions makes the old session id get 404', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(fixture.url));
    const client = cleanup.add(v2Client('legacy'), (c) => c.close());
    await client.connect(transport);
    const sessionId = transport.sessionId;
    assert.ok(sessionId);
    const expired = await fetch(`${fixture.origin}/admin/expire-sessions`, { method: 'POST' });
    assert.ok(((await expired.json()) as { expired: number }).expired >= 1);
    const stale = await fetch(fixture.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    assert.equal(stale.status, 404);
    await assert.rejects(client.callTool({ name: 'echo', arguments: { message: 'x' } }), /404|not found/i);
  });
});

describe('legacy-sse fixture (v1 SDK, HTTP+SSE)', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());

  it('serves echo, shared and slow over SSEClientTransport', async () => {
    const fixture = cleanup.add(await startHttpFixture('legacy-sse', [], { FIXTURE_NAME: 'sse-one' }), (f) => f.stop());
    const client = cleanup.add(v2Client('legacy'), (c) => c.close());
    await client.connect(new SSEClientTransport(new URL(fixture.url)));
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'old school' } })), 'old school');
    assert.equal(textOf(await client.callTool({ name: 'shared', arguments: {} })), 'sse-one');
    assert.equal(textOf(await client.callTool({ name: 'slow', arguments: { ms: 10 } })), 'slept 10 ms');
  });
});

describe('websocket-server fixture + WebSocketClientTransport', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  const token = 'secret-token';
  const headers = { authorization: `Bearer ${token}` };
  let fixture: RunningFixture;
  before(async () => {
    fixture = cleanup.add(await startHttpFixture('websocket-server', ['--token', token], { FIXTURE_NAME: 'ws-one' }), (f) => f.stop());
  });

  /** A started transport with no Client on it, recording what it reports. */
  async function rawTransport() {
    const transport = cleanup.add(new WebSocketClientTransport({ url: fixture.url, headers }), (t) => t.close());
    const seen = { closes: 0, errors: [] as Error[], messages: [] as Array<{ id?: unknown; result?: unknown }> };
    transport.onclose = () => void seen.closes++;
    transport.onerror = (error) => void seen.errors.push(error);
    transport.onmessage = (message) => void seen.messages.push(message as { id?: unknown });
    await transport.start();
    await transport.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT_INFO } });
    await waitFor(() => seen.messages.some((m) => m.id === 0), 'the initialize answer');
    await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return { transport, seen };
  }

  it("a v2 'auto' Client connects with prior legacy (no probe) and calls echo, shared, slow", async () => {
    const client = cleanup.add(v2Client('auto'), (c) => c.close());
    await client.connect(new WebSocketClientTransport({ url: fixture.url, headers }), { prior: { kind: 'legacy' } });
    assert.equal(client.getProtocolEra(), 'legacy');
    assert.equal(client.getServerVersion()?.name, 'ws-one');
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'over ws' } })), 'over ws');
    assert.equal(textOf(await client.callTool({ name: 'shared', arguments: {} })), 'ws-one');
    assert.equal(textOf(await client.callTool({ name: 'slow', arguments: { ms: 10 } })), 'slept 10 ms');
  });

  it('start rejects when the connection is refused', async () => {
    const transport = new WebSocketClientTransport({ url: `ws://127.0.0.1:${await closedPort()}/mcp` });
    await assert.rejects(transport.start(), /failed.*ECONNREFUSED/);
  });

  it('start rejects with the HTTP status when the upgrade is refused', async () => {
    const transport = new WebSocketClientTransport({ url: fixture.url });
    await assert.rejects(transport.start(), /refused: HTTP 401/);
  });

  it('send rejects unless the socket is open', async () => {
    const transport = new WebSocketClientTransport({ url: fixture.url, headers });
    await assert.rejects(transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' }), /not open/);
    await transport.start();
    await transport.close();
    await assert.rejects(transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' }), /not open/);
  });

  it('close() fires onclose exactly once', async () => {
    const { transport, seen } = await rawTransport();
    await transport.close();
    await transport.close();
    assert.equal(seen.closes, 1);
  });

  it('onclose fires once when the server drops the connection', async () => {
    const { transport, seen } = await rawTransport();
    await transport.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'crash', arguments: {} } });
    await waitFor(() => seen.closes > 0, 'onclose');
    await transport.close();
    assert.equal(seen.closes, 1);
    await assert.rejects(transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' }), /not open/);
  });

  it('malformed frames go to onerror and the connection keeps working', async () => {
    const { transport, seen } = await rawTransport();
    await transport.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'malformed', arguments: {} } });
    await waitFor(() => seen.messages.some((m) => m.id === 2), 'the malformed tool to answer');
    assert.equal(seen.errors.length, 3);
    for (const error of seen.errors) assert.match(error.message, /Malformed WebSocket frame/);
    assert.equal(seen.closes, 0);
  });
});

describe('process fixtures', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());

  it('never-starts exits with code 3 and a reason on stderr', async () => {
    const child = spawn(process.execPath, [fixtures.neverStarts], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr = collect(child.stderr);
    assert.deepEqual(await exitOf(child), { code: 3, signal: null });
    assert.match(stderr(), /never-starts/);
  });

  it('silent reads a request and never answers', async () => {
    const child = cleanup.add(spawn(process.execPath, [fixtures.silent], { stdio: ['pipe', 'pipe', 'pipe'] }), killAndWait);
    const stdout = collect(child.stdout);
    child.stdin.end(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} })}\n`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(stdout(), '');
    assert.equal(child.exitCode, null, 'still running after stdin closed');
  });

  it('wrapper.sh runs modern-stdio and a sleep as grandchildren in its process group', async () => {
    const child = spawn(wrapperScript, [], { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, FIXTURE_NAME: 'wrapped' } });
    cleanup.add(child, killGroupAndWait);
    const stdout = collect(child.stdout);
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT_INFO } };
    child.stdin.write(`${JSON.stringify(init)}\n`);
    await waitFor(() => stdout().includes('"wrapped"'), 'the wrapped fixture to answer initialize', 10_000);
    const group = processGroup(child.pid!);
    assert.ok(group.some((c) => c.startsWith('sleep')), `a sleep in the group: ${group.join(' | ')}`);
    assert.ok(group.some((c) => c.includes('modern-stdio.js')), `modern-stdio in the group: ${group.join(' | ')}`);
    await killGroupAndWait(child);
    await waitFor(() => processGroup(child.pid!).length === 0, 'the whole group to exit');
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Command lines of the live processes in group `pgid`. */
function processGroup(pgid: number): string[] {
  const out = execFileSync('ps', ['-e', '-o', 'pgid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) === pgid && !m[2]!.startsWith('Z'))
    .map((m) => m[3]!);
}

async function killAndWait(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await exitOf(child);
}

async function killGroupAndWait(child: ChildProcess): Promise<void> {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  await exitOf(child);
}
