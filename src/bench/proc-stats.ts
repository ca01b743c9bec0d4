/**
 * A target's CPU and memory from /proc (Linux): utime+stime of the whole
 * process (every thread: for the gateway that is the front door, the upstream
 * worker threads, V8's and libuv's helpers), per thread for a breakdown, RSS,
 * and the same for the processes it spawned (its stdio upstreams).
 * Clock ticks are USER_HZ, which Linux fixes at 100 for user space.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const TICKS_PER_SECOND = 100;

interface StatFields {
  readonly ppid: number;
  /** utime + stime, in ticks. */
  readonly ticks: number;
  /** stime alone: time in the kernel (syscalls, and on loopback the peer's TCP receive path too). */
  readonly systemTicks: number;
}

/** Fields of /proc/<pid>/stat (or a task's); the command name may hold spaces and parentheses, so parse from the last ')'. */
export function parseStat(text: string): StatFields {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field n is rest[n - 3].
  return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]), systemTicks: Number(rest[12]) };
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function rssBytes(pid: number): number | undefined {
  const status = read(`/proc/${pid}/status`);
  const match = status === undefined ? null : /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

export function cpuTicks(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : parseStat(stat).ticks;
}

function cpuStat(pid: number): StatFields | undefined {
  const stat = read(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : parseStat(stat);
}

/** Every live process below `pid` (children, grandchildren…). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    const { ppid } = parseStat(stat);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const walk = (parent: number): void => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

export interface ProcessSample {
  readonly pid: number;
  readonly alive: boolean;
  readonly ticks: number;
  readonly systemTicks: number;
  readonly rssBytes: number;
  /** Per thread (tid → ticks); the main thread's tid is the pid. */
  readonly threads: ReadonlyMap<number, number>;
}

export function sampleProcess(pid: number): ProcessSample {
  const stat = cpuStat(pid);
  if (stat === undefined) return { pid, alive: false, ticks: 0, systemTicks: 0, rssBytes: 0, threads: new Map() };
  const threads = new Map<number, number>();
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    // Exited between the two reads.
  }
  for (const tid of tasks) {
    const stat = read(`/proc/${pid}/task/${tid}/stat`);
    if (stat !== undefined) threads.set(Number(tid), parseStat(stat).ticks);
  }
  return { pid, alive: true, ticks: stat.ticks, systemTicks: stat.systemTicks, rssBytes: rssBytes(pid) ?? 0, threads };
}

/** A group of processes measured together (the target's pids, or their descendants). */
export interface GroupSample {
  readonly at: number;
  readonly processes: ReadonlyMap<number, ProcessSample>;
}

export function sampleGroup(pids: readonly number[]): GroupSample {
  return { at: performance.now(), processes: new Map(pids.map((pid) => [pid, sampleProcess(pid)])) };
}

export interface ThreadUsage {
  /** `main` (the tid equal to the pid) or `thread <tid>`. */
  readonly name: string;
  readonly pid: number;
  readonly cpuSeconds: number;
}

export interface GroupUsage {
  readonly pids: readonly number[];
  readonly cpuSeconds: number;
  /** Of which in the kernel. */
  readonly systemSeconds: number;
  /** Cores busy on average over the window (1 = one core fully). */
  readonly cores: number;
  readonly rssBytes: number;
  /** Busiest threads first (processes alive at both ends only). */
  readonly threads: readonly ThreadUsage[];
}

/** CPU used between two samples of the same pids; processes that died in between count as far as they were seen. */
export function usageBetween(before: GroupSample, after: GroupSample): GroupUsage {
  let ticks = 0;
  let systemTicks = 0;
  let rss = 0;
  const threads: ThreadUsage[] = [];
  for (const [pid, end] of after.processes) {
    const start = before.processes.get(pid);
    if (!start?.alive || !end.alive) continue;
    ticks += end.ticks - start.ticks;
    systemTicks += end.systemTicks - start.systemTicks;
    rss += end.rssBytes;
    for (const [tid, t] of end.threads) {
      const t0 = start.threads.get(tid);
      if (t0 === undefined) continue;
      threads.push({ name: tid === pid ? 'main' : `thread ${tid}`, pid, cpuSeconds: (t - t0) / TICKS_PER_SECOND });
    }
  }
  threads.sort((a, b) => b.cpuSeconds - a.cpuSeconds);
  const seconds = Math.max(1e-9, (after.at - before.at) / 1000);
  const cpuSeconds = ticks / TICKS_PER_SECOND;
  return { pids: [...after.processes.keys()], cpuSeconds, systemSeconds: systemTicks / TICKS_PER_SECOND, cores: cpuSeconds / seconds, rssBytes: rss, threads: threads.filter((t) => t.cpuSeconds > 0).slice(0, 6) };
}

/** Tracks the highest total RSS of a set of pids while a run lasts. */
export class RssPeak {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(pids: () => readonly number[], everyMs = 250) {
    const sample = (): void => {
      let total = 0;
      for (const pid of pids()) total += rssBytes(pid) ?? 0;
      this.#peak = Math.max(this.#peak, total);
    };
    sample();
    this.#timer = setInterval(sample, everyMs);
    this.#timer.unref();
  }

  stop(): number {
    clearInterval(this.#timer);
    return this.#peak;
  }
}

/** Whole-machine CPU from the first line of /proc/stat, in ticks. */
export interface MachineSample {
  readonly busy: number;
  readonly steal: number;
  readonly at: number;
}

export function sampleMachine(): MachineSample | undefined {
  const line = read('/proc/stat')?.split('\n', 1)[0];
  if (line === undefined || !line.startsWith('cpu ')) return undefined;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user).
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq, steal, at: performance.now() };
}

/** Cores busy on average between two samples, and cores the hypervisor took (steal). */
export function machineBetween(before: MachineSample, after: MachineSample): { busyCores: number; stealCores: number } {
  const seconds = Math.max(1e-9, (after.at - before.at) / 1000);
  return { busyCores: (after.busy - before.busy) / TICKS_PER_SECOND / seconds, stealCores: (after.steal - before.steal) / TICKS_PER_SECOND / seconds };
}
