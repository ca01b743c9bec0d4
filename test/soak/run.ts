/**
 * `npm run soak`: the soak from the command line.
 *
 *   node dist/test/soak/run.js [--minutes N | --seconds N] [--restart-every SECONDS] [--lanes N]
 *
 * Default: 10 minutes, a restart every 30 s, 4 lanes. Prints progress, then
 * the report; exits 1 if an unexpected error happened, the gateway was not
 * healthy at the end, or a process was left behind. Memory is reported, never
 * judged: read whether it came back flat.
 */
import { formatReport } from './report.js';
import { runSoak } from './soak.js';

function flag(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number, got ${process.argv[at + 1]}`);
  return value;
}

const seconds = flag('seconds') ?? (flag('minutes') ?? 10) * 60;
const restartEvery = flag('restart-every') ?? 30;
const lanes = flag('lanes') ?? 4;
process.stdout.write(`soak: ${seconds} s of mixed load, a restart every ${restartEvery} s, ${lanes} lanes\n`);
const report = await runSoak({ durationMs: seconds * 1000, restartEveryMs: restartEvery * 1000, lanes, log: (line) => process.stdout.write(`${line}\n`) });
process.stdout.write(`\n${formatReport(report)}\n`);
process.exitCode = report.unexpectedErrors === 0 && report.healthyAtEnd && report.leftovers.length === 0 ? 0 : 1;
