/**
 * What the cluster tests share: the Redis to use (skipped, with the reason
 * printed, only when none is given), N real gateway instances sharing it under
 * a random prefix, a round-robin TCP proxy in front of them (a plain load
 * balancer: each new connection goes to the next instance, no stickiness),
 * a fetch that opens one connection per request (so round robin is per
 * request), and a private redis-server to stop and restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/** The shared Redis. `MCPGW_TEST_REDIS_URL=none` (or empty) means there is none: the suites then skip and say so. */
export const REDIS_URL = (() => {
  const given = process.env.MCPGW_TEST_REDIS_URL;
  if (given === undefined) return 'redis://127.0.0.1:6379';
  return given === '' || given === 'none' ? undefined : given;
})();

/** For `describe(..., { skip })`: prints why, once per suite. */
export function skipWithoutRedis(suite: string): false | string {
  if (REDIS_URL !== undefined) return false;
  const reason = `no Redis URL given (MCPGW_TEST_REDIS_URL=${process.env.MCPGW_TEST_REDIS_URL ?? ''}): the ${suite} suite needs a real Redis`;
  console.log(`# skipped: ${reason}`);
  return reason;
}

export const SECRET = 'test-cluster-secret-of-at-least-32-chars';

/** A config joining the cluster under `prefix`; `extra.cluster` adds to (or overrides) the cluster block. */
export function clusterConfig(prefix: string, extra: Record<string, unknown> = {}, instanceId?: string): Record<string, unknown> {
  const cluster = { enabled: true, secret: SECRET, heartbeatSeconds: 1, instanceTtlSeconds: 3, redis: { url: REDIS_URL, prefix }, ...(instanceId ? { instanceId } : {}), ...(extra.cluster as object | undefined) };
  return { ...extra, cluster };
}

export function randomPrefix(): string {
  return `mcpgw-test:${randomUUID()}:`;
}

/** A TCP proxy: each new client connection is piped to the next backend in turn. */
export class RoundRobinProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #ports: number[];
  #next = 0;
  /** Connections each backend (by index) was given. */
  readonly connections: number[];

  constructor(ports: number[]) {
    this.#ports = ports;
    this.connections = ports.map(() => 0);
    this.#server = createServer((client) => {
      const index = this.#next++ % this.#ports.length;
      this.connections[index]!++;
      const backend = connect(this.#ports[index]!, '127.0.0.1');
      for (const socket of [client, backend]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(backend);
      backend.pipe(client);
      client.on('close', () => backend.destroy());
      backend.on('close', () => client.destroy());
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The backend the next connection goes to (0-based). */
  set next(index: number) {
    this.#next = index;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** `fetch` on a fresh connection every time: behind the proxy, every request is round-robined. */
const oneShot = new Agent({ pipelining: 0 });
export const freshFetch = ((input: string | URL | Request, init?: RequestInit) => undiciFetch(input as never, { ...(init as object), dispatcher: oneShot } as never)) as unknown as typeof fetch;

export interface TestCluster {
  readonly instances: RunningGateway[];
  readonly proxy: RoundRobinProxy;
  /** The proxy's URL: the cluster as clients see it. */
  readonly url: string;
  readonly prefix: string;
  stop(): Promise<void>;
}

export async function startCluster(count: number, servers: Record<string, unknown>[], extra: Record<string, unknown> = {}, prefix = randomPrefix()): Promise<TestCluster> {
  const instances = await Promise.all(Array.from({ length: count }, (_, i) => startGateway(servers, { config: clusterConfig(prefix, extra, `gw-${i}`) })));
  const proxy = new RoundRobinProxy(instances.map((instance) => instance.gateway.port));
  const url = await proxy.listen();
  return {
    instances,
    proxy,
    url,
    prefix,
    async stop() {
      await proxy.close();
      await Promise.all(instances.map((instance) => instance.stop()));
    },
  };
}

/** A private redis-server on a free port, to stop and start again without touching the shared one. */
export class PrivateRedis {
  #process: ChildProcess | undefined;
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.#process = child;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        if (seen.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${seen.slice(-500)}`)));
    });
    child.stdout!.resume();
  }

  async stop(): Promise<void> {
    const child = this.#process;
    if (child === undefined || child.exitCode !== null) return;
    this.#process = undefined;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
