/**
 * Starts a real Gateway in this process on 127.0.0.1:0 with the given servers
 * and HTTP engine, and talks to it over real loopback HTTP.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Gateway } from '../../src/gateway.js';
import { normalizeConfig } from '../../src/config/load.js';
import type { StartReport } from '../../src/gateway-types.js';
import type { LogLevel } from '../../src/config/types.js';

export type EngineName = 'uws' | 'node';

export interface RunningGateway {
  readonly gateway: Gateway;
  readonly report: StartReport;
  readonly url: string;
  /** Marks every stdio child this gateway spawns (env MCPGW_TEST_MARK), to find leftovers. */
  readonly mark: string;
  /** The gateway's log lines, parsed, when started with `captureLog` (else empty). */
  readonly logs: readonly Record<string, unknown>[];
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  call(tool: string, args?: Record<string, unknown>, server?: string): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  stop(): Promise<void>;
}

export async function startGateway(
  servers: Record<string, unknown>[],
  options: { engine?: EngineName; config?: Record<string, unknown>; workers?: number; captureLog?: LogLevel } = {},
): Promise<RunningGateway> {
  const mark = randomUUID();
  const marked = servers.map((server) => (server.command !== undefined ? { ...server, env: { ...(server.env as object), MCPGW_TEST_MARK: mark } } : server));
  // An empty env: a MCP_GATEWAY_PORT in the test environment must not override port 0.
  const config = normalizeConfig({ port: 0, host: '127.0.0.1', logLevel: 'silent', ...options.config, servers: marked }, { env: {} });
  const logs: Record<string, unknown>[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const gateway = new Gateway(config, {
    httpEngine: options.engine ?? 'node',
    logLevel: options.captureLog ?? (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent',
    ...(options.captureLog ? { logDestination: capture } : {}),
    ...(options.workers ? { workers: options.workers } : {}),
  });
  const report = await gateway.start();
  const url = gateway.url;
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(url + path, init);
    const text = await response.text();
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  };
  return {
    gateway,
    report,
    url,
    mark,
    logs,
    get: (path, headers) => request('GET', path, undefined, headers),
    post: (path, body, headers) => request('POST', path, body, headers),
    call: (tool, args, server) => request('POST', '/api/v1/tools/call', { tool, ...(args ? { arguments: args } : {}), ...(server ? { server } : {}) }),
    stop: () => gateway.stop(),
  };
}

/** PIDs of live processes whose environment carries `mark` (zombies excluded). */
export function processesWithMark(mark: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(mark)) found.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

/** Polls until `check` holds or `timeoutMs` passes; returns the last value of `probe`. */
export async function eventually<T>(probe: () => T | Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await probe();
  while (!check(value) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, stepMs));
    value = await probe();
  }
  return value;
}
