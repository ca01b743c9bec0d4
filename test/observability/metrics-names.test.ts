/**
 * The README's metric list against what a running gateway exports: the
 * Prometheus text of a real gateway (a worker running, a call made, both
 * engines) is parsed back, and every `mcp_gateway_*` family it has must be in
 * the README's Metrics section, and every name listed there must be exported
 * (the node engine exports all; uWS all but the accepted-connections
 * counter, which the README says it lacks). Names follow Prometheus
 * conventions: counters end in `_total`, none but counters do, and units are
 * base units.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { availableEngines } from '../../src/front-door/engines.js';
import { fixtures } from '../fixtures/paths.js';
import { eventually, startGateway } from '../helpers/gateway.js';
import { familyOf, parsePrometheus } from '../helpers/prometheus.js';

const README = join(dirname(fileURLToPath(import.meta.url)), '../../../README.md');
const NODE_ONLY = new Set(['mcp_gateway_front_door_connections_accepted_total']);

async function documentedNames(): Promise<Set<string>> {
  const text = await readFile(README, 'utf8');
  const start = text.indexOf('\n### Metrics\n');
  assert.ok(start >= 0, 'README has a "### Metrics" section');
  const end = text.indexOf('\n#', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const names = new Set(section.match(/`mcp_gateway_[a-z0-9_]+`/g)?.map((name) => name.slice(1, -1)) ?? []);
  assert.ok(names.size > 20, `the Metrics section names the metrics (found ${names.size})`);
  return names;
}

for (const engine of await availableEngines()) {
  test(`every metric exported on the ${engine} engine is in the README, and every one there is exported`, async (t) => {
    const gw = await startGateway([{ id: 'up', command: process.execPath, args: [fixtures.modernStdio] }], { engine });
    t.after(() => gw.stop());
    assert.equal((await gw.call('echo', { message: 'x' }, 'up')).status, 200);
    // The worker's first report, so the scrape holds worker and thread series too.
    const reply = await eventually(() => gw.get('/metrics'), (r) => r.text.includes('mcp_gateway_worker_queue_depth{'), 10_000);
    const scrape = parsePrometheus(reply.text);

    const exported = new Set([...scrape.types.keys()].filter((name) => name.startsWith('mcp_gateway_')));
    for (const sample of scrape.samples) assert.ok(exported.has(familyOf(sample.name, scrape.types)), `sample ${sample.name} belongs to a family with a TYPE line`);
    for (const name of exported) assert.ok(scrape.help.get(name), `${name} has help text`);

    const documented = await documentedNames();
    const undocumented = [...exported].filter((name) => !documented.has(name));
    assert.deepEqual(undocumented, [], 'exported but not in the README');
    const missing = [...documented].filter((name) => !exported.has(name) && !(engine === 'uws' && NODE_ONLY.has(name)));
    assert.deepEqual(missing, [], 'in the README but not exported');
    if (engine === 'uws') for (const name of NODE_ONLY) assert.equal(exported.has(name), false, `${name} is not exported by uWS`);

    for (const [name, type] of scrape.types) {
      if (!name.startsWith('mcp_gateway_')) continue;
      // prom-client's nodejs_active_*_total are gauges (a count of live handles), a name it chose; ours follow the rule.
      if (name.startsWith('mcp_gateway_nodejs_active_')) continue;
      assert.equal(name.endsWith('_total'), type === 'counter', `${name} (${type}): _total is for counters, and counters end in _total`);
      assert.doesNotMatch(name, /_(ms|milliseconds|kb|mb|kib|mib)(_|$)/, `${name}: base units (seconds, bytes)`);
    }
  });
}
