/**
 * Runs one benchmark: splits the load over piscina threads, connects them,
 * warms up, measures (sampling the target's CPU and RSS from /proc around the
 * measured window only), merges the threads' HDR histograms and builds the
 * report. Every run is bounded: each phase by its duration/count, the whole
 * run by a hard deadline after which the threads are torn down.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { Piscina } from 'piscina';
import { assertLoopback } from './http.js';
import { newHistogram } from './load-worker.js';
import { descendants, machineBetween, RssPeak, sampleGroup, sampleMachine, usageBetween, type GroupSample, type MachineSample } from './proc-stats.js';
import { REPORT_SCHEMA, type BenchReport, type CpuFigures } from './report.js';
import type { CallSpec, ClientKind, FromLoadThread, LoadTask, PhaseLimit, PhaseResult, TargetSpec, ToLoadThread } from './types.js';

const WORKER_FILE = fileURLToPath(new URL('./load-worker.js', import.meta.url));
const CONNECT_TIMEOUT_MS = 60_000;
/** Default HTTP sockets are `concurrency`, up to this (open loop's default cap of 1000 in flight would otherwise open 1000). */
const MAX_DEFAULT_CONNECTIONS = 256;
/** Past a run's own bounds, how long before the runner gives up on its threads. */
const HARD_SLACK_MS = 30_000;

export interface BenchOptions {
  readonly target: TargetSpec;
  readonly client?: ClientKind;
  readonly calls: readonly CallSpec[];
  /** Closed loop: calls in flight. Open loop: the cap on calls in flight. */
  readonly concurrency: number;
  /** HTTP sockets, stdio children or SDK clients; default: 1 for stdio and the SDK client, else `concurrency` (at most 256). */
  readonly connections?: number;
  /** Legacy MCP sessions; default one per thread. */
  readonly sessions?: number;
  /** Load threads; default max(1, min(4, cores / 2)), and never more than connections. */
  readonly threads?: number;
  readonly durationMs: number;
  /** Stop after this many calls (or at `durationMs`, whichever is first). */
  readonly requests?: number;
  readonly warmup?: { readonly durationMs?: number; readonly requests?: number };
  /** Open loop: total arrival rate, calls/s. */
  readonly rate?: number;
  readonly timeoutMs?: number;
  /** Target processes to measure (the gateway's pid). A stdio target's own children are added. */
  readonly pids?: readonly number[];
  readonly label?: string;
  readonly onProgress?: (progress: Progress) => void;
}

export interface Progress {
  readonly phase: 'warmup' | 'measure';
  readonly done: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly durationMs: number;
  readonly requests?: number;
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2)));
}

/** Splits `total` into `parts` near-equal integers (the first ones get the remainder). */
export function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

interface LoadThread {
  readonly port: MessagePort;
  readonly task: Promise<void>;
  readonly inbox: Inbox;
  progress: { done: number; errors: number };
}

/** Messages from one thread, awaited by type; a `failed` message fails every wait. */
class Inbox {
  readonly #queue: FromLoadThread[] = [];
  readonly #waiters: { type: FromLoadThread['type']; resolve: (m: FromLoadThread) => void; reject: (e: Error) => void }[] = [];
  #failure: Error | undefined;

  constructor(port: MessagePort, onProgress: (m: { done: number; errors: number }) => void) {
    port.on('message', (message: FromLoadThread) => {
      if (message.type === 'progress') return onProgress(message);
      if (message.type === 'failed') return this.fail(new Error(message.error));
      const index = this.#waiters.findIndex((w) => w.type === message.type);
      if (index === -1) this.#queue.push(message);
      else this.#waiters.splice(index, 1)[0]!.resolve(message);
    });
  }

