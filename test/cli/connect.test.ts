/**
 * `mcp-gateway connect <url>`: the compiled CLI launched as a stdio MCP server
 * by real SDK clients (v2 pinned to 2026-07-28, and v1), forwarding to a real
 * gateway in this process over loopback HTTP.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { acceptedContent, createMcpHandler, inputRequired, McpServer } from '@modelcontextprotocol/server';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod/v4';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { eventually, startGateway, type RunningGateway } from '../helpers/gateway.js';

// This file runs as dist/test/cli/connect.test.js; the CLI is dist/src/cli/main.js.
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const MODERN = '2026-07-28';
const DEMO = [{ id: 'demo', command: process.execPath, args: [demoServer] }];

interface Bridged<C> {
  readonly client: C;
  /** What the bridge wrote on stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

function bridgeArgs(url: string, extra: readonly string[]): string[] {
  return [CLI, 'connect', url, ...extra];
}

/** An SDK v2 client, pinned to 2026-07-28, that launches the bridge as its stdio server. */
async function modernViaBridge(url: string, extra: readonly string[] = []): Promise<Bridged<Client>> {
  const client = new Client({ name: 'connect-test-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  const transport = new StdioClientTransport({ command: process.execPath, args: bridgeArgs(url, extra), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close();
    throw new Error(`${(error as Error).message}; bridge stderr: ${stderr || '(empty)'}`, { cause: error });
  }
  return { client, stderr: () => stderr, close: () => client.close() };
}

/** A v1 SDK client (2025 era) that launches the bridge as its stdio server. */
async function legacyViaBridge(url: string, extra: readonly string[] = []): Promise<Bridged<V1Client>> {
  const client = new V1Client({ name: 'connect-test-legacy', version: '1.0.0' });
  const transport = new V1StdioTransport({ command: process.execPath, args: bridgeArgs(url, extra), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close();
    throw new Error(`${(error as Error).message}; bridge stderr: ${stderr || '(empty)'}`, { cause: error });
  }
  return { client, stderr: () => stderr, close: () => client.close() };
}

/** PIDs of live bridges started with `url` on their command line (zombies excluded). */
function bridgesFor(url: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (/^State:\s+Z/m.test(readFileSync(`/proc/${entry}/status`, 'utf8'))) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes('connect') && argv.includes(url)) found.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

async function assertNoBridgeLeft(url: string): Promise<void> {
  const left = await eventually(() => bridgesFor(url), (pids) => pids.length === 0, 5000);
  assert.deepEqual(left, [], `bridge processes still running for ${url}`);
}

/** Runs the CLI to completion (stdin closed at once), with a hard timeout. */
function runCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
    child.stdin?.end();
  });
}

/**
 * A 2026-07-28 Streamable HTTP server (not the gateway) whose `deploy` tool asks
 * for confirmation with an input_required result.
 */
async function startConfirmingRemote(): Promise<{ url: string; close(): Promise<void> }> {
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'confirming-remote', version: '1.0.0' });
    server.registerTool('deploy', { inputSchema: z.object({ env: z.string() }) }, async ({ env }, ctx) => {
      const confirmation = z.object({ confirm: z.boolean() });
      if (acceptedContent(ctx.mcpReq.inputResponses, 'confirm', confirmation)?.confirm !== true) {
        return inputRequired({ inputRequests: { confirm: inputRequired.elicit({ message: `Deploy to ${env}?`, requestedSchema: confirmation }) }, requestState: `state-${env}` });
      }
      return { content: [{ type: 'text', text: `deployed to ${env} (${String(ctx.mcpReq.requestState())})` }] };
    });
    return server;
  });
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers.set(name, value);
        const body = request.method === 'POST' ? Buffer.concat(chunks) : undefined;
        const answer = await handler.fetch(new Request(`http://127.0.0.1${request.url ?? '/'}`, { method: request.method ?? 'GET', headers, ...(body === undefined ? {} : { body }) }));
        response.writeHead(answer.status, Object.fromEntries(answer.headers));
        if (answer.body !== null) for await (const chunk of answer.body) response.write(chunk);
        response.end();
      })().catch(() => response.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
    },
  };
}

function textOf(result: object): string {
  return ((result as { content?: { text?: string }[] }).content ?? [])[0]?.text ?? '';
}

