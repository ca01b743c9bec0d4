/** The soak's report as text: what was done, what failed and why, and the gateway's memory. */
import type { SoakReport } from './soak.js';

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const signed = (bytes: number) => `${bytes >= 0 ? '+' : '−'}${mib(Math.abs(bytes))}`;

export function formatReport(report: SoakReport): string {
  const lines: string[] = [];
  lines.push(`soak: ${Math.round(report.durationMs / 1000)} s, ${report.lanes} lanes, upstreams ${report.servers.join(', ')}`);
  const ops = Object.entries(report.calls)
    .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
    .map(([op, count]) => `${op} ${count}`);
  lines.push(`calls: ${report.totalCalls} (${ops.join(', ')})`);
  lines.push(`restarts injected: ${report.injections.length}`);
  for (const injection of report.injections) {
    const back = injection.to === undefined ? 'never ready again' : `ready again after ${((injection.to - injection.from) / 1000).toFixed(1)} s`;
    lines.push(`  ${injection.kind} ${injection.server}${injection.replica === undefined ? '' : `#${injection.replica}`}: ${back}`);
  }
  lines.push(`errors: ${report.expectedErrors} expected (calls to a server while an injected restart was under way), ${report.unexpectedErrors} unexpected`);
  for (const error of [...report.errors].sort((a, b) => Number(a.expected) - Number(b.expected) || b.count - a.count)) {
    lines.push(`  ${error.expected ? 'expected  ' : 'UNEXPECTED'} ${error.kind} ×${error.count} (${error.ops.join(', ')})${error.expected ? '' : ` e.g. ${error.example}`}`);
  }
  lines.push("gateway memory (its own process; heap is the main thread's after a full GC, the worker threads' isolates count in rss):");
  lines.push(`  ${'when'.padEnd(16)}${'rss'.padStart(12)}${'heapUsed'.padStart(12)}${'heapTotal'.padStart(12)}${'external'.padStart(12)}`);
  for (const sample of report.memory) {
    lines.push(`  ${`${sample.label} (t=${sample.atSeconds} s)`.padEnd(16)}${mib(sample.rss).padStart(12)}${mib(sample.heapUsed).padStart(12)}${mib(sample.heapTotal).padStart(12)}${mib(sample.external).padStart(12)}`);
  }
  const start = report.memory.find((m) => m.label === 'start');
  const end = report.memory.find((m) => m.label === 'end');
  const middle = report.memory.find((m) => m.label === 'middle');
  if (start && end) lines.push(`  end − start: rss ${signed(end.rss - start.rss)}, heapUsed ${signed(end.heapUsed - start.heapUsed)} (start is before any load: the worker threads' heaps grow to their working size first)`);
  if (middle && end) lines.push(`  end − middle: rss ${signed(end.rss - middle.rss)}, heapUsed ${signed(end.heapUsed - middle.heapUsed)} (flat here means no leak under load)`);
  lines.push(`health at the end: ${report.healthyAtEnd ? 'ok, every server ready' : `NOT healthy: ${JSON.stringify(report.healthAtEnd)}`}`);
  lines.push(`processes left after stop: ${report.leftovers.length === 0 ? 'none' : report.leftovers.join(', ')}`);
  return lines.join('\n');
}
