/**
 * This instance as the cluster sees it, and the cluster views built from every
 * instance's: `GET /api/v1/health?scope=cluster` and
 * `GET /api/v1/metrics?scope=cluster`. Peers are asked live; one that does not
 * answer is shown from its last heartbeat, marked `reachable: false`.
 */
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { CallCounts, InstanceSnapshot, RegistryEntry } from './registry.js';

export interface SnapshotSource {
  readonly id: string;
  readonly url: () => string;
  readonly version: string;
  readonly startedAt: number;
  readonly supervisor: Supervisor;
  readonly metrics: GatewayMetrics;
  readonly stopping: () => boolean;
}

export function instanceSnapshot(source: SnapshotSource): InstanceSnapshot {
  const groups = source.supervisor.groups();
  const enabled = groups.filter((g) => g.config.enabled);
  const ready = enabled.filter((g) => g.state === 'ready');
  const status = source.stopping() ? 'stopping' : ready.length === enabled.length ? 'ok' : ready.length === 0 && enabled.length > 0 ? 'down' : 'degraded';
  const summary = source.metrics.summary();
  const servers: Record<string, CallCounts> = {};
  for (const [id, tally] of Object.entries(summary.servers)) servers[id] = { calls: tally.calls, errors: tally.errors };
  const tools: Record<string, CallCounts & { server: string; tool: string }> = {};
  for (const [name, tally] of Object.entries(summary.tools)) tools[name] = { server: tally.server, tool: tally.tool, calls: tally.calls, errors: tally.errors };
  return {
    id: source.id,
    url: source.url(),
    version: source.version,
    startedAt: new Date(source.startedAt).toISOString(),
    status,
    servers: groups.map((g) => ({ id: g.config.id, state: g.state, circuit: g.circuit, tools: g.catalog.tools.length, restarts: g.restarts })),
    calls: { calls: summary.totals.calls, errors: summary.totals.errors, servers, tools },
  };
}

/** An instance as the views show it. */
export interface InstanceView extends InstanceSnapshot {
  readonly heartbeatAt: string;
  /** False when it did not answer just now: the figures are from its last heartbeat. */
  readonly reachable: boolean;
}

export async function gatherInstances(entries: readonly RegistryEntry[], selfId: string, self: () => InstanceSnapshot, live: (url: string) => Promise<InstanceSnapshot>): Promise<InstanceView[]> {
  return Promise.all(
    entries.map(async (entry): Promise<InstanceView> => {
      const heartbeatAt = new Date(entry.heartbeatAt).toISOString();
      if (entry.id === selfId) return { ...self(), heartbeatAt, reachable: true };
      try {
        return { ...(await live(entry.url)), heartbeatAt, reachable: true };
      } catch {
        const { heartbeatAt: _at, ...last } = entry;
        return { ...last, heartbeatAt, reachable: false };
      }
    }),
  );
}

export function clusterHealth(selfId: string, instances: readonly InstanceView[]): Record<string, unknown> {
  const healthy = instances.filter((instance) => instance.reachable && instance.status === 'ok').length;
  const status = healthy === instances.length && instances.length > 0 ? 'ok' : healthy === 0 ? 'down' : 'degraded';
  return {
    scope: 'cluster',
    status,
    self: selfId,
    instances: instances.map(({ calls: _calls, ...instance }) => instance),
  };
}

/** Call counters summed over the instances (each counts the calls it served). */
export function clusterMetrics(selfId: string, instances: readonly InstanceView[]): Record<string, unknown> {
  const totals = { calls: 0, errors: 0 };
  const servers: Record<string, { calls: number; errors: number }> = {};
  const tools: Record<string, { server: string; tool: string; calls: number; errors: number }> = {};
  for (const { calls } of instances) {
    totals.calls += calls.calls;
    totals.errors += calls.errors;
    for (const [id, tally] of Object.entries(calls.servers)) {
      const sum = (servers[id] ??= { calls: 0, errors: 0 });
      sum.calls += tally.calls;
      sum.errors += tally.errors;
    }
    for (const [name, tally] of Object.entries(calls.tools)) {
      const sum = (tools[name] ??= { server: tally.server, tool: tally.tool, calls: 0, errors: 0 });
      sum.calls += tally.calls;
      sum.errors += tally.errors;
    }
  }
  return {
    scope: 'cluster',
    self: selfId,
    totals: { ...totals, errorRate: totals.calls === 0 ? 0 : totals.errors / totals.calls },
    servers,
    tools,
    instances: instances.map((instance) => ({ id: instance.id, reachable: instance.reachable, calls: instance.calls.calls, errors: instance.calls.errors })),
  };
}