  /** The thread failed, or its task ended (or crashed) before answering: every wait fails. */
  fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
  }

  next<T extends FromLoadThread['type']>(type: T): Promise<Extract<FromLoadThread, { type: T }>> {
    if (this.#failure) return Promise.reject(this.#failure);
    const index = this.#queue.findIndex((m) => m.type === type);
    if (index !== -1) return Promise.resolve(this.#queue.splice(index, 1)[0] as Extract<FromLoadThread, { type: T }>);
    return new Promise((resolve, reject) => this.#waiters.push({ type, resolve: resolve as (m: FromLoadThread) => void, reject }));
  }
}

function validate(options: BenchOptions): void {
  const positive = (name: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a positive number (got ${value})`);
  };
  positive('concurrency', options.concurrency);
  positive('connections', options.connections);
  positive('sessions', options.sessions);
  positive('threads', options.threads);
  positive('duration', options.durationMs);
  positive('requests', options.requests);
  positive('rate', options.rate);
  positive('timeout', options.timeoutMs);
  if (options.calls.length === 0) throw new Error('no calls to make');
  if (options.target.kind !== 'stdio') assertLoopback(new URL(options.target.url));
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  validate(options);
  const client = options.client ?? 'lean';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const stdio = options.target.kind === 'stdio';
  const connections = Math.floor(options.connections ?? (stdio || client === 'sdk' ? 1 : Math.min(options.concurrency, MAX_DEFAULT_CONNECTIONS)));
  const concurrency = Math.floor(options.concurrency);
  const threadCount = Math.max(1, Math.min(Math.floor(options.threads ?? defaultThreads()), concurrency, connections, options.rate ?? Infinity));
  const sessions = options.target.kind === 'mcp-legacy' || options.target.kind === 'mcp-sse' ? Math.max(threadCount, Math.floor(options.sessions ?? threadCount)) : undefined;
  const concurrencyShares = split(concurrency, threadCount);
  const connectionShares = split(connections, threadCount);
  const sessionShares = split(sessions ?? threadCount, threadCount);
  const requestShares = options.requests === undefined ? undefined : split(Math.floor(options.requests), threadCount);
  const warmupRequestShares = options.warmup?.requests === undefined ? undefined : split(Math.floor(options.warmup.requests), threadCount);

  const hardDeadline = CONNECT_TIMEOUT_MS + (options.warmup?.durationMs ?? 0) + options.durationMs + 2 * timeoutMs + HARD_SLACK_MS;
  const pool = new Piscina({ filename: WORKER_FILE, minThreads: threadCount, maxThreads: threadCount, concurrentTasksPerWorker: 1, idleTimeout: 1000 });
  const threads: LoadThread[] = [];
  let phase: Progress['phase'] = 'warmup';
  let phaseStarted = performance.now();
  const reportProgress = (): void => {
    if (!options.onProgress) return;
    let done = 0;
    let errors = 0;
    for (const t of threads) {
      done += t.progress.done;
      errors += t.progress.errors;
    }
    const isMeasure = phase === 'measure';
    options.onProgress({
      phase,
      done,
      errors,
      elapsedMs: performance.now() - phaseStarted,
      durationMs: isMeasure ? options.durationMs : (options.warmup?.durationMs ?? 0),
      ...(isMeasure && options.requests !== undefined ? { requests: options.requests } : !isMeasure && options.warmup?.requests !== undefined ? { requests: options.warmup.requests } : {}),
    });
  };

  let hardTimer: NodeJS.Timeout | undefined;
  const overran = new Promise<never>((_, reject) => {
    hardTimer = setTimeout(() => reject(new Error(`the run overran its bounds (${Math.round(hardDeadline / 1000)} s); stopped`)), hardDeadline);
  });
  overran.catch(() => undefined);
  const bounded = <T>(promise: Promise<T>): Promise<T> => Promise.race([promise, overran]);

  try {
    for (let index = 0; index < threadCount; index++) {
      const { port1, port2 } = new MessageChannel();
      const task: LoadTask = {
        index,
        target: options.target,
        client,
        calls: options.calls,
        concurrency: concurrencyShares[index]!,
        connections: connectionShares[index]!,
        sessions: sessionShares[index]!,
        ...(options.rate !== undefined ? { rate: (options.rate * concurrencyShares[index]!) / concurrency } : {}),
        timeoutMs,
        progress: options.onProgress !== undefined,
      };
      const thread: LoadThread = {
        port: port1,
        task: pool.run({ ...task, port: port2 }, { transferList: [port2] }) as Promise<void>,
        inbox: undefined as unknown as Inbox,
        progress: { done: 0, errors: 0 },
      };
      const inbox = new Inbox(port1, (p) => {
        thread.progress = p;
      });
      (thread as { inbox: Inbox }).inbox = inbox;
      thread.task.then(
        () => inbox.fail(new Error(`load thread ${index} ended early`)),
        (error: unknown) => inbox.fail(new Error(`load thread ${index} crashed: ${(error as Error).message ?? String(error)}`)),
      );
      threads.push(thread);
    }
    const send = (message: ToLoadThread): void => threads.forEach((t) => t.port.postMessage(message));
    const connectTimeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the target did not accept connections within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS).unref());
    const ready = await bounded(Promise.race([Promise.all(threads.map((t) => t.inbox.next('ready'))), connectTimeout]));
    const spawned = ready.flatMap((m) => m.pids);

    const ticker = options.onProgress ? setInterval(reportProgress, 250) : undefined;
    try {
      if (options.warmup && ((options.warmup.durationMs ?? 0) > 0 || (options.warmup.requests ?? 0) > 0)) {
        phase = 'warmup';
        phaseStarted = performance.now();
        threads.forEach((t, i) => {
          const limit: PhaseLimit = {
            durationMs: options.warmup?.durationMs ?? Math.max(options.durationMs, 60_000),
            requests: warmupRequestShares?.[i] ?? Infinity,
          };
          t.port.postMessage({ type: 'warmup', limit } satisfies ToLoadThread);
        });
        await bounded(Promise.all(threads.map((t) => t.inbox.next('warm'))));
      }

      const targetPids = [...(options.pids ?? []), ...spawned];
      const childPids = [...new Set(targetPids.flatMap((pid) => descendants(pid)))].filter((pid) => !targetPids.includes(pid));
      const targetPeak = new RssPeak(() => targetPids);
      const childPeak = new RssPeak(() => childPids);
      const targetStart = sampleGroup(targetPids);
      const childStart = sampleGroup(childPids);
      const generatorStart = process.cpuUsage();
      const machineStart = sampleMachine();
      const windowStart = performance.now();

      phase = 'measure';
      phaseStarted = performance.now();
      for (const t of threads) t.progress = { done: 0, errors: 0 };
      threads.forEach((t, i) => {
        const limit: PhaseLimit = { durationMs: options.durationMs, requests: requestShares?.[i] ?? Infinity };
        t.port.postMessage({ type: 'measure', limit } satisfies ToLoadThread);
      });
      const measured = await bounded(Promise.all(threads.map((t) => t.inbox.next('measured'))));

      const targetEnd = sampleGroup(targetPids);
      const childEnd = sampleGroup(childPids);
      const generatorCpu = process.cpuUsage(generatorStart);
      const machineEnd = sampleMachine();
      const windowSeconds = (performance.now() - windowStart) / 1000;
      const targetRssPeak = targetPeak.stop();
      const childRssPeak = childPeak.stop();
      send({ type: 'close' });

      return buildReport({
        options,
        client,
        timeoutMs,
        connections,
        sessions,
        threadCount,
        results: measured.map((m) => m.result),
        generatorMicros: generatorCpu.user + generatorCpu.system,
        windowSeconds,
        machine: machineStart && machineEnd ? { start: machineStart, end: machineEnd } : undefined,
        target: targetPids.length > 0 ? { start: targetStart, end: targetEnd, peak: targetRssPeak } : undefined,
        children: childPids.length > 0 ? { start: childStart, end: childEnd, peak: childRssPeak } : undefined,
      });
    } finally {
      if (ticker) clearInterval(ticker);
      if (options.onProgress) reportProgress();
    }
  } finally {
    for (const t of threads) t.port.postMessage({ type: 'close' } satisfies ToLoadThread);
    const closing = Promise.allSettled(threads.map((t) => t.task));
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    clearTimeout(hardTimer);
    await pool.destroy();
  }
}

interface Measured {
  readonly start: GroupSample;
  readonly end: GroupSample;
  readonly peak: number;
}

function buildReport(input: {
  options: BenchOptions;
  client: ClientKind;
  timeoutMs: number;
  connections: number;
  sessions: number | undefined;
  threadCount: number;
  results: readonly PhaseResult[];
  generatorMicros: number;
  windowSeconds: number;
  machine: { start: MachineSample; end: MachineSample } | undefined;
  target: Measured | undefined;
  children: Measured | undefined;
}): BenchReport {
  const { options, results } = input;
  const merged = newHistogram();
  for (const result of results) merged.add(hdr.decodeFromCompressedBase64(result.histogram));
  const errorsByKind: Record<string, number> = {};
  const errorSamples: Record<string, string[]> = {};
  let ok = 0;
  let missed = 0;
  let sent = 0;
  let received = 0;
  for (const result of results) {
    ok += result.ok;
    missed += result.missed;
    sent += result.bytesSent;
    received += result.bytesReceived;
    for (const [kind, count] of Object.entries(result.errors)) errorsByKind[kind] = (errorsByKind[kind] ?? 0) + count;
    for (const [kind, samples] of Object.entries(result.errorSamples)) errorSamples[kind] = [...(errorSamples[kind] ?? []), ...samples].slice(0, 3);
  }
  const errors = Object.values(errorsByKind).reduce((a, b) => a + b, 0);
  const completed = ok + errors - missed;
  const startedAt = Math.min(...results.map((r) => r.startedAt));
  const endedAt = Math.max(...results.map((r) => r.endedAt));
  const elapsedSeconds = Math.max(1e-6, (endedAt - startedAt) / 1000);
  const perCall = (micros: number) => (completed > 0 ? micros / completed : 0);
  const cpu = (measured: Measured | undefined): CpuFigures | undefined => {
    if (!measured) return undefined;
    const usage = usageBetween(measured.start, measured.end);
    const window = Math.max(1e-9, (measured.end.at - measured.start.at) / 1000);
    return {
      pids: usage.pids,
      cpuSeconds: usage.cpuSeconds,
      microsPerCall: perCall(usage.cpuSeconds * 1e6),
      systemMicrosPerCall: perCall(usage.systemSeconds * 1e6),
      cores: usage.cores,
      rssBytes: usage.rssBytes,
      rssPeakBytes: Math.max(measured.peak, usage.rssBytes),
      threads: usage.threads.map((t) => ({ name: t.name, pid: t.pid, microsPerCall: perCall(t.cpuSeconds * 1e6), cores: t.cpuSeconds / window })),
    };
  };
  const micros = (v: number) => v / 1000;
  const target = cpu(input.target);
  const children = cpu(input.children);
  const count = merged.totalCount;
  const generatorCores = input.generatorMicros / 1e6 / Math.max(1e-9, input.windowSeconds);
  let machine: BenchReport['cpu']['machine'];
  if (input.machine) {
    const { busyCores, stealCores } = machineBetween(input.machine.start, input.machine.end);
    const ours = generatorCores + (target?.cores ?? 0) + (children?.cores ?? 0);
    machine = { cores: availableParallelism(), busyCores, otherCores: Math.max(0, busyCores - ours), stealCores };
  }
  return {
    schema: REPORT_SCHEMA,
    ...(options.label !== undefined ? { label: options.label } : {}),
    startedAt: new Date(startedAt).toISOString(),
    target: options.target,
    client: input.client,
    calls: options.calls,
    load: {
      mode: options.rate !== undefined ? 'open' : 'closed',
      concurrency: options.concurrency,
      connections: input.connections,
      ...(input.sessions !== undefined ? { sessions: input.sessions } : {}),
      threads: input.threadCount,
      ...(options.rate !== undefined ? { rate: options.rate } : {}),
      durationMs: options.durationMs,
      ...(options.requests !== undefined ? { requests: options.requests } : {}),
      ...(options.warmup ? { warmup: options.warmup } : {}),
      timeoutMs: input.timeoutMs,
    },
    result: {
      elapsedSeconds,
      completed,
      ok,
      errors,
      errorsByKind,
      errorSamples,
      missed,
      callsPerSecond: completed / elapsedSeconds,
      okPerSecond: ok / elapsedSeconds,
      latencyMs: {
        count,
        min: count > 0 ? micros(merged.minNonZeroValue) : 0,
        mean: count > 0 ? micros(merged.mean) : 0,
        p50: micros(merged.getValueAtPercentile(50)),
        p90: micros(merged.getValueAtPercentile(90)),
        p99: micros(merged.getValueAtPercentile(99)),
        p999: micros(merged.getValueAtPercentile(99.9)),
        max: micros(merged.maxValue),
      },
      bytes: { sent, received, sentPerCall: completed > 0 ? sent / completed : 0, receivedPerCall: completed > 0 ? received / completed : 0 },
    },
    cpu: {
      generator: { microsPerCall: perCall(input.generatorMicros), cores: generatorCores },
      ...(target ? { target } : {}),
      ...(children ? { children } : {}),
      ...(machine ? { machine } : {}),
    },
    histogram: hdr.encodeIntoCompressedBase64(merged),
  };
}