describe('mcp-gateway connect, in front of a gateway with the demo server', () => {
  let gw: RunningGateway;
  let endpoint: string;

  before(async () => {
    gw = await startGateway(DEMO);
    endpoint = `${gw.url}/mcp`;
  });
  after(async () => {
    await gw.stop();
    await assertNoBridgeLeft(endpoint);
  });

  test('a 2026-07-28 SDK v2 client lists and calls tools through the bridge, with progress and cancellation', async () => {
    const bridged = await modernViaBridge(endpoint);
    const { client } = bridged;
    try {
      assert.equal(client.getProtocolEra(), 'modern');
      assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
      assert.equal(client.getServerVersion()?.name, 'mcp-gateway', "the bridge presents the remote's identity");
      assert.ok(client.getServerCapabilities()?.tools, 'tools capability mirrored');

      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      for (const name of ['echo', 'add', 'sleep', 'fail']) assert.ok(names.includes(name), `missing ${name} in ${names.join(',')}`);
      assert.ok(tools.find((tool) => tool.name === 'add')!.outputSchema, 'outputSchema passes through');

      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'through the bridge' } })), 'through the bridge');
      const sum = await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } });
      assert.deepEqual(sum.structuredContent, { sum: 42 });
      assert.equal((await client.callTool({ name: 'fail', arguments: {} })).isError, true);
      const readme = await client.readResource({ uri: 'demo://readme' });
      assert.equal(readme.contents[0]!.uri, 'demo://readme');
      const prompt = await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
      assert.match(JSON.stringify(prompt.messages), /Ada/);
      // The remote's JSON-RPC error comes back as it was.
      await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), /no_such_tool/);

      const seen: number[] = [];
      const slept = await client.callTool({ name: 'sleep', arguments: { ms: 600, steps: 4 } }, { onprogress: (progress) => void seen.push(progress.progress) });
      assert.match(textOf(slept), /slept 600 ms/);
      assert.ok(seen.length >= 1, `no progress reached the client (seen: ${seen.join(',')})`);
      assert.deepEqual([...seen].sort((a, b) => a - b), seen);

      const inFlight = () => gw.gateway.supervisor.group('demo')!.inFlight;
      const controller = new AbortController();
      const slow = client.callTool({ name: 'sleep', arguments: { ms: 20_000, steps: 2 } }, { signal: controller.signal });
      await eventually(inFlight, (n) => n === 1);
      assert.equal(inFlight(), 1, 'the call reached the demo server');
      controller.abort();
      await assert.rejects(slow);
      assert.equal(await eventually(inFlight, (n) => n === 0, 5000), 0, 'the cancel reached the gateway, which freed the call');

      assert.match(bridged.stderr(), /forwarding stdio to http:\/\/127\.0\.0\.1:\d+\/mcp .*MCP 2026-07-28/);
    } finally {
      await bridged.close();
    }
  });

  test('a v1 SDK client (2025 era over stdio) lists and calls tools, reads resources, gets prompts, sees progress', async () => {
    const bridged = await legacyViaBridge(endpoint);
    const { client } = bridged;
    try {
      assert.equal(client.getServerVersion()?.name, 'mcp-gateway');
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'echo'));
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'from v1' } })), 'from v1');
      const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      assert.deepEqual(sum.structuredContent, { sum: 5 });
      const readme = await client.readResource({ uri: 'demo://readme' });
      assert.match(JSON.stringify(readme.contents), /demo server/);
      const { prompts } = await client.listPrompts();
      assert.ok(prompts.some((prompt) => prompt.name === 'greet'));
      // Forwarded to the gateway, whose answer comes back either way (the demo server itself offers no completions).
      const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'A' } }).then(
        (result) => result.completion.values,
        (error: Error) => error.message,
      );
      assert.ok(Array.isArray(completion) || /completion\/complete on server "demo"/.test(completion), String(completion));

      const seen: number[] = [];
      const slept = await client.callTool({ name: 'sleep', arguments: { ms: 600, steps: 4 } }, undefined, { onprogress: (progress) => void seen.push(progress.progress) });
      assert.match(textOf(slept), /slept 600 ms/);
      assert.ok(seen.length >= 1, `no progress reached the client (seen: ${seen.join(',')})`);

      const inFlight = () => gw.gateway.supervisor.group('demo')!.inFlight;
      const controller = new AbortController();
      const slow = client.callTool({ name: 'sleep', arguments: { ms: 20_000, steps: 2 } }, undefined, { signal: controller.signal });
      await eventually(inFlight, (n) => n === 1);
      controller.abort();
      await assert.rejects(slow);
      assert.equal(await eventually(inFlight, (n) => n === 0, 5000), 0, 'the cancel reached the gateway');
    } finally {
      await bridged.close();
    }
  });

  test('--protocol legacy bridges onto a 2025 session at the gateway; a 2026-07-28 client on stdio does not notice', async () => {
    const bridged = await modernViaBridge(endpoint, ['--protocol', 'legacy']);
    try {
      assert.equal(bridged.client.getProtocolEra(), 'modern');
      assert.equal(textOf(await bridged.client.callTool({ name: 'echo', arguments: { message: 'via a session' } })), 'via a session');
      const seen: number[] = [];
      await bridged.client.callTool({ name: 'sleep', arguments: { ms: 500, steps: 3 } }, { onprogress: (progress) => void seen.push(progress.progress) });
      assert.ok(seen.length >= 1, 'progress crossed a 2025 session too');
      assert.match(bridged.stderr(), /MCP 2025-\d\d-\d\d \(2025 session\)/);
    } finally {
      await bridged.close();
    }
  });

  test('a method the bridge does not forward gets -32601 from the bridge', async () => {
    const bridged = await legacyViaBridge(endpoint);
    try {
      await assert.rejects(bridged.client.subscribeResource({ uri: 'demo://readme' }), (error: Error & { code?: number }) => error.code === -32601 || /not found|not support/i.test(error.message));
      // A 2025 ping is answered by the bridge itself.
      await bridged.client.ping();
    } finally {
      await bridged.close();
    }
  });

  test('the bridge exits 0 when its client closes stdin, and writes nothing but JSON-RPC to stdout', async () => {
    const child = spawn(process.execPath, [CLI, 'connect', endpoint], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const meta = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: meta } })}\n`);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'raw' }, _meta: meta } })}\n`);
    await eventually(() => stdout, (text) => text.split('\n').filter(Boolean).length >= 2, 10_000);
    child.stdin.end();
    assert.equal(await exited, 0, stderr);
    const lines = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { jsonrpc: string; id: number; result?: Record<string, unknown> });
    assert.ok(lines.every((line) => line.jsonrpc === '2.0'), stdout);
    assert.deepEqual((lines.find((line) => line.id === 1)?.result?.supportedVersions as string[]).includes(MODERN), true);
    assert.equal(((lines.find((line) => line.id === 2)?.result?.content as { text: string }[]) ?? [])[0]?.text, 'raw');
    assert.match(stderr, /forwarding stdio to/);
  });
});

