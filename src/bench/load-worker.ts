/**
 * A load thread (run by piscina): connects its own client to the target, then
 * runs the phases the runner asks for over the MessagePort it was given —
 * warm-up (stats discarded), measurement (an HDR histogram of successful
 * calls' latency in µs, error counts by kind, bytes) — and closes on request.
 *
 * Closed loop: `concurrency` virtual users, each sending its next call when
 * the last one answered. Open loop: calls are scheduled at a fixed rate and
 * each one's latency is counted from when it was *due*, not when it was sent,
 * so a target that falls behind shows it in the latency (no coordinated
 * omission). At most `concurrency` calls are in flight; the rest wait, and
 * calls still unsent at the phase's hard deadline count as `missed`.
 */
import type { MessagePort } from 'node:worker_threads';
import { threadId } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { CallPlan } from './calls.js';
import { createTarget } from './targets/index.js';
import type { CallReply, FromLoadThread, LoadTask, PhaseLimit, PhaseResult, Target, ToLoadThread } from './types.js';

/** Kept per error kind for the report. */
const SAMPLES_PER_KIND = 3;
const PROGRESS_EVERY_MS = 250;

export function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, autoResize: true });
}

const now = (): number => performance.now();
const epoch = (t: number): number => performance.timeOrigin + t;

class PhaseStats {
  readonly histogram = newHistogram();
  ok = 0;
  failed = 0;
  missed = 0;
  sent = 0;
  received = 0;
  readonly errors = new Map<string, number>();
  readonly samples = new Map<string, string[]>();
  readonly startedAt = now();
  endedAt = this.startedAt;

  record(reply: CallReply, latencyMs: number): void {
    this.sent += reply.sent;
    this.received += reply.received;
    this.endedAt = now();
    if (reply.error === undefined) {
      this.ok++;
      this.histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
      return;
    }
    this.fail(reply.error, reply.detail);
  }

  fail(kind: string, detail: string | undefined, count = 1): void {
    this.failed += count;
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + count);
    const samples = this.samples.get(kind) ?? [];
    if (samples.length < SAMPLES_PER_KIND && detail !== undefined) samples.push(detail.slice(0, 300));
    this.samples.set(kind, samples);
  }

  result(): PhaseResult {
    return {
      histogram: hdr.encodeIntoCompressedBase64(this.histogram),
      ok: this.ok,
      errors: Object.fromEntries(this.errors),
      errorSamples: Object.fromEntries(this.samples),
      missed: this.missed,
      bytesSent: this.sent,
      bytesReceived: this.received,
      startedAt: epoch(this.startedAt),
      endedAt: epoch(Math.max(this.endedAt, this.startedAt)),
    };
  }
}

class LoadEngine {
  readonly #target: Target;
  readonly #plan: CallPlan;
  readonly #task: LoadTask;
  #stopped = false;
  current: PhaseStats | undefined;

  constructor(target: Target, plan: CallPlan, task: LoadTask) {
    this.#target = target;
    this.#plan = plan;
    this.#task = task;
  }

  stop(): void {
    this.#stopped = true;
  }

  async phase(limit: PhaseLimit): Promise<PhaseStats> {
    const stats = new PhaseStats();
    this.current = stats;
    if (this.#task.rate !== undefined) await this.#openLoop(limit, stats, this.#task.rate);
    else await this.#closedLoop(limit, stats);
    return stats;
  }

  async #one(stats: PhaseStats, dueAt: number): Promise<void> {
    let reply: CallReply;
    try {
      reply = await this.#target.call(this.#plan.next());
    } catch (error) {
      reply = { error: 'client_error', detail: (error as Error).message ?? String(error), sent: 0, received: 0 };
    }
    stats.record(reply, now() - dueAt);
  }

