/**
 * The soak: a real gateway (its own process) in front of real upstreams — an
 * SDK server over stdio with two replicas (2026-07-28), the same server pinned
 * to the 2025 revisions, and the SDK's Streamable HTTP server — under mixed
 * load for a while: tool calls over REST and /mcp in both eras, lists, 2025
 * GET streams and 2026-07-28 listen streams opened and closed, whole 2025
 * sessions created and deleted; every `restartEveryMs` one upstream is made to
 * restart (a crash tool, or its worker thread killed). Reports what was done,
 * errors by kind (expected: explained by an injected restart; unexpected:
 * everything else), and the gateway's memory after a GC at start, middle and
 * end.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fixtures, startHttpFixture } from '../fixtures/paths.js';
import { processesWithMark } from '../helpers/gateway.js';
import type { HostMemory } from './gateway-host.js';
import { GatewayHost } from './host-client.js';
import { Incidents, type Injection, type InjectionKind } from './incidents.js';
import { SoakClient, type OpName, type OpResult } from './operations.js';

export interface SoakOptions {
  readonly durationMs: number;
  readonly restartEveryMs?: number;
  /** Concurrent load loops. */
  readonly lanes?: number;
  /** Pause between one lane's operations: the soak measures staying power, not throughput. */
  readonly pauseMs?: number;
  /** Progress lines while it runs. */
  readonly log?: (line: string) => void;
}

export interface MemorySample extends HostMemory {
  readonly label: 'start' | 'middle' | 'end';
  /** Seconds since the load began. */
  readonly atSeconds: number;
}

export interface ErrorKind {
  readonly kind: string;
  readonly expected: boolean;
  readonly count: number;
  readonly ops: readonly OpName[];
  readonly example: string;
}

export interface SoakReport {
  readonly durationMs: number;
  readonly lanes: number;
  readonly servers: readonly string[];
  readonly calls: Readonly<Partial<Record<OpName, number>>>;
  readonly totalCalls: number;
  readonly errors: readonly ErrorKind[];
  readonly unexpectedErrors: number;
  readonly expectedErrors: number;
  readonly injections: readonly Injection[];
  readonly memory: readonly MemorySample[];
  readonly healthyAtEnd: boolean;
  readonly healthAtEnd: unknown;
  /** Upstream processes still alive after the gateway stopped. */
  readonly leftovers: readonly number[];
}

