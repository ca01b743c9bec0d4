/**
 * What a tenant's clients are told unasked: two tenants own the same fixture
 * (so the same tool names and the same resource URI), and each hears only of
 * its own server's list changes and resource updates — on 2026-07-28 listen
 * streams and on 2025 sessions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { fixtures } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const URI = 'fixture://same/counter';

interface Heard {
  readonly lists: number[];
  readonly updates: string[];
}

interface TenantClient {
  readonly heard: Heard;
  call(name: string): Promise<unknown>;
  close(): Promise<void>;
}

async function modern(url: string, key: string): Promise<TenantClient> {
  const client = new Client({ name: 'tenant-notify', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const heard: Heard = { lists: [], updates: [] };
  client.setNotificationHandler('notifications/tools/list_changed', () => void heard.lists.push(Date.now()));
  client.setNotificationHandler('notifications/resources/updated', (notification) => void heard.updates.push(notification.params.uri));
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { 'x-api-key': key } } }));
  const subscription = await client.listen({ toolsListChanged: true, resourceSubscriptions: [URI] });
  assert.deepEqual(subscription.honoredFilter.resourceSubscriptions, [URI]);
  return {
    heard,
    call: (name) => client.callTool({ name, arguments: {} }),
    close: async () => {
      await subscription.close();
      await client.close();
    },
  };
}

async function legacy(url: string, key: string): Promise<TenantClient> {
  const client = new V1Client({ name: 'tenant-notify-v1', version: '1.0.0' });
  const heard: Heard = { lists: [], updates: [] };
  client.setNotificationHandler(ToolListChangedNotificationSchema, async () => void heard.lists.push(Date.now()));
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (notification) => void heard.updates.push(notification.params.uri));
  await client.connect(new V1Transport(new URL(`${url}/mcp`), { requestInit: { headers: { 'x-api-key': key } } }));
  // The GET stream opens after initialize; give it a moment so nothing is sent before it is there.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await client.subscribeResource({ uri: URI });
  return { heard, call: (name) => client.callTool({ name, arguments: {} }), close: () => client.close() };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A notification that was going to arrive would have, by the time its twin did plus this margin. */
const SETTLE_MS = 400;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

describe('tenant notifications', () => {
  let gw: RunningGateway;
  before(async () => {
    const fixture = (tenant: string) => ({ id: `${tenant}-srv`, command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'same', FIXTURE_RESOURCES: '1' }, tenant });
    gw = await startGateway([fixture('a'), fixture('b')], {
      config: {
        auth: { strategy: 'api-key', apiKeys: [{ key: 'key-a', name: 'a', tenant: 'a' }, { key: 'key-b', name: 'b', tenant: 'b' }] },
        tenants: { a: {}, b: {} },
      },
    });
  });
  after(() => gw.stop());

  for (const [era, connect] of [
    ['2026-07-28', modern],
    ['2025', legacy],
  ] as const) {
    test(`${era}: one URI on two tenants' servers: each subscriber hears of its own server's updates only`, async () => {
      const [a, b] = [await connect(gw.url, 'key-a'), await connect(gw.url, 'key-b')];
      try {
        await a.call('bump');
        await until(() => a.heard.updates.length === 1, 'a\'s update');
        await settle();
        assert.deepEqual(b.heard.updates, [], 'b heard of a\'s counter');
        await b.call('bump');
        await until(() => b.heard.updates.length === 1, 'b\'s update');
        await settle();
        assert.deepEqual(a.heard.updates, [URI]);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    test(`${era}: a tenant's tool list changing is news to that tenant only`, async () => {
      const [a, b] = [await connect(gw.url, 'key-a'), await connect(gw.url, 'key-b')];
      try {
        await b.call('add_tool');
        await until(() => b.heard.lists.length >= 1, 'b\'s list change');
        await settle();
        assert.deepEqual(a.heard.lists, [], 'a heard of b\'s list change');
        await a.call('add_tool');
        await until(() => a.heard.lists.length >= 1, 'a\'s list change');
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  }
});
