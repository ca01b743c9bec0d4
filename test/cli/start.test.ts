/**
 * `mcp-gateway start` as users run it: the compiled CLI as a child process on
 * the embedded default config, answering over real HTTP, stopped by SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** PIDs of processes whose parent is `pid`. */
async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // Gone.
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startCli(args: string[], cwd: string) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MCP_GATEWAY_')));
  const child = spawn(process.execPath, [CLI, 'start', '--port', '0', ...args], { cwd, env: { ...env, MCP_GATEWAY_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  return { child, url, exited, output: () => ({ stdout, stderr }) };
}

test('start with no config runs the embedded demo server, serves REST, and stops cleanly on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-start-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const gateway = await startCli([], dir);
  const { stdout, stderr } = gateway.output();
  assert.match(stdout, /✓ demo — \d+ tools available \(MCP 2026-07-28\)/);
  assert.match(stderr, /using the built-in config/);
  const health = await (await fetch(`${gateway.url}/api/v1/health`)).json();
  assert.equal(health.status, 'ok');
  const call = await fetch(`${gateway.url}/api/v1/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tool: 'echo', arguments: { message: 'from the CLI' } }) });
  assert.equal(call.status, 200);
  assert.equal((await call.json()).content[0].text, 'from the CLI');
  const upstreams = await childrenOf(gateway.child.pid!);
  assert.ok(upstreams.length >= 1, 'the demo server runs as a child');
  gateway.child.kill('SIGTERM');
  assert.equal(await gateway.exited, 0);
  for (const pid of upstreams) assert.equal(alive(pid), false, `upstream ${pid} outlived the gateway`);
});

test('start -c FILE reports each server, failures included, with --workers and --http-engine', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-start-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const demo = fileURLToPath(new URL('../../src/demo/server.js', import.meta.url));
  await writeFile(
    join(dir, 'gw.yml'),
    [
      'servers:',
      '  - id: good',
      '    name: Good server',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(demo)}]`,
      '  - id: bad',
      '    command: /nonexistent/binary',
      '    restart: { maxRestarts: 0 }',
      '',
    ].join('\n'),
  );
  const gateway = await startCli(['-c', 'gw.yml', '--workers', '2', '--http-engine', 'node'], dir);
  const { stdout } = gateway.output();
  assert.match(stdout, /✓ Good server — \d+ tools available/);
  assert.match(stdout, /✗ bad — .*nonexistent/);
  assert.match(stdout, /\(node\)/);
  const server = await (await fetch(`${gateway.url}/api/v1/servers/good`)).json();
  assert.equal(server.replicas.length, 2);
  gateway.child.kill('SIGINT');
  assert.equal(await gateway.exited, 0);
});

test('start enforces api-key auth: health stays public, everything else needs the key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-start-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'mcp-gateway.yml'), 'auth:\n  strategy: api-key\n  apiKeys: [{ key: cli-secret, name: cli }]\nservers: []\n');
  const gateway = await startCli([], dir);
  assert.equal((await fetch(`${gateway.url}/api/v1/health`)).status, 200);
  const refused = await fetch(`${gateway.url}/api/v1/tools`);
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).error.code, 'MCPGW_ERR_UNAUTHORIZED');
  assert.equal((await fetch(`${gateway.url}/api/v1/tools`, { headers: { 'x-api-key': 'cli-secret' } })).status, 200);
  gateway.child.kill('SIGTERM');
  assert.equal(await gateway.exited, 0);
});

test('start warns when an open gateway listens beyond loopback', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-start-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'mcp-gateway.yml'), 'host: 0.0.0.0\nservers: []\n');
  const gateway = await startCli([], dir);
  assert.match(gateway.output().stderr, /auth\.strategy is "none" but host is 0\.0\.0\.0/);
  gateway.child.kill('SIGTERM');
  assert.equal(await gateway.exited, 0);
});

test('SIGHUP and --watch reload the config file: a server added to the file starts, one removed stops', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-start-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const demo = fileURLToPath(new URL('../../src/demo/server.js', import.meta.url));
  const file = join(dir, 'gw.yml');
  const config = (ids: string[]) =>
    ['servers:', ...ids.map((id) => `  - { id: ${id}, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(demo)}] }`), ''].join('\n');
  await writeFile(file, config(['one']));
  const gateway = await startCli(['-c', 'gw.yml', '--watch'], dir);
  const ids = async () => ((await (await fetch(`${gateway.url}/api/v1/servers`)).json()) as { servers: { id: string }[] }).servers.map((s) => s.id);
  const until = async (want: string[]) => {
    for (let i = 0; i < 200 && JSON.stringify(await ids()) !== JSON.stringify(want); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await ids(), want);
  };

  await writeFile(file, config(['one', 'two']));
  await until(['one', 'two']);
  assert.match(gateway.output().stderr, /gw\.yml changed: config reloaded: added two/);

  gateway.child.kill('SIGHUP');
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.match(gateway.output().stderr, /SIGHUP: config reloaded \(servers unchanged\)/);

  await writeFile(file, 'servers: [ { id: broken\n');
  for (let i = 0; i < 100 && !/✗ mcp-gateway: gw\.yml changed: reload refused/.test(gateway.output().stderr); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(gateway.output().stderr, /✗ mcp-gateway: gw\.yml changed: reload refused; the running config stays/);
  assert.deepEqual(await ids(), ['one', 'two']);

  await writeFile(file, config(['two']));
  await until(['two']);
  gateway.child.kill('SIGTERM');
  assert.equal(await gateway.exited, 0);
});
