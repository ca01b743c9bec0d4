/**
 * A run's report: the JSON shape (`--json`, versioned by `schema`), the text a
 * person reads, and the side-by-side of two saved runs (`--compare`).
 */
import type { CallSpec, ClientKind, TargetSpec } from './types.js';

export const REPORT_SCHEMA = 'mcp-gateway-bench/1';

export interface CpuFigures {
  readonly pids: readonly number[];
  readonly cpuSeconds: number;
  /** CPU time per completed call, in µs. */
  readonly microsPerCall: number;
  /** The part of it spent in the kernel (stime), µs per call. */
  readonly systemMicrosPerCall: number;
  /** Cores busy on average during the measurement. */
  readonly cores: number;
  readonly rssBytes: number;
  readonly rssPeakBytes: number;
  readonly threads: readonly { readonly name: string; readonly pid: number; readonly microsPerCall: number; readonly cores: number }[];
}

export interface LatencyFigures {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface BenchReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly label?: string;
  readonly startedAt: string;
  readonly target: TargetSpec;
  readonly client: ClientKind;
  readonly calls: readonly CallSpec[];
  readonly load: {
    readonly mode: 'closed' | 'open';
    readonly concurrency: number;
    readonly connections: number;
    readonly sessions?: number;
    readonly threads: number;
    readonly rate?: number;
    readonly durationMs: number;
    readonly requests?: number;
    readonly warmup?: { readonly durationMs?: number; readonly requests?: number };
    readonly timeoutMs: number;
  };
  readonly result: {
    readonly elapsedSeconds: number;
    /** Calls answered (successes and failures), excluding `missed`. */
    readonly completed: number;
    readonly ok: number;
    readonly errors: number;
    readonly errorsByKind: Readonly<Record<string, number>>;
    readonly errorSamples: Readonly<Record<string, readonly string[]>>;
    /** Open loop: scheduled calls never sent (also in errorsByKind.missed). */
    readonly missed: number;
    readonly callsPerSecond: number;
    readonly okPerSecond: number;
    /** Successful calls only, in ms; from send (closed loop) or from when the call was due (open loop). */
    readonly latencyMs: LatencyFigures;
    readonly bytes: { readonly sent: number; readonly received: number; readonly sentPerCall: number; readonly receivedPerCall: number };
  };
  readonly cpu: {
    /** The harness's own process (all its threads). */
    readonly generator: { readonly microsPerCall: number; readonly cores: number };
    /** The processes given with --pid, and any stdio server the harness spawned. */
    readonly target?: CpuFigures;
    /** Their descendants (a gateway's stdio upstreams). */
    readonly children?: CpuFigures;
    /**
     * The whole machine over the window (/proc/stat): cores busy, the part not
     * accounted for by target, children and generator (other processes: a
     * noisy neighbour), and steal (the hypervisor's). High `otherCores` or
     * `stealCores` mean the figures of this run are disturbed.
     */
    readonly machine?: { readonly cores: number; readonly busyCores: number; readonly otherCores: number; readonly stealCores: number };
  };
  /** Merged HDR histogram (µs), compressed base64, to re-analyse. */
  readonly histogram: string;
}

// ---- text ----------------------------------------------------------------------------