const SERVERS = ['stdio', 'legacy', 'http'] as const;
/** The injection cycle: every kind, on every server, in turn. */
const INJECTIONS: readonly { server: string; kind: InjectionKind; replica?: number }[] = [
  { server: 'stdio', kind: 'crash-tool' },
  { server: 'legacy', kind: 'kill-replica', replica: 0 },
  { server: 'http', kind: 'kill-replica', replica: 0 },
  { server: 'stdio', kind: 'kill-replica', replica: 1 },
];
/** Weighted operation mix; `server` ops pick a server at random. */
const MIX: readonly [number, (client: SoakClient, lane: number, server: string) => Promise<OpResult>][] = [
  [5, (c, _l, s) => c.restCall(s)],
  [4, (c, _l, s) => c.modernCall(s)],
  [4, (c, l, s) => c.legacyCall(l, s)],
  [1, (c, _l, s) => c.restCall(s, 'slow')],
  [1, (c) => c.restList()],
  [1, (c) => c.modernList()],
  [1, (c, l) => c.legacyList(l)],
  [1, (c, l) => c.legacyStream(l)],
  [1, (c) => c.modernListen()],
  [1, (c, _l, s) => c.sessionChurn(s)],
];
const DECK = MIX.flatMap(([weight, op]) => Array.from({ length: weight }, () => op));

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const lanes = options.lanes ?? 4;
  const restartEveryMs = options.restartEveryMs ?? 30_000;
  const pauseMs = options.pauseMs ?? 5;
  const log = options.log ?? (() => undefined);
  const mark = randomUUID();
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-soak-'));
  const http = await startHttpFixture('modern-http', [], { FIXTURE_NAME: 'http', MCPGW_TEST_MARK: mark });
  let host: GatewayHost | undefined;
  let client: SoakClient | undefined;
  try {
    const configPath = join(dir, 'gateway.json');
    await writeFile(configPath, JSON.stringify(soakConfig(mark, http.url)));
    host = await GatewayHost.start(configPath);
    client = new SoakClient(host.url, lanes * 2, 30_000);
    await warmUp(client);

    const incidents = new Incidents();
    const calls: Partial<Record<OpName, number>> = {};
    const failures: OpResult[] = [];
    const memory: MemorySample[] = [];
    const started = Date.now();
    const deadline = started + options.durationMs;
    const since = () => Math.round((Date.now() - started) / 100) / 10;
    memory.push({ label: 'start', atSeconds: 0, ...(await host.memory()) });
    const record = (result: OpResult) => {
      calls[result.op] = (calls[result.op] ?? 0) + 1;
      if (result.error !== undefined) failures.push(result);
    };

    const running = Array.from({ length: lanes }, (_, lane) =>
      (async () => {
        for (let n = 0; Date.now() < deadline; n++) {
          const op = DECK[Math.floor(Math.random() * DECK.length)]!;
          record(await op(client!, lane, SERVERS[Math.floor(Math.random() * SERVERS.length)]!));
          if (pauseMs > 0) await delay(pauseMs);
        }
      })(),
    );
    const injecting = (async () => {
      const gateway = host!;
      for (let turn = 0; ; turn++) {
        const at = started + (turn + 1) * restartEveryMs;
        // An injection needs time to recover before the end, or it would only measure the recovery.
        if (at > deadline - 5000) return;
        await delay(at - Date.now());
        const next = INJECTIONS[turn % INJECTIONS.length]!;
        const injection = incidents.begin(next.server, next.kind, next.replica);
        if (next.kind === 'crash-tool') {
          record(await client!.injectCrash(next.server));
        } else await gateway.kill(next.server, next.replica ?? 0);
        await untilReady(host!.url, next.server);
        incidents.end(injection);
        log(`t=${since()}s ${next.kind} ${next.server}${next.replica === undefined ? '' : `#${next.replica}`}: ready again in ${((injection.to! - injection.from) / 1000).toFixed(1)} s`);
      }
    })();
    const middle = (async () => {
      await delay(options.durationMs / 2);
      memory.push({ label: 'middle', atSeconds: since(), ...(await host!.memory()) });
    })();
    const progress = setInterval(() => {
      const total = Object.values(calls).reduce((a, b) => a + (b ?? 0), 0);
      log(`t=${since()}s ${total} calls, ${failures.length} errors so far`);
    }, Math.min(30_000, Math.max(5_000, options.durationMs / 6)));
    await Promise.all([...running, injecting, middle]);
    clearInterval(progress);

    const allReady = await Promise.all(SERVERS.map((server) => untilReady(host!.url, server)));
    const health = await (await fetch(`${host.url}/api/v1/health`)).json();
    await delay(1000);
    memory.push({ label: 'end', atSeconds: since(), ...(await host.memory()) });

    await client.close();
    client = undefined;
    await host.stop();
    host = undefined;
    await http.stop();
    const leftovers = await settle(() => processesWithMark(mark), (pids) => pids.length === 0, 5000);

    const errors = kinds(failures, incidents);
    const unexpectedErrors = errors.filter((e) => !e.expected).reduce((a, e) => a + e.count, 0);
    return {
      durationMs: options.durationMs,
      lanes,
      servers: [...SERVERS],
      calls,
      totalCalls: Object.values(calls).reduce((a, b) => a + (b ?? 0), 0),
      errors,
      unexpectedErrors,
      expectedErrors: failures.length - unexpectedErrors,
      injections: incidents.injections,
      memory,
      healthyAtEnd: allReady.every(Boolean) && (health as { status?: unknown }).status === 'ok',
      healthAtEnd: health,
      leftovers,
    };
  } finally {
    await client?.close();
    await host?.stop();
    await http.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function soakConfig(mark: string, httpUrl: string): Record<string, unknown> {
  const env = { MCPGW_TEST_MARK: mark };
  const restart = { initialDelayMs: 100, maxDelayMs: 2000 };
  return {
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    servers: [
      { id: 'stdio', command: process.execPath, args: [fixtures.modernStdio], env: { ...env, FIXTURE_NAME: 'stdio' }, replicas: 2, restart },
      { id: 'legacy', command: process.execPath, args: [fixtures.modernStdio], env: { ...env, FIXTURE_NAME: 'legacy' }, protocol: 'legacy', restart },
      { id: 'http', url: httpUrl, restart },
    ],
  };
}

/** One of each operation, in turn: the soak starts only once everything works. */
async function warmUp(client: SoakClient): Promise<void> {
  for (const [, op] of MIX) {
    for (const server of SERVERS) {
      const result = await op(client, 0, server);
      if (result.error !== undefined) throw new Error(`warm-up ${result.op} on ${server} failed: ${result.error} ${result.code ?? ''} ${result.detail ?? ''}`);
    }
  }
}

/** Waits until every replica of `server` is ready again (at most 30 s); true if it is. */
async function untilReady(url: string, server: string): Promise<boolean> {
  const ready = await settle(
    async () => {
      const reply = await fetch(`${url}/api/v1/servers/${server}`).catch(() => undefined);
      const body = (await reply?.json().catch(() => undefined)) as { state?: string; replicas?: { ready: boolean }[] } | undefined;
      return body?.state === 'ready' && (body.replicas ?? []).every((replica) => replica.ready);
    },
    (isReady) => isReady,
    30_000,
  );
  return ready;
}

async function settle<T>(probe: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < until) {
    await delay(100);
    value = await probe();
  }
  return value;
}

function kinds(failures: readonly OpResult[], incidents: Incidents): ErrorKind[] {
  const byKind = new Map<string, { expected: boolean; count: number; ops: Set<OpName>; example: string }>();
  for (const failure of failures) {
    const expected = incidents.expected(failure);
    const kind = `${failure.code ?? failure.error}`;
    const key = `${expected}:${kind}`;
    const entry = byKind.get(key) ?? { expected, count: 0, ops: new Set<OpName>(), example: `${failure.op}${failure.server ? ` on ${failure.server}` : ''}: ${failure.error} ${failure.detail ?? ''}`.slice(0, 300) };
    entry.count++;
    entry.ops.add(failure.op);
    byKind.set(key, entry);
  }
  return [...byKind.entries()].map(([key, entry]) => ({ kind: key.slice(key.indexOf(':') + 1), expected: entry.expected, count: entry.count, ops: [...entry.ops], example: entry.example }));
}
