#!/usr/bin/env node
/**
 * Why calls in flight are kept in an IdTable (src/id-table.ts), not a Map: 64
 * entries live at a time, one set and one delete per "call", each value a small
 * graph of objects, the table made old first (as a long-running gateway's is).
 * Each variant runs in a child process under --trace-gc-nvp; the report is the
 * share of what was allocated that young-generation GCs promoted, their pause
 * time, the full GCs and theirs, and the run's wall time and CPU time (all
 * threads: V8's GC helpers too).
 *
 *   npm run build && node bench/micro/keyed-churn.mjs [--calls 3000000]
 *
 * A figure for comparing on one machine, never an assertion anywhere.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LIVE = 64;
const at = process.argv.indexOf('--calls');
const CALLS = at < 0 ? 3_000_000 : Number(process.argv[at + 1]);
const variant = process.argv[2];

if (variant === 'map' || variant === 'id-table') {
  const { IdTable } = await import(new URL('../../dist/src/id-table.js', import.meta.url));
  const table = variant === 'map' ? new Map() : new IdTable();
  let id = 0;
  const payload = () => ({ id, name: `call-${id}`, args: [id, { nested: id }], done: () => id });
  for (; id < LIVE; id++) table.set(id, payload());
  // Old before the churn starts, as a table is once the gateway has been up a while.
  globalThis.gc();
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  while (id < CALLS) {
    // Turns of the event loop, as calls arrive in batches.
    for (let i = 0; i < 10_000; i++, id++) {
      table.set(id, payload());
      table.delete(id - LIVE);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const used = process.cpuUsage(cpu);
  process.stdout.write(`WALL ${Number(process.hrtime.bigint() - started) / 1e6} CPU ${(used.user + used.system) / 1000}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  console.log(`${CALLS} calls, ${LIVE} live at a time`);
  console.log('| table | promoted / allocated (young GCs) | young GC pause ms | full GCs (pause ms) | wall ms | CPU ms |');
  console.log('|---|---|---|---|---|---|');
  for (const name of ['map', 'id-table']) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--trace-gc-nvp', self, name, '--calls', String(CALLS)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    let allocated = 0;
    let promoted = 0;
    let pause = 0;
    let full = 0;
    let fullPause = 0;
    for (const line of out.split('\n')) {
      const field = (key) => Number(new RegExp(`[ =]${key}=([\\d.]+)`).exec(line)?.[1] ?? 0);
      if (line.includes(' gc=s ')) {
        allocated += field('allocated');
        promoted += field('promoted');
        pause += field('pause');
      } else if (line.includes(' gc=mc ')) {
        full++;
        fullPause += field('pause');
      }
    }
    const [, wall, cpu] = /WALL ([\d.]+) CPU ([\d.]+)/.exec(out) ?? [];
    console.log(`| ${name} | ${((100 * promoted) / allocated).toFixed(1)} % of ${(allocated / 2 ** 20).toFixed(0)} MiB | ${pause.toFixed(0)} | ${full} (${fullPause.toFixed(0)}) | ${Number(wall).toFixed(0)} | ${Number(cpu).toFixed(0)} |`);
  }
}