test('list changes at the gateway reach stdio clients of both eras', async () => {
  const gw = await startGateway([{ id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha' } }]);
  const endpoint = `${gw.url}/mcp`;
  const modern = await modernViaBridge(endpoint);
  const legacy = await legacyViaBridge(endpoint);
  try {
    let modernChanges = 0;
    let legacyChanges = 0;
    modern.client.setNotificationHandler('notifications/tools/list_changed', () => void modernChanges++);
    legacy.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => void legacyChanges++);
    const subscription = await modern.client.listen({ toolsListChanged: true });
    assert.equal(subscription.honoredFilter.toolsListChanged, true);
    // Let both bridges' own streams towards the gateway settle.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const added = textOf(await legacy.client.callTool({ name: 'add_tool', arguments: {} }));
    await eventually(() => modernChanges + legacyChanges, () => modernChanges > 0 && legacyChanges > 0, 10_000);
    assert.ok(modernChanges > 0, 'the 2026-07-28 client heard nothing');
    assert.ok(legacyChanges > 0, 'the 2025 client heard nothing');
    const { tools } = await modern.client.listTools();
    assert.ok(tools.some((tool) => tool.name === added), `${added} is listed`);
    await subscription.close();
  } finally {
    await modern.close();
    await legacy.close();
    await gw.stop();
    await assertNoBridgeLeft(endpoint);
  }
});

for (const protocol of ['auto', 'legacy'] as const) {
  test(`--protocol ${protocol}: a remote that goes away fails requests with an error naming it; the bridge reconnects once it is back`, async () => {
    let gw = await startGateway(DEMO);
    const port = Number(new URL(gw.url).port);
    const endpoint = `${gw.url}/mcp`;
    const bridged = await modernViaBridge(endpoint, ['--protocol', protocol]);
    try {
      assert.equal(textOf(await bridged.client.callTool({ name: 'echo', arguments: { message: 'before' } })), 'before');
      await gw.stop();
      for (let i = 0; i < 2; i++) {
        await assert.rejects(bridged.client.callTool({ name: 'echo', arguments: { message: 'while down' } }), (error: Error & { code?: number }) => {
          assert.ok(error.message.includes(endpoint), `the error names the remote: ${error.message}`);
          assert.match(error.message, /cannot reach|ECONNREFUSED/);
          return true;
        });
      }
      gw = await startGateway(DEMO, { config: { port } });
      assert.equal(textOf(await bridged.client.callTool({ name: 'echo', arguments: { message: 'after' } })), 'after');
      assert.match(bridged.stderr(), /reconnected to/);
    } finally {
      await bridged.close();
      await gw.stop();
      await assertNoBridgeLeft(endpoint);
    }
  });
}

test('a restarted 2025-era remote is picked up without an error: the lost session is reopened and the request sent again', async () => {
  let gw = await startGateway(DEMO);
  const port = Number(new URL(gw.url).port);
  const endpoint = `${gw.url}/mcp`;
  const bridged = await legacyViaBridge(endpoint, ['--protocol', 'legacy']);
  try {
    assert.equal(textOf(await bridged.client.callTool({ name: 'echo', arguments: { message: 'one' } })), 'one');
    await gw.stop();
    gw = await startGateway(DEMO, { config: { port } });
    assert.equal(textOf(await bridged.client.callTool({ name: 'echo', arguments: { message: 'two' } })), 'two');
    assert.match(bridged.stderr(), /no longer knows the bridge's 2025 session/);
  } finally {
    await bridged.close();
    await gw.stop();
    await assertNoBridgeLeft(endpoint);
  }
});

test('input_required from a 2026-07-28 remote: a 2026-07-28 stdio client answers it itself, a 2025 one is asked by the bridge', async () => {
  const remote = await startConfirmingRemote();
  const modern = new Client({ name: 'connect-test-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: { form: {} } } });
  const legacy = new V1Client({ name: 'connect-test-legacy', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  const asked: string[] = [];
  modern.setRequestHandler('elicitation/create', async (request) => {
    asked.push(`modern: ${request.params.message}`);
    return { action: 'accept', content: { confirm: true } };
  });
  legacy.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(`legacy: ${request.params.message}`);
    return { action: 'accept', content: { confirm: true } };
  });
  try {
    await modern.connect(new StdioClientTransport({ command: process.execPath, args: bridgeArgs(remote.url, []), stderr: 'ignore' }));
    assert.equal(textOf(await modern.callTool({ name: 'deploy', arguments: { env: 'prod' } })), 'deployed to prod (state-prod)');
    await legacy.connect(new V1StdioTransport({ command: process.execPath, args: bridgeArgs(remote.url, []), stderr: 'ignore' }));
    assert.equal(textOf(await legacy.callTool({ name: 'deploy', arguments: { env: 'staging' } })), 'deployed to staging (state-staging)');
    assert.deepEqual(asked, ['modern: Deploy to prod?', 'legacy: Deploy to staging?']);
  } finally {
    await modern.close();
    await legacy.close();
    await remote.close();
    await assertNoBridgeLeft(remote.url);
  }
});

test('an unreachable URL: exit 1 with a message naming it, and nothing on stdout', async () => {
  // A port that was free a moment ago: connection refused.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const url = `http://127.0.0.1:${port}/mcp`;
  for (const protocol of ['auto', 'legacy']) {
    const result = await runCli(['connect', url, '--protocol', protocol]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, new RegExp(`✗ mcp-gateway connect: cannot reach ${url.replace(/[.]/g, '\\.')}: connection refused.*ECONNREFUSED`));
  }
});

test('--header values reach the remote on every request; a 401 ends the bridge with exit 1 and says why', async () => {
  const seen: { method: string | undefined; headers: http.IncomingHttpHeaders }[] = [];
  const server = http.createServer((request, response) => {
    seen.push({ method: request.method, headers: request.headers });
    request.resume();
    response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="test"' });
    response.end(JSON.stringify({ error: 'invalid_token' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    for (const protocol of ['auto', MODERN, 'legacy']) {
      seen.length = 0;
      const result = await runCli(['connect', url, '--protocol', protocol, '--header', 'X-Api-Key: ${TEST_GATEWAY_KEY}', '-H', 'Authorization: Bearer abc123'], { ...process.env, TEST_GATEWAY_KEY: 'k-42' });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /answered HTTP 401/);
      assert.match(result.stderr, /--header/);
      assert.ok(seen.length >= 1, 'the bridge reached the server');
      for (const request of seen) {
        assert.equal(request.headers['x-api-key'], 'k-42', `${protocol}: the --header value (with \${VAR} substituted) was sent`);
        assert.equal(request.headers.authorization, 'Bearer abc123');
      }
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('connect usage errors exit 2; --help exits 0', async () => {
  const noUrl = await runCli(['connect']);
  assert.equal(noUrl.code, 2);
  assert.match(noUrl.stderr, /no <url> given/);
  const badProtocol = await runCli(['connect', 'http://127.0.0.1:1/mcp', '--protocol', '2024-01-01']);
  assert.equal(badProtocol.code, 2);
  assert.match(badProtocol.stderr, /--protocol must be one of auto, 2026-07-28, legacy/);
  const badHeader = await runCli(['connect', 'http://127.0.0.1:1/mcp', '--header', 'no colon here']);
  assert.equal(badHeader.code, 2);
  assert.match(badHeader.stderr, /not of the form "Name: value"/);
  const notHttp = await runCli(['connect', 'ws://127.0.0.1:1/mcp']);
  assert.equal(notHttp.code, 2);
  const help = await runCli(['connect', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: mcp-gateway connect <url>/);
  const global = await runCli(['--help']);
  assert.match(global.stdout, /^\s+connect\s+Serve MCP on stdio/m);
});
