/**
 * The fuzz test of the policy work: at least 10,000 generated malformed or
 * hostile requests against a real gateway (auth on, access rules on) in front
 * of a real stdio upstream, on the REST API and on /mcp in both eras, on both
 * HTTP engines. Every request must get the answer its case predicts (a 4xx
 * with a JSON or JSON-RPC error, a JSON-RPC error on 200 where the protocol
 * puts it, an explicitly classified engine refusal for bytes that are not
 * HTTP, or success where the request was in fact valid), and afterwards the
 * gateway must be healthy, serve SDK clients of both eras, have restarted
 * nothing, and the upstream's own call counter must equal the number of valid
 * calls made: no refused call reached it.
 *
 *   FUZZ_SEED=<n>|random   the run's seed (default fixed, printed on failure)
 *   FUZZ_REQUESTS=<n>      total requests, split across engines (default 12,000)
 *   FUZZ_ONLY=<index>      run one case of the seed, printing it (to reproduce a failure)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { availableEngines } from '../../src/front-door/engines.js';
import { fixtures } from '../fixtures/paths.js';
import { eventually, processesWithMark, startGateway, type EngineName, type RunningGateway } from '../helpers/gateway.js';
import { legacyClient, modernClient, MODERN } from '../policy/helpers.js';
import { CATEGORIES, DENIED_TOOLS, generateCase, type Case, type Category, type FuzzContext } from './generator.js';
import { describeCase, judge } from './oracle.js';
import { HttpClient, rawExchange, type Outcome } from './wire.js';

const SEED = parseSeed(process.env.FUZZ_SEED);
const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 12_000);
const ONLY = process.env.FUZZ_ONLY === undefined ? undefined : Number(process.env.FUZZ_ONLY);
const engines = await availableEngines();
const PER_ENGINE = Math.ceil(TOTAL / engines.length);

/** Requests in flight at once: enough to load both cores, few enough that nothing queues for long. */
const CONCURRENCY = 32;
const HTTP_CONNECTIONS = 16;

const KEY = 'fuzz-key-5d41402abc4b2a76';
const BYSTANDER_KEY = 'bystander-key-7e8f9a0b1c2d';
const LIMITS = { maxBodyBytes: 256 * 1024, maxJsonDepth: 32, maxHeaderBytes: 8192 };
const SERVER = 'fz';