export function describeTarget(target: TargetSpec): string {
  switch (target.kind) {
    case 'stdio':
      return `stdio: ${[target.command, ...target.args].map(shellQuote).join(' ')}${target.protocol === 'auto' ? '' : ` (${target.protocol})`}`;
    default:
      return `${target.kind} ${target.url}`;
  }
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function describeCalls(calls: readonly CallSpec[]): string {
  return calls
    .map((c) => {
      const what = c.payload !== undefined ? `${c.tool} (${formatBytes(c.payload)})` : c.arguments && Object.keys(c.arguments).length > 0 ? `${c.tool} ${JSON.stringify(c.arguments).slice(0, 40)}` : c.tool;
      return calls.length > 1 ? `${what} ×${c.weight ?? 1}` : what;
    })
    .join(', ');
}

export function describeLoad(report: BenchReport): string {
  const l = report.load;
  const mode = l.mode === 'open' ? `open loop ${l.rate} calls/s (at most ${l.concurrency} in flight)` : `closed loop c=${l.concurrency}`;
  const sessions = l.sessions !== undefined ? `, ${l.sessions} sessions` : '';
  const bound = l.requests !== undefined ? `${l.requests} calls or ${seconds(l.durationMs)}` : seconds(l.durationMs);
  return `${mode}, ${l.connections} connection${l.connections === 1 ? '' : 's'}${sessions}, ${l.threads} thread${l.threads === 1 ? '' : 's'}, ${bound}`;
}

export function formatText(report: BenchReport): string {
  const r = report.result;
  const lines: string[] = [];
  lines.push(`${report.label ? `${report.label}: ` : ''}${describeTarget(report.target)}  [${report.client} client]`);
  lines.push(`  calls      ${report.target.kind === 'get' ? 'GET' : describeCalls(report.calls)}; ${describeLoad(report)}`);
  lines.push(`  throughput ${fixed(r.callsPerSecond, 0)} calls/s (${r.completed} in ${fixed(r.elapsedSeconds, 2)} s), ${r.ok} ok, ${r.errors} error${r.errors === 1 ? '' : 's'}`);
  const l = r.latencyMs;
  lines.push(`  latency ms p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}  (mean ${ms(l.mean)}, ${l.count} ok calls)`);
  lines.push(`  bytes      sent ${formatBytes(r.bytes.sent)} (${formatBytes(r.bytes.sentPerCall)}/call), received ${formatBytes(r.bytes.received)} (${formatBytes(r.bytes.receivedPerCall)}/call)`);
  const { target, children, generator } = report.cpu;
  if (target) lines.push(...cpuLines('target', target));
  if (children && children.pids.length > 0) lines.push(...cpuLines('children', children));
  lines.push(`  generator  ${fixed(generator.microsPerCall, 0)} µs CPU/call (${fixed(generator.cores * 100, 0)}% of a core)`);
  const machine = report.cpu.machine;
  if (machine) {
    const warn = machine.otherCores > 0.25 || machine.stealCores > 0.1 ? '  ⚠ other load: figures disturbed' : '';
    lines.push(`  machine    ${fixed(machine.busyCores, 2)} of ${machine.cores} cores busy; other processes ${fixed(machine.otherCores, 2)}, steal ${fixed(machine.stealCores, 2)}${warn}`);
  }
  if (r.errors > 0) {
    lines.push('  errors by kind:');
    for (const [kind, count] of Object.entries(r.errorsByKind).sort((a, b) => b[1] - a[1])) {
      lines.push(`    ${String(count).padStart(7)}  ${kind}${r.errorSamples[kind]?.[0] ? `  e.g. ${r.errorSamples[kind][0]}` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function cpuLines(name: string, cpu: CpuFigures): string[] {
  const pids = cpu.pids.length === 1 ? `pid ${cpu.pids[0]}` : `${cpu.pids.length} processes`;
  const lines = [
    `  ${name.padEnd(10)} ${pids}: ${fixed(cpu.microsPerCall, 0)} µs CPU/call (${fixed(cpu.systemMicrosPerCall, 0)} in the kernel; ${fixed(cpu.cores * 100, 0)}% of a core), RSS ${formatBytes(cpu.rssBytes)} (peak ${formatBytes(cpu.rssPeakBytes)})`,
  ];
  // Threads under 1% of a core (V8 and libuv helpers, mostly) are noise here; the JSON keeps them.
  const busy = cpu.threads.filter((t) => t.cores >= 0.01);
  if (busy.length > 1) lines.push(`             threads: ${busy.map((t) => `${t.name}${cpu.pids.length > 1 ? ` (pid ${t.pid})` : ''} ${fixed(t.microsPerCall, 0)} µs`).join(', ')}`);
  return lines;
}

// ---- compare -------------------------------------------------------------------------

interface Row {
  readonly name: string;
  readonly a: number | undefined;
  readonly b: number | undefined;
  readonly format: (n: number) => string;
}

export function formatCompare(a: BenchReport, b: BenchReport, names: readonly [string, string] = ['A', 'B']): string {
  const rows: Row[] = [
    { name: 'calls/s', a: a.result.callsPerSecond, b: b.result.callsPerSecond, format: (n) => fixed(n, 0) },
    { name: 'errors', a: a.result.errors, b: b.result.errors, format: (n) => String(n) },
    { name: 'p50 ms', a: a.result.latencyMs.p50, b: b.result.latencyMs.p50, format: ms },
    { name: 'p90 ms', a: a.result.latencyMs.p90, b: b.result.latencyMs.p90, format: ms },
    { name: 'p99 ms', a: a.result.latencyMs.p99, b: b.result.latencyMs.p99, format: ms },
    { name: 'p99.9 ms', a: a.result.latencyMs.p999, b: b.result.latencyMs.p999, format: ms },
    { name: 'max ms', a: a.result.latencyMs.max, b: b.result.latencyMs.max, format: ms },
    { name: 'target µs CPU/call', a: a.cpu.target?.microsPerCall, b: b.cpu.target?.microsPerCall, format: (n) => fixed(n, 0) },
    { name: 'target RSS', a: a.cpu.target?.rssBytes, b: b.cpu.target?.rssBytes, format: formatBytes },
    { name: 'children µs CPU/call', a: a.cpu.children?.microsPerCall, b: b.cpu.children?.microsPerCall, format: (n) => fixed(n, 0) },
    { name: 'generator µs CPU/call', a: a.cpu.generator.microsPerCall, b: b.cpu.generator.microsPerCall, format: (n) => fixed(n, 0) },
    { name: 'bytes received/call', a: a.result.bytes.receivedPerCall, b: b.result.bytes.receivedPerCall, format: formatBytes },
  ];
  const shown = rows.filter((row) => row.a !== undefined || row.b !== undefined);
  const table = [['', names[0], names[1], `${names[1]}/${names[0]}`], ...shown.map((row) => [row.name, cell(row.a, row.format), cell(row.b, row.format), ratio(row.a, row.b)])];
  const widths = table[0]!.map((_, col) => Math.max(...table.map((line) => line[col]!.length)));
  const render = (line: readonly string[]) => line.map((text, col) => (col === 0 ? text.padEnd(widths[col]!) : text.padStart(widths[col]!))).join('   ');
  return [
    `${names[0]}: ${describeRun(a)}`,
    `${names[1]}: ${describeRun(b)}`,
    '',
    ...table.map(render),
    '',
  ].join('\n');
}

function describeRun(r: BenchReport): string {
  return `${r.label ? `${r.label} — ` : ''}${describeTarget(r.target)} [${r.client}]; ${r.target.kind === 'get' ? 'GET' : describeCalls(r.calls)}; ${describeLoad(r)}`;
}

function cell(value: number | undefined, format: (n: number) => string): string {
  return value === undefined ? '—' : format(value);
}

export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined) return '—';
  if (a === 0) return b === 0 ? '1.00×' : '∞';
  return `${fixed(b / a, 2)}×`;
}

/** Accepts what `--json` wrote; rejects anything else with a reason. */
export function parseReport(text: string, source: string): BenchReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
  const report = value as Partial<BenchReport> | null;
  if (report?.schema !== REPORT_SCHEMA) throw new Error(`${source} is not a bench report (expected "schema": "${REPORT_SCHEMA}"; write one with mcp-gateway bench --json)`);
  return report as BenchReport;
}

// ---- numbers -------------------------------------------------------------------------

export function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

/** Milliseconds with 3 significant digits (0.0123, 1.23, 123). */
export function ms(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return '0';
  return n >= 100 ? n.toFixed(0) : n.toPrecision(3);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function seconds(msValue: number): string {
  return `${fixed(msValue / 1000, msValue % 1000 === 0 ? 0 : 1)} s`;
}
