/**
 * All four upstream transports and both eras, each against a real server:
 * stdio (SDK v2 fixture, modern; server-everything, 2025), Streamable HTTP
 * (SDK v2 fixture, modern; v1 sessionful fixture and server-everything,
 * legacy), legacy HTTP+SSE (v1 fixture) and WebSocket (fixture on `ws`).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { fixtures, startHttpFixture, type RunningFixture } from '../fixtures/paths.js';
import { eventually, startGateway, type RunningGateway } from '../helpers/gateway.js';

const require = createRequire(import.meta.url);
const serverEverything = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** server-everything over Streamable HTTP; it logs its listen line on stderr. */
async function startEverythingHttp(): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [serverEverything, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (/listening on port/i.test(stderr)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server-everything exited with ${code}: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    child,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('upstream transports and eras', () => {
  let gw: RunningGateway;
  const running: { stop: () => Promise<void> }[] = [];
  let legacyHttp: RunningFixture;

  before(async () => {
    const [modernHttp, legacy, sse, ws, everythingHttp] = await Promise.all([
      startHttpFixture('modern-http', [], { FIXTURE_NAME: 'modern-http' }),
      startHttpFixture('legacy-http', [], { FIXTURE_NAME: 'legacy-http' }),
      startHttpFixture('legacy-sse', [], { FIXTURE_NAME: 'legacy-sse' }),
      startHttpFixture('websocket-server', [], { FIXTURE_NAME: 'websocket' }),
      startEverythingHttp(),
    ]);
    legacyHttp = legacy;
    running.push(modernHttp, legacy, sse, ws, everythingHttp);
    gw = await startGateway([
      { id: 'modern-stdio', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'modern-stdio' } },
      { id: 'everything-stdio', command: process.execPath, args: [serverEverything, 'stdio'] },
      { id: 'modern-http', transport: 'streamable-http', url: modernHttp.url },
      { id: 'legacy-http', transport: 'http', url: legacy.url },
      { id: 'everything-http', transport: 'streamable-http', url: everythingHttp.url },
      { id: 'legacy-sse', transport: 'sse', url: sse.url },
      { id: 'websocket', transport: 'websocket', url: ws.url },
    ]);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all(running.map((fixture) => fixture.stop()));
  });

  test('every upstream is ready, each on the era it speaks', async () => {
    const failed = gw.report.servers.filter((s) => !s.ok);
    assert.deepEqual(failed, []);
    const { body } = await gw.get('/api/v1/health');
    const eras = Object.fromEntries(body.servers.map((s: any) => [s.id, `${s.state}/${s.era}`]));
    assert.deepEqual(eras, {
      'modern-stdio': 'ready/modern',
      'everything-stdio': 'ready/legacy',
      'modern-http': 'ready/modern',
      'legacy-http': 'ready/legacy',
      'everything-http': 'ready/legacy',
      'legacy-sse': 'ready/legacy',
      websocket: 'ready/legacy',
    });
    const versions = Object.fromEntries(body.servers.map((s: any) => [s.id, s.protocolVersion]));
    assert.equal(versions['modern-stdio'], '2026-07-28');
    assert.equal(versions['modern-http'], '2026-07-28');
    assert.match(versions['everything-stdio'], /^2025-/);
  });

  test('a call reaches each transport and comes back', async () => {
    for (const server of ['modern-stdio', 'modern-http', 'legacy-http', 'legacy-sse', 'websocket']) {
      const { status, body } = await gw.call('echo', { message: `via ${server}` }, server);
      assert.equal(status, 200, `${server}: ${JSON.stringify(body)}`);
      assert.equal(body.content[0].text, `via ${server}`);
    }
    for (const server of ['everything-stdio', 'everything-http']) {
      const { status, body } = await gw.call('echo', { message: 'hi' }, server);
      assert.equal(status, 200, `${server}: ${JSON.stringify(body)}`);
      assert.match(body.content[0].text, /hi/);
    }
  });

  test('server-everything catalogs include resources and prompts, paginated', async () => {
    const { body } = await gw.get('/api/v1/servers/everything-stdio');
    assert.ok(body.tools >= 10, `tools: ${body.tools}`);
    assert.ok(body.resources > 0 || body.resourceTemplateList.length > 0);
    assert.ok(body.prompts > 0);
  });

  test('a legacy Streamable HTTP session that expires mid-run is re-initialised transparently', async () => {
    assert.equal((await gw.call('echo', { message: 'before' }, 'legacy-http')).status, 200);
    const expired = await fetch(`${legacyHttp.origin}/admin/expire-sessions`, { method: 'POST' });
    assert.equal(expired.status, 200);
    const after = await gw.call('echo', { message: 'after expiry' }, 'legacy-http');
    assert.equal(after.status, 200, JSON.stringify(after.body));
    assert.equal(after.body.content[0].text, 'after expiry');
    const again = await gw.call('echo', { message: 'and again' }, 'legacy-http');
    assert.equal(again.body.content[0].text, 'and again');
  });

  test('an upstream that announces no list changes but gives its list a ttlMs is re-listed when it goes stale', async () => {
    const stale = await startGateway([
      { id: 'ttl', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'ttl', FIXTURE_TOOLS_TTL_MS: '1000', FIXTURE_NO_LIST_CHANGED: '1' } },
    ]);
    try {
      const added = await stale.call('add_tool', {});
      assert.equal(added.status, 200);
      const name = added.body.content[0].text as string;
      const listed = await eventually(() => stale.get('/api/v1/tools'), (r) => r.body.tools.some((t: any) => t.name === name), 8000);
      assert.ok(listed.body.tools.some((t: any) => t.name === name), 'the ttl refresh never found the new tool');
    } finally {
      await stale.stop();
    }
  });

  test('tools added at runtime reach the catalog (list_changed, modern via listen and legacy push)', async () => {
    for (const server of ['modern-stdio', 'modern-http']) {
      const added = await gw.call('add_tool', {}, server);
      assert.equal(added.status, 200, JSON.stringify(added.body));
      const name = added.body.content[0].text as string;
      const tools = await eventually(
        () => gw.get(`/api/v1/tools?server=${server}`),
        (r) => r.body.tools.some((t: any) => t.name === name),
      );
      assert.ok(tools.body.tools.some((t: any) => t.name === name), `${server} never listed ${name}`);
      const call = await gw.call(name, {}, server);
      assert.equal(call.status, 200);
    }
  });
});