function parseSeed(value: string | undefined): number {
  if (value === undefined) return 0x5eed2026;
  if (value === 'random') return (Math.random() * 2 ** 32) >>> 0;
  const seed = Number(value);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or "random", not "${value}"`);
  return seed >>> 0;
}

interface Report {
  requests: number;
  readonly cases: Map<Category, number>;
  /** Per category, how its answers were classified (a pipelined case has several). */
  readonly byCategory: Map<Category, Map<string, number>>;
  readonly failures: string[];
  failureCount: number;
  upstreamCalls: number;
  readonly warnings: string[];
  durationMs: number;
}

for (const engine of ['uws', 'node'] as EngineName[]) {
  describe(`hostile requests on the ${engine} engine`, { skip: engines.includes(engine) ? false : `${engine} does not load on this machine` }, () => {
    let gw: RunningGateway;
    let http: HttpClient;
    let ctx: FuzzContext;
    let port: number;
    let upstreamPids: number[];
    let callsBefore: number;
    let report: Report | undefined;
    let rssBefore: number;

    const credential = { 'x-api-key': KEY };

    before(async () => {
      gw = await startGateway([{ id: SERVER, command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: SERVER, FIXTURE_VALIDATION_TOOLS: '1' } }], {
        engine,
        config: {
          ...LIMITS,
          requestTimeoutMs: 1500,
          auth: {
            strategy: 'api-key',
            apiKeys: [
              { key: KEY, name: 'fuzzer', roles: ['fuzzer'] },
              { key: BYSTANDER_KEY, name: 'bystander', roles: ['bystander'] },
            ],
          },
          access: [
            // The fuzzer may call the counting tools and deploy; the rest (crash, hang, the unchecked broken, …) are a 403 for it.
            { role: 'fuzzer', allow: [`${SERVER}/*`], deny: DENIED_TOOLS.map((tool) => `${SERVER}/${tool}`) },
            { role: 'bystander', allow: [`${SERVER}/*`] },
          ],
        },
      });
      port = Number(new URL(gw.url).port);
      http = new HttpClient(gw.url, HTTP_CONNECTIONS);
      upstreamPids = processesWithMark(gw.mark).sort();
      assert.equal(upstreamPids.length, 1, 'one upstream process');
      callsBefore = await tallyCalls(gw, 'baseline');
      ctx = {
        engine,
        key: KEY,
        session: await openSession(gw, KEY),
        foreignSession: await openSession(gw, BYSTANDER_KEY),
        deployState: await deployState(gw, KEY),
        foreignState: await deployState(gw, BYSTANDER_KEY),
        ...LIMITS,
      };
      rssBefore = process.memoryUsage().rss;
    });
    after(async () => {
      await http?.close();
      await gw?.stop();
    });

    test(`${ONLY === undefined ? PER_ENGINE.toLocaleString('en') : 'one'} generated hostile requests each get the answer their case predicts`, async (t) => {
      report = await fuzz(ctx, port, http, ONLY === undefined ? { from: 0, count: PER_ENGINE } : { from: ONLY, count: 1 }, ONLY !== undefined);
      t.diagnostic(`seed ${SEED} (FUZZ_SEED=${SEED} reproduces; FUZZ_ONLY=<index> runs one case), ${report.requests} requests in ${(report.durationMs / 1000).toFixed(1)} s on ${engine}`);
      for (const category of CATEGORIES) {
        const classes = report.byCategory.get(category);
        if (classes === undefined) continue;
        t.diagnostic(`  ${category.padEnd(14)} ${String(report.cases.get(category) ?? 0).padStart(5)}  ${[...classes].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name}: ${n}`).join(', ')}`);
      }
      t.diagnostic(`  valid calls that reached the upstream: ${report.upstreamCalls}`);
      assert.deepEqual(report.warnings, [], 'the gateway emitted process warnings (a handler failed) during the run');
      assert.equal(
        report.failureCount,
        0,
        `${report.failureCount} of ${report.requests} requests got an answer their case did not predict (seed ${SEED}, engine ${engine}):\n${report.failures.join('\n')}${report.failureCount > report.failures.length ? `\n… and ${report.failureCount - report.failures.length} more` : ''}`,
      );
    });

    test('afterwards: healthy, nothing restarted, SDK clients of both eras served, and the upstream saw exactly the valid calls', async (t) => {
      assert.ok(report, 'the fuzz run ran');
      const health = await gw.get('/api/v1/health');
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'ok');
      const servers = await eventually(
        () => gw.get('/api/v1/servers', credential),
        (answer) => answer.body.servers?.[0]?.inFlight === 0,
      );
      assert.equal(servers.status, 200);
      assert.deepEqual(
        servers.body.servers.map((s: { id: string; state: string; restarts: number; inFlight: number }) => [s.id, s.state, s.restarts, s.inFlight]),
        [[SERVER, 'ready', 0, 0]],
        'no worker restarted and no call is left in flight',
      );
      assert.deepEqual(processesWithMark(gw.mark).sort(), upstreamPids, 'the same upstream process, never respawned');

      // One call on each front: REST, a 2026-07-28 SDK client, a 2025 SDK client.
      const rest = await gw.post('/api/v1/tools/call', { tool: 'tally', arguments: { n: 1 } }, credential);
      assert.equal(rest.status, 200, rest.text);
      const modern = await modernClient(gw.url, credential);
      try {
        const names = (await modern.listTools()).tools.map((tool) => tool.name);
        assert.ok(names.includes('tally') && !names.includes('echo'), 'the caller sees its tools, and not the denied ones');
        const result = await modern.callTool({ name: 'tally', arguments: { n: 2 } });
        assert.deepEqual((result.structuredContent as { arguments: unknown }).arguments, { n: 2 });
      } finally {
        await modern.close();
      }
      const { client: legacy } = await legacyClient(gw.url, credential);
      try {
        const result = await legacy.callTool({ name: 'tally', arguments: { n: 3 } });
        assert.deepEqual((result.structuredContent as { arguments: unknown }).arguments, { n: 3 });
      } finally {
        await legacy.close();
      }
      // The sessions every case shared are still there: no hostile DELETE or forged session id ended them.
      for (const [key, session] of [[KEY, ctx.session], [BYSTANDER_KEY, ctx.foreignSession]] as const) {
        const listed = await gw.post('/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }, { 'x-api-key': key, 'mcp-session-id': session });
        assert.equal(listed.status, 200, listed.text);
      }

      // The upstream's own count: the baseline, every valid fuzz call, the three calls above, and this one.
      const expected = callsBefore + report.upstreamCalls + 3 + 1;
      assert.equal(await tallyCalls(gw, 'final'), expected, 'the upstream received exactly the valid calls: none of the refused ones');

      const rssAfter = process.memoryUsage().rss;
      t.diagnostic(`RSS (test process, gateway in-process): ${mib(rssBefore)} before the run, ${mib(rssAfter)} after`);
    });
  });
}

/** Runs cases `from … from+count-1` with bounded concurrency, judging each as it comes back. */
async function fuzz(ctx: FuzzContext, port: number, http: HttpClient, range: { from: number; count: number }, verbose: boolean): Promise<Report> {
  const report: Report = { requests: 0, cases: new Map(), byCategory: new Map(), failures: [], failureCount: 0, upstreamCalls: 0, warnings: [], durationMs: 0 };
  // A handler that throws surfaces as a process warning (engine-support.ts): any warning is a gateway bug.
  const onWarning = (warning: Error) => report.warnings.push(`${warning.name}: ${warning.message}`);
  process.on('warning', onWarning);
  const started = Date.now();
  let next = range.from;
  const end = range.from + range.count;
  const worker = async (): Promise<void> => {
    while (next < end) {
      const c = generateCase(SEED, next++, ctx);
      const outcome = await send(c, port, http);
      const verdict = judge(c, outcome);
      report.requests++;
      report.upstreamCalls += verdict.upstreamCalls;
      report.cases.set(c.category, (report.cases.get(c.category) ?? 0) + 1);
      const classes = report.byCategory.get(c.category) ?? new Map<string, number>();
      report.byCategory.set(c.category, classes);
      for (const name of verdict.classes) classes.set(name, (classes.get(name) ?? 0) + 1);
      if (verbose) console.log(`${describeCase(c)}\n  -> ${JSON.stringify(outcome, (_k, v: unknown) => (typeof v === 'object' && v !== null && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('utf8').slice(0, 2000) : v))}`);
      if (verdict.problems.length > 0) {
        report.failureCount++;
        if (report.failures.length < 25) report.failures.push(`- ${describeCase(c)}\n    ${verdict.problems.join('\n    ')}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    process.off('warning', onWarning);
    report.durationMs = Date.now() - started;
  }
  return report;
}

function send(c: Case, port: number, http: HttpClient): Promise<Outcome> {
  if (c.transport === 'http') return http.send(c);
  return rawExchange(port, {
    chunks: c.chunks,
    ...(c.gapMs ? { gapMs: c.gapMs } : {}),
    ...(c.stopOnAnswer ? { stopOnAnswer: true } : {}),
    ...(c.headAt ? { headAt: c.headAt } : {}),
    expectedAnswers: c.expect.length + (c.smuggle ? 1 : 0),
    // Bytes an engine may hold get a short wait; everything else must be answered, however loaded the machine is.
    quietMs: c.silence.includes('held') ? 1_000 : 8_000,
  });
}

/** A valid call to the counting tool `tally`: the answer says how many calls that upstream process has received so far. */
async function tallyCalls(gw: RunningGateway, why: string): Promise<number> {
  const answer = await gw.post('/api/v1/tools/call', { tool: 'tally', arguments: { n: 0, tag: 'a' } }, { 'x-api-key': KEY });
  assert.equal(answer.status, 200, `${why} tally: ${answer.text}`);
  return (answer.body.structuredContent as { calls: number }).calls;
}

async function openSession(gw: RunningGateway, key: string): Promise<string> {
  const headers = { 'x-api-key': key, accept: 'application/json, text/event-stream' };
  const answer = await gw.post('/mcp', { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzzer', version: '1.0.0' } } }, headers);
  const session = answer.headers.get('mcp-session-id');
  assert.ok(session, `initialize: ${answer.text}`);
  const initialized = await gw.post('/mcp', { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...headers, 'mcp-session-id': session });
  assert.equal(initialized.status, 202);
  return session;
}

/** A genuine requestState: what `deploy`'s input_required result carries for this caller. */
async function deployState(gw: RunningGateway, key: string): Promise<string> {
  const answer = await gw.post(
    '/mcp',
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'deploy', arguments: { env: 'prod' }, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } } } },
    { 'x-api-key': key, accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'deploy' },
  );
  const state = answer.body?.result?.requestState;
  assert.equal(typeof state, 'string', `deploy: ${answer.text}`);
  return state as string;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