  async #closedLoop(limit: PhaseLimit, stats: PhaseStats): Promise<void> {
    const deadline = stats.startedAt + limit.durationMs;
    let issued = 0;
    const user = async (): Promise<void> => {
      while (!this.#stopped && issued < limit.requests && now() < deadline) {
        issued++;
        await this.#one(stats, now());
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.#task.concurrency) }, user));
  }

  /**
   * The schedule is fixed: call k is due at start + k/rate, for as many calls
   * as the rate and the phase's bounds allow. The phase ends when all of them
   * were answered, or at the hard deadline (duration + timeout), when the
   * unsent ones count as missed.
   */
  #openLoop(limit: PhaseLimit, stats: PhaseStats, rate: number): Promise<void> {
    const interval = 1000 / rate;
    const start = stats.startedAt;
    const scheduled = Math.min(limit.requests, Math.floor((limit.durationMs * rate) / 1000));
    const hardDeadline = start + limit.durationMs + this.#task.timeoutMs;
    const cap = Math.max(1, this.#task.concurrency);
    const due: number[] = [];
    let dueHead = 0;
    let next = 0;
    let inFlight = 0;
    let timer: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve) => {
      const finishIfDone = (): void => {
        if (inFlight === 0 && (next >= scheduled || this.#stopped) && dueHead >= due.length) {
          if (timer) clearTimeout(timer);
          resolve();
        }
      };
      const send = (dueAt: number): void => {
        inFlight++;
        void this.#one(stats, dueAt).then(() => {
          inFlight--;
          if (dueHead < due.length && !this.#stopped) send(due[dueHead++]!);
          finishIfDone();
        });
      };
      const tick = (): void => {
        timer = undefined;
        const t = now();
        if (this.#stopped || t >= hardDeadline) {
          const unsent = scheduled - next + (due.length - dueHead);
          if (unsent > 0) {
            stats.missed += unsent;
            stats.fail('missed', `${unsent} scheduled calls were never sent: the target (or the generator) could not keep up with ${rate.toFixed(1)} calls/s`, unsent);
          }
          next = scheduled;
          dueHead = due.length;
          finishIfDone();
          return;
        }
        while (next < scheduled && start + next * interval <= t) due.push(start + next++ * interval);
        while (dueHead < due.length && inFlight < cap) send(due[dueHead++]!);
        if (dueHead > 4096 && dueHead === due.length) {
          due.length = 0;
          dueHead = 0;
        }
        if (next < scheduled) timer = setTimeout(tick, Math.max(0, start + next * interval - now()));
        else if (dueHead < due.length) timer = setTimeout(tick, Math.max(1, hardDeadline - now()));
        else finishIfDone();
      };
      tick();
    });
  }
}

/** The piscina task: lives from connect to the runner's `close`. */
export default async function runLoadThread(task: LoadTask & { readonly port: MessagePort }): Promise<void> {
  const { port } = task;
  const post = (message: FromLoadThread): void => port.postMessage(message);
  let closeRequested!: () => void;
  const closed = new Promise<void>((resolve) => (closeRequested = resolve));
  let engine: LoadEngine | undefined;
  let queue = Promise.resolve();

  port.on('message', (message: ToLoadThread) => {
    if (message.type === 'close') {
      engine?.stop();
      closeRequested();
      return;
    }
    // Phases run one after the other, in the order asked.
    queue = queue.then(async () => {
      if (!engine) return;
      const stats = await engine.phase(message.limit);
      if (message.type === 'warmup') post({ type: 'warm' });
      else post({ type: 'measured', result: stats.result() });
    });
  });

  let target: Target | undefined;
  try {
    target = createTarget(task.target, task.client, task);
    await target.connect();
    engine = new LoadEngine(target, new CallPlan(task.calls, `t${threadId}.${task.index}.`), task);
    post({ type: 'ready', pids: target.pids });
  } catch (error) {
    post({ type: 'failed', error: (error as Error).message ?? String(error) });
  }

  const progress = task.progress
    ? setInterval(() => {
        const stats = engine?.current;
        if (stats) post({ type: 'progress', done: stats.ok + stats.failed, errors: stats.failed });
      }, PROGRESS_EVERY_MS)
    : undefined;
  await closed;
  if (progress) clearInterval(progress);
  await target?.close().catch(() => undefined);
  port.close();
}
