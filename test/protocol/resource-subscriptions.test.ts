/**
 * Resource subscriptions through the gateway: a 2026-07-28 client's
 * `subscriptions/listen` with `resourceSubscriptions` and a 2025 client's
 * `resources/subscribe` receive `notifications/resources/updated` from
 * upstreams of both eras (SDK v2 fixtures with a counter resource, and the
 * real server-everything), and only for the URIs they subscribed to.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { eventually, startGateway, type EngineName, type RunningGateway } from '../helpers/gateway.js';

const MODERN = '2026-07-28';
const ALPHA = 'fixture://alpha/counter';
const BETA = 'fixture://beta/counter';
const everythingEntry = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');

interface Heard {
  readonly uris: string[];
}

async function modernClient(url: string): Promise<{ client: Client; heard: Heard }> {
  const client = new Client({ name: 'subscriptions-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  const heard: Heard = { uris: [] };
  client.setNotificationHandler('notifications/resources/updated', (notification) => void heard.uris.push(notification.params.uri));
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return { client, heard };
}

async function legacyClient(url: string): Promise<{ client: V1Client; transport: V1Transport; heard: Heard }> {
  const client = new V1Client({ name: 'subscriptions-legacy', version: '1.0.0' });
  const heard: Heard = { uris: [] };
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (notification) => void heard.uris.push(notification.params.uri));
  const transport = new V1Transport(new URL(`${url}/mcp`));
  await client.connect(transport);
  // The GET stream opens after initialize; give it a moment so nothing is sent before it is there.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { client, transport, heard };
}

const text = (result: unknown): string => ((result as { content: { text: string }[] }).content[0]!.text);

for (const engine of ['uws', 'node'] as EngineName[]) {
  describe(`resource subscriptions on the ${engine} engine`, () => {
    let gw: RunningGateway;
    let caller: Client;

    before(async () => {
      gw = await startGateway(
        [
          { id: 'demo', command: process.execPath, args: [demoServer] },
          { id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha', FIXTURE_RESOURCES: '1' } },
          { id: 'beta', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'beta', FIXTURE_RESOURCES: '1' }, protocol: 'legacy' },
        ],
        { engine },
      );
      ({ client: caller } = await modernClient(gw.url));
    });
    after(async () => {
      await caller.close();
      await gw.stop();
    });

    const upstreamSubscriptions = async (): Promise<string[]> => JSON.parse(text(await caller.callTool({ name: 'beta__subscriptions', arguments: {} }))) as string[];

    test('both eras see resources.subscribe advertised, since an upstream supports it', async () => {
      assert.equal(caller.getServerCapabilities()?.resources?.subscribe, true);
      const { client } = await legacyClient(gw.url);
      try {
        assert.equal(client.getServerCapabilities()?.resources?.subscribe, true);
      } finally {
        await client.close();
      }
    });

    test('a 2026-07-28 listen gets updates for its URIs from upstreams of both eras, and the ack is the honoured subset', async () => {
      const { client, heard } = await modernClient(gw.url);
      try {
        const subscription = await client.listen({ resourceSubscriptions: [ALPHA, BETA, 'demo://readme', 'fixture://nobody/owns-this'] });
        // demo://readme's server takes no subscriptions, and nobody offers the last one.
        assert.deepEqual(subscription.honoredFilter.resourceSubscriptions, [ALPHA, BETA]);
        await eventually(upstreamSubscriptions, (uris) => uris.includes(BETA));
        assert.deepEqual(await upstreamSubscriptions(), [BETA], 'the 2025 upstream got resources/subscribe for its URI');
        await caller.callTool({ name: 'alpha__bump', arguments: {} });
        await eventually(() => heard.uris.length, (n) => n >= 1);
        assert.deepEqual(heard.uris, [ALPHA]);
        await caller.callTool({ name: 'beta__bump', arguments: {} });
        await eventually(() => heard.uris.length, (n) => n >= 2);
        assert.deepEqual(heard.uris, [ALPHA, BETA]);
        const read = await client.readResource({ uri: BETA });
        assert.equal((read.contents[0] as { text: string }).text, '1');
        await subscription.close();
        // The last subscriber gone, the 2025 upstream is unsubscribed.
        await eventually(upstreamSubscriptions, (uris) => uris.length === 0);
        assert.deepEqual(await upstreamSubscriptions(), []);
      } finally {
        await client.close();
      }
    });

    test('a 2025 session subscribes and unsubscribes; only subscribed URIs reach it', async () => {
      const { client, heard } = await legacyClient(gw.url);
      try {
        await client.subscribeResource({ uri: BETA });
        await client.subscribeResource({ uri: ALPHA });
        assert.deepEqual(await upstreamSubscriptions(), [BETA]);
        await caller.callTool({ name: 'beta__bump', arguments: {} });
        await eventually(() => heard.uris.length, (n) => n >= 1);
        assert.deepEqual(heard.uris, [BETA]);

        await client.unsubscribeResource({ uri: BETA });
        await eventually(upstreamSubscriptions, (uris) => uris.length === 0);
        assert.deepEqual(await upstreamSubscriptions(), []);
        // An update of an unsubscribed URI is not delivered; the next subscribed one is.
        await caller.callTool({ name: 'beta__bump', arguments: {} });
        await caller.callTool({ name: 'alpha__bump', arguments: {} });
        await eventually(() => heard.uris.length, (n) => n >= 2);
        assert.deepEqual(heard.uris, [BETA, ALPHA]);
      } finally {
        await client.close();
      }
    });

    test('subscribing to what cannot be subscribed is a clear error, and the session goes on', async () => {
      const { client } = await legacyClient(gw.url);
      try {
        await assert.rejects(client.subscribeResource({ uri: 'demo://readme' }), (error: { code?: number; message: string }) => {
          assert.equal(error.code, -32602);
          assert.match(error.message, /server "demo".*does not support resource subscriptions/);
          return true;
        });
        await assert.rejects(client.subscribeResource({ uri: 'fixture://nobody/owns-this' }), /no ready server offers the resource/);
        await assert.rejects(client.request({ method: 'resources/subscribe', params: {} } as never, ResourceUpdatedNotificationSchema.shape.params as never), /needs a string "uri"/);
        // Unsubscribing from something never subscribed is fine, as with SDK servers.
        await client.unsubscribeResource({ uri: ALPHA });
        assert.ok((await client.listTools()).tools.length > 0);
      } finally {
        await client.close();
      }
      const bad = await fetch(`${gw.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'subscriptions/listen' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 9,
          method: 'subscriptions/listen',
          params: { notifications: { resourceSubscriptions: 'fixture://alpha/counter' }, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } },
        }),
      });
      assert.equal(bad.status, 400);
      assert.match((await bad.json()).error.message, /resourceSubscriptions must be an array/);
    });

    test('an ended session drops its subscriptions upstream; a restarted upstream is subscribed again', async () => {
      const first = await legacyClient(gw.url);
      await first.client.subscribeResource({ uri: BETA });
      assert.deepEqual(await upstreamSubscriptions(), [BETA]);
      await first.transport.terminateSession();
      await first.client.close();
      await eventually(upstreamSubscriptions, (uris) => uris.length === 0);
      assert.deepEqual(await upstreamSubscriptions(), [], 'DELETE of the session unsubscribed upstream');

      const { client, heard } = await legacyClient(gw.url);
      try {
        await client.subscribeResource({ uri: BETA });
        const group = gw.gateway.supervisor.group('beta')!;
        const restarts = group.restarts;
        await caller.callTool({ name: 'beta__crash', arguments: {} }).catch(() => undefined);
        await eventually(() => group, (g) => g.restarts > restarts && g.state === 'ready', 15_000);
        // The new process knows nothing of the old subscription: the gateway must have sent it again.
        await eventually(upstreamSubscriptions, (uris) => uris.includes(BETA));
        await caller.callTool({ name: 'beta__bump', arguments: {} });
        await eventually(() => heard.uris.length, (n) => n >= 1);
        assert.deepEqual(heard.uris, [BETA]);
      } finally {
        await client.close();
      }
    });
  });
}

describe('resource subscriptions with server-everything (a real 2025 upstream)', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway([{ id: 'everything', command: process.execPath, args: [everythingEntry, 'stdio'] }]);
  });
  after(() => gw.stop());

  test('its simulated updates reach a 2025 session and a 2026-07-28 listener subscribed to the URI', async () => {
    const { client: legacy, heard: legacyHeard } = await legacyClient(gw.url);
    const { client: modern, heard: modernHeard } = await modernClient(gw.url);
    try {
      const { resources } = await legacy.listResources();
      const uri = resources[0]!.uri;
      const other = resources[1]!.uri;
      await legacy.subscribeResource({ uri });
      const subscription = await modern.listen({ resourceSubscriptions: [uri] });
      assert.deepEqual(subscription.honoredFilter.resourceSubscriptions, [uri]);
      // Sends an update for every subscribed URI at once, then every 5 s.
      await modern.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
      await eventually(() => legacyHeard.uris.length + modernHeard.uris.length, () => legacyHeard.uris.length > 0 && modernHeard.uris.length > 0, 10_000);
      assert.ok(legacyHeard.uris.length > 0 && legacyHeard.uris.every((heard) => heard === uri), `2025 session heard ${legacyHeard.uris.join(',')}`);
      assert.ok(modernHeard.uris.length > 0 && modernHeard.uris.every((heard) => heard === uri), `2026-07-28 listener heard ${modernHeard.uris.join(',')}`);
      assert.ok(!legacyHeard.uris.includes(other));
      await modern.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
      await subscription.close();
    } finally {
      await legacy.close();
      await modern.close();
    }
  });
});
