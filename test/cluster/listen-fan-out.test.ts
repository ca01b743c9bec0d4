/**
 * subscriptions/listen across instances: a list change or a resource update
 * one instance sees reaches the listen streams (and 2025 session streams) held
 * by every instance, once each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { fixtures } from '../fixtures/paths.js';
import { eventually } from '../helpers/gateway.js';
import { skipWithoutRedis, startCluster, type TestCluster } from './helpers.js';

const MODERN = '2026-07-28';
const ALPHA = 'fixture://alpha/counter';
const ALPHA_SERVER = { id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha', FIXTURE_RESOURCES: '1' } };

interface Listener {
  readonly client: Client;
  readonly toolChanges: string[];
  readonly updates: string[];
  close(): Promise<void>;
}

/** A 2026-07-28 client listening on one instance directly. */
async function listenOn(url: string, filter: Record<string, unknown>): Promise<Listener> {
  const client = new Client({ name: 'cluster-listen', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  const toolChanges: string[] = [];
  const updates: string[] = [];
  client.setNotificationHandler('notifications/tools/list_changed', () => void toolChanges.push('tools'));
  client.setNotificationHandler('notifications/resources/updated', (notification) => void updates.push(notification.params.uri));
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  const subscription = await client.listen(filter);
  return {
    client,
    toolChanges,
    updates,
    async close() {
      await subscription.close();
      await client.close();
    },
  };
}

/** One tool call by a 2026-07-28 client on one instance directly. */
async function callOn(url: string, tool: string): Promise<void> {
  const caller = new Client({ name: 'cluster-caller', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  await caller.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  try {
    await caller.callTool({ name: tool, arguments: {} });
  } finally {
    await caller.close();
  }
}

const settle = (ms = 800) => new Promise((resolve) => setTimeout(resolve, ms));

describe('listen streams across instances', { skip: skipWithoutRedis('cluster listen') }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster(2, [ALPHA_SERVER]);
  });
  after(() => cluster?.stop());

  test('a list change caused by an upstream restart on B reaches a listen stream on A', async () => {
    const [a, b] = cluster.instances as [(typeof cluster.instances)[0], (typeof cluster.instances)[0]];
    const onA = await listenOn(a.url, { toolsListChanged: true });
    try {
      await settle(300);
      const restartsBefore = b.gateway.supervisor.group('alpha')!.restarts;
      await callOn(b.url, 'crash').catch(() => undefined);
      await eventually(() => b.gateway.supervisor.group('alpha')!, (group) => group.restarts > restartsBefore && group.state === 'ready', 15_000);
      await eventually(() => onA.toolChanges.length, (n) => n > 0, 5000);
      assert.ok(onA.toolChanges.length > 0, 'the stream on A heard nothing of B\'s restart');
      assert.equal(a.gateway.supervisor.group('alpha')!.restarts, 0, 'A\'s own upstream never restarted: the change came from B');
    } finally {
      await onA.close();
    }
  });

  test('each stream on each instance hears a change once', async () => {
    const [a, b] = cluster.instances as [(typeof cluster.instances)[0], (typeof cluster.instances)[0]];
    const listeners = [await listenOn(a.url, { toolsListChanged: true }), await listenOn(a.url, { toolsListChanged: true }), await listenOn(b.url, { toolsListChanged: true })];
    try {
      await settle(300);
      await callOn(b.url, 'add_tool');
      await eventually(() => listeners.map((listener) => listener.toolChanges.length), (counts) => counts.every((n) => n > 0), 5000);
      await settle();
      assert.deepEqual(listeners.map((listener) => listener.toolChanges.length), [1, 1, 1]);
    } finally {
      await Promise.all(listeners.map((listener) => listener.close()));
    }
  });

  test('a resource update an upstream of B announces reaches the subscribers on A, once', async () => {
    const [a, b] = cluster.instances as [(typeof cluster.instances)[0], (typeof cluster.instances)[0]];
    const onA = await listenOn(a.url, { resourceSubscriptions: [ALPHA] });
    const onB = await listenOn(b.url, { resourceSubscriptions: [ALPHA] });
    try {
      await settle(300);
      await callOn(b.url, 'bump');
      await eventually(() => onA.updates.length + onB.updates.length, (n) => n >= 2, 5000);
      await settle();
      assert.deepEqual(onB.updates, [ALPHA]);
      assert.deepEqual(onA.updates, [ALPHA], 'A\'s upstream counter never changed: the update came from B');
    } finally {
      await onA.close();
      await onB.close();
    }
  });
});
