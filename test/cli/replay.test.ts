/**
 * `mcp-gateway replay`, the compiled CLI as a child process, against real
 * gateways in this process: one request-log id, a diff when the answer
 * changed, dry runs and --confirm, redacted captures and --arguments, and an
 * NDJSON export replayed against another gateway (the bug-report round trip).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixtures } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ADMIN = 'cli-replay-admin';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function replay(args: readonly string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MCP_GATEWAY_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'replay', ...args], { cwd, env: { ...env, ...extraEnv }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

const fixture = (id: string, env: Record<string, string> = {}) => ({ id, command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: id, ...env } });

describe('mcp-gateway replay', () => {
  let source: RunningGateway;
  let elsewhere: RunningGateway;
  let dir: string;
  const asAdmin = { 'x-api-key': ADMIN };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpgw-replay-'));
    [source, elsewhere] = await Promise.all([
      startGateway([fixture('alpha', { FIXTURE_VALIDATION_TOOLS: '1' }), fixture('beta')], {
        config: { auth: { strategy: 'api-key', apiKeys: [{ key: ADMIN, name: 'ops', roles: ['admin'] }] }, monitor: { capture: { tools: ['alpha/*'] } } },
      }),
      // Another gateway, without authentication (a caller on this machine administers it), serving an alpha of its own.
      startGateway([fixture('alpha')]),
    ]);
  });
  after(async () => {
    await Promise.all([source.stop(), elsewhere.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  async function call(tool: string, args?: Record<string, unknown>): Promise<number> {
    const response = await source.post('/api/v1/tools/call', { tool, server: 'alpha', ...(args ? { arguments: args } : {}) }, asAdmin);
    assert.equal(response.status, 200, response.text);
    return (await source.get('/api/v1/requests?limit=1', asAdmin)).body.requests[0].id as number;
  }

  test('one id: identical exits 0; another server\'s answer is shown as a diff and exits 1', async () => {
    const echo = await call('echo', { message: 'from the cli' });
    const same = await replay([String(echo), '--url', source.url, '--key', ADMIN], dir);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, new RegExp(`^#${echo} alpha/echo: ok, identical$`, 'm'));
    assert.match(same.stdout, /^1 replayed: 1 identical, 0 changed, 0 not compared, 0 dry runs, 0 failed$/m);

    const shared = await call('shared');
    const changed = await replay([String(shared), '--url', source.url, '--server', 'beta'], dir, { MCP_GATEWAY_API_KEY: ADMIN });
    assert.equal(changed.code, 1);
    assert.match(changed.stdout, new RegExp(`^#${shared} beta/shared: ok, 1 change$`, 'm'));
    assert.match(changed.stdout, /^ {2}~ \/content\/0\/text: "alpha" → "beta"$/m);
    assert.match(changed.stdout, /1 changed/);
  });

  test('a tool not annotated read-only is a dry run without --confirm; --arguments supplies redacted fields', async () => {
    const broken = await call('broken', { a: 1 });
    const dry = await replay([String(broken), '--url', source.url, '--key', ADMIN], dir);
    assert.equal(dry.code, 1);
    assert.match(dry.stdout, /alpha\/broken: dry run, nothing sent — .*not annotated readOnlyHint.*\(--confirm to run it\)/);
    assert.match(dry.stdout, /^ {2}would send \{"a":1\}$/m);
    const run = await replay([String(broken), '--url', source.url, '--key', ADMIN, '--confirm'], dir);
    assert.equal(run.code, 1, 'the counter moved: a diff');
    assert.match(run.stdout, /^ {2}~ \/structuredContent\/calls: (\d+) → (\d+)$/m);

    const slow = await call('slow', { ms: 1, password: 'pw' });
    const refused = await replay([String(slow), '--url', source.url, '--key', ADMIN, '--confirm'], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^✗ #${slow}: MCPGW_ERR_CAPTURE_REDACTED: .*redacted at /password`, 'm'));
    assert.match(refused.stdout, /0 identical, 0 changed, 0 not compared, 0 dry runs, 1 failed/);
    const given = await replay([String(slow), '--url', source.url, '--key', ADMIN, '--confirm', '--arguments', '{"password":"pw"}'], dir);
    assert.equal(given.code, 0, given.stdout + given.stderr);
    assert.match(given.stdout, /alpha\/slow: ok, identical/);
  });

  test('an NDJSON export replays line by line against another gateway; --json prints the replies', async () => {
    await call('echo', { message: 'bug report one' });
    await call('whoami');
    const exported = await source.get('/api/v1/requests/export?tool=echo&limit=1', asAdmin);
    const whoami = await source.get('/api/v1/requests/export?tool=whoami&limit=1', asAdmin);
    const file = join(dir, 'bug.ndjson');
    await writeFile(file, exported.text + '\n' + whoami.text);
    const run = await replay(['bug.ndjson', '--url', elsewhere.url], dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^line 1 \(#\d+\) alpha\/echo: ok, identical$/m);
    assert.match(run.stdout, /^line 3 \(#\d+\) alpha\/whoami: ok, identical$/m);
    assert.match(run.stdout, /^2 replayed: 2 identical/m);
    // The other gateway logged them as imports.
    const logged = (await elsewhere.get('/api/v1/requests?limit=2')).body.requests;
    assert.deepEqual(logged.map((entry: any) => entry.tool).sort(), ['echo', 'whoami']);
    const entry = (await elsewhere.get(`/api/v1/requests/${logged[0].id}`)).body;
    assert.equal(entry.replayOf.source, 'import');

    const json = await replay(['bug.ndjson', '--url', elsewhere.url, '--json'], dir);
    assert.equal(json.code, 0);
    const replies = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(replies.map((reply) => reply.diff.identical), [true, true]);
    assert.match(json.stderr, /2 replayed: 2 identical/);

    await writeFile(join(dir, 'bad.ndjson'), `${exported.text}{not json\n`);
    const bad = await replay(['bad.ndjson', '--url', elsewhere.url], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^✗ bad\.ndjson line 2: not JSON/m);
    assert.match(bad.stdout, /2 replayed: 1 identical, 0 changed, 0 not compared, 0 dry runs, 1 failed/);
  });

  test('usage errors exit 2; no gateway or a missing file exits 1 with the reason', async () => {
    for (const args of [[], ['1', '2'], ['1', '--arguments', '[1]'], ['1', '--arguments', '{'], ['1', '--url', 'ftp://x'], ['1', '--bogus']]) {
      const run = await replay(args, dir);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /^mcp-gateway replay: /);
      assert.match(run.stderr, /Usage: mcp-gateway replay/);
    }
    const nobody = await replay(['1', '--url', 'http://127.0.0.1:1'], dir);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /the gateway at http:\/\/127\.0\.0\.1:1 did not answer/);
    const missing = await replay(['missing.ndjson'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read missing\.ndjson/);
    const help = await replay(['--help'], dir);
    assert.equal(help.code, 0);
    for (const option of ['--url URL', '--server ID', '--confirm', '--arguments JSON', '--key KEY', '--json']) assert.ok(help.stdout.includes(option), option);
  });
});
