/**
 * Stdio upstreams see only what the config lets them: the environment is an
 * allowlist (base PATH, HOME, LANG, TMPDIR + envPassthrough + env), and
 * `sandbox: bubblewrap` runs the child with a read-only root, a private /tmp,
 * no network unless `network: true`, and only `writablePaths` writable. A
 * missing bwrap is a start-up error of that server; a stopped gateway leaves
 * no sandboxed process behind. Tests needing bwrap are skipped, with the
 * reason printed, where it cannot run (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fixtures } from '../fixtures/paths.js';
import { eventually, processesWithMark, startGateway, type RunningGateway } from '../helpers/gateway.js';

function bwrapProblem(): string | false {
  const probe = spawnSync('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--unshare-net', '--', 'true'], { encoding: 'utf8' });
  if (probe.error) return `bwrap is not installed (${probe.error.message}); apt-get install bubblewrap`;
  if (probe.status !== 0) return `bwrap cannot create namespaces here: ${probe.stderr.trim()}`;
  return false;
}
const noBwrap = bwrapProblem();
if (noBwrap) console.log(`# skipped sandbox tests: ${noBwrap}`);

const envServer = (id: string, extra: Record<string, unknown> = {}) => ({ id, command: process.execPath, args: [fixtures.envStdio], ...extra });
const structured = (answer: { body: any }) => answer.body.structuredContent;

describe('stdio environment allowlist', () => {
  let gw: RunningGateway;
  before(async () => {
    process.env.MCPGW_SECRET_FOR_TEST = 'must-not-leak';
    process.env.MCPGW_PASS_FOR_TEST = 'passed-on';
    gw = await startGateway([envServer('plain', { env: { OWN: 'set-by-config' } }), envServer('passing', { envPassthrough: ['MCPGW_PASS_FOR_TEST', 'MCPGW_UNSET_FOR_TEST'] })]);
  });
  after(async () => {
    await gw.stop();
    delete process.env.MCPGW_SECRET_FOR_TEST;
    delete process.env.MCPGW_PASS_FOR_TEST;
  });

  test("the child gets env, the base and nothing else of the gateway's environment", async () => {
    const env = structured(await gw.call('env', {}, 'plain')).env as Record<string, string>;
    assert.equal(env.OWN, 'set-by-config');
    assert.equal(env.PATH, process.env.PATH);
    assert.equal(env.MCPGW_SECRET_FOR_TEST, undefined, 'a gateway secret does not leak');
    assert.equal(env.MCPGW_PASS_FOR_TEST, undefined, 'not passed through unless named');
    const allowed = new Set(['PATH', 'HOME', 'LANG', 'TMPDIR', 'OWN', 'MCPGW_TEST_MARK']);
    const extra = Object.keys(env).filter((key) => !allowed.has(key));
    assert.deepEqual(extra, [], 'no other variable');
  });

  test('envPassthrough names what should pass; an unset name is simply absent', async () => {
    const env = structured(await gw.call('env', {}, 'passing')).env as Record<string, string>;
    assert.equal(env.MCPGW_PASS_FOR_TEST, 'passed-on');
    assert.ok(!('MCPGW_UNSET_FOR_TEST' in env));
    assert.equal(env.MCPGW_SECRET_FOR_TEST, undefined);
  });
});

describe('sandbox: bubblewrap', { skip: noBwrap }, () => {
  let gw: RunningGateway;
  let listener: Server;
  let port = 0;
  let writable: string;
  let outside: string;
  before(async () => {
    writable = await mkdtemp(join(tmpdir(), 'mcpgw-sandbox-rw-'));
    // Outside /tmp, so the write is refused by the read-only root itself, not hidden by the private /tmp.
    outside = await mkdtemp(join(dirname(fixtures.envStdio), 'sandbox-ro-'));
    listener = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
    gw = await startGateway([
      envServer('boxed', { sandbox: { type: 'bubblewrap', writablePaths: [writable] } }),
      envServer('networked', { sandbox: { type: 'bubblewrap', network: true } }),
      envServer('short', { sandbox: 'bubblewrap' }),
      envServer('nobwrap', { sandbox: { type: 'bubblewrap', bwrapPath: '/nonexistent/bwrap' }, restart: { maxRestarts: 0 } }),
    ]);
  });
  after(async () => {
    await gw.stop();
    listener.close();
    await rm(writable, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  test('writes only where writablePaths allow; /tmp is private', async () => {
    assert.deepEqual(structured(await gw.call('write', { path: join(writable, 'ok.txt') }, 'boxed')), { ok: true });
    assert.ok(existsSync(join(writable, 'ok.txt')), 'the write reached the real directory');
    const refused = structured(await gw.call('write', { path: join(outside, 'no.txt') }, 'boxed'));
    assert.equal(refused.ok, false);
    assert.match(refused.error, /EROFS|read-only/i);
    assert.ok(!existsSync(join(outside, 'no.txt')));
    const scratch = join(tmpdir(), `mcpgw-sandbox-scratch-${process.pid}.txt`);
    assert.deepEqual(structured(await gw.call('write', { path: scratch }, 'boxed')), { ok: true });
    assert.ok(!existsSync(scratch), "the child's /tmp is its own");
    assert.equal(structured(await gw.call('write', { path: join(writable, 'x') }, 'short')).ok, false, 'sandbox: bubblewrap alone makes nothing writable');
  });

  test('no network unless network: true', async () => {
    const boxed = structured(await gw.call('connect', { port }, 'boxed'));
    assert.equal(boxed.ok, false, 'the listener on the host loopback is unreachable');
    assert.deepEqual(structured(await gw.call('connect', { port }, 'networked')), { ok: true });
  });

  test('a missing bwrap is a clear start-up error of that server only', async () => {
    const entry = gw.report.servers.find((server) => server.id === 'nobwrap');
    assert.equal(entry?.ok, false);
    const detail = await gw.get('/api/v1/servers/nobwrap');
    assert.notEqual(detail.body.state, 'ready');
    assert.match(String(detail.body.lastError), /bwrap.*\/nonexistent\/bwrap|\/nonexistent\/bwrap.*bwrap/);
    assert.equal((await gw.call('env', {}, 'nobwrap')).status, 503);
    assert.equal((await gw.call('env', {}, 'boxed')).status, 200, 'the other servers run');
  });

  test('stopping leaves no sandboxed process (bwrap and its child) behind', async () => {
    const sandbox = await startGateway([envServer('boxed', { sandbox: 'bubblewrap' })]);
    assert.equal((await sandbox.call('env')).status, 200);
    assert.ok(processesWithMark(sandbox.mark).length >= 2, 'bwrap and the server inside it run');
    await sandbox.stop();
    const left = await eventually(() => processesWithMark(sandbox.mark), (pids) => pids.length === 0);
    assert.deepEqual(left, []);
  });
});
