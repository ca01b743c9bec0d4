import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// This file runs as dist/test/cli/cli.test.js; the CLI is dist/src/cli/main.js.
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const PACKAGE_JSON = new URL('../../../package.json', import.meta.url);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the compiled CLI in `cwd` with no MCP_GATEWAY_* variables but those given. */
function cli(args: readonly string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MCP_GATEWAY_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...env, ...extraEnv }, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('--version prints the package version', async (t) => {
  const dir = await tempDir(t);
  const { version } = JSON.parse(await readFile(PACKAGE_JSON, 'utf8')) as { version: string };
  for (const flag of ['--version', '-v']) {
    const run = await cli([flag], dir);
    assert.equal(run.code, 0);
    assert.equal(run.stdout.trim(), version);
  }
});

test('--help lists the commands; each command has its own help with defaults', async (t) => {
  const dir = await tempDir(t);
  const global = await cli(['--help'], dir);
  assert.equal(global.code, 0);
  for (const command of ['init', 'validate', 'start', 'connect', 'bench', 'replay']) assert.match(global.stdout, new RegExp(`^  ${command} `, 'm'));

  const start = await cli(['start', '--help'], dir);
  assert.equal(start.code, 0);
  for (const option of ['--config FILE', '--port N', '--host H', '--workers N', '--log-level L', '--http-engine E', '--help']) assert.ok(start.stdout.includes(option), option);
  assert.match(start.stdout, /--port N .*\(default: .*4000\)/);
  assert.match(start.stdout, /--http-engine E .*auto\|uws\|node/);

  const init = await cli(['init', '-h'], dir);
  assert.equal(init.code, 0);
  assert.match(init.stdout, /--force .*\(default: off\)/);
  assert.match(init.stdout, /-c, --config FILE .*\(default: \.\/mcp-gateway\.yml\)/);
  assert.equal((await cli(['help', 'validate'], dir)).stdout, (await cli(['validate', '--help'], dir)).stdout);
});

test('every option of every command shows its default in --help', async (t) => {
  const dir = await tempDir(t);
  const global = await cli(['--help'], dir);
  const commandsSection = global.stdout.slice(global.stdout.indexOf('Commands:'), global.stdout.indexOf('Options:'));
  const commands = [...commandsSection.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((name) => name !== 'help');
  assert.deepEqual(commands, ['init', 'validate', 'start', 'connect', 'bench', 'replay']);
  for (const command of commands) {
    const help = await cli([command, '--help'], dir);
    assert.equal(help.code, 0, command);
    const options = help.stdout.slice(help.stdout.indexOf('\nOptions:\n')).split('\n').filter((line) => /^ {2}(-\w, )? *--/.test(line));
    assert.ok(options.length >= 2, `${command}: options listed`);
    for (const line of options) {
      if (/--help\b/.test(line)) continue; // an action, not a setting
      assert.match(line, /\(default: .+\)$/, `${command}: ${line.trim()}`);
    }
  }
});

test('unknown options and commands exit 2 with the usage', async (t) => {
  const dir = await tempDir(t);
  const option = await cli(['validate', '--bogus'], dir);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /--bogus/);
  assert.match(option.stderr, /Usage: mcp-gateway validate/);

  const startOption = await cli(['start', '--prot', '1'], dir);
  assert.equal(startOption.code, 2);
  assert.match(startOption.stderr, /Usage: mcp-gateway start/);

  const command = await cli(['launch'], dir);
  assert.equal(command.code, 2);
  assert.match(command.stderr, /unknown command "launch"/);
  assert.match(command.stderr, /Usage: mcp-gateway <command>/);

  assert.equal((await cli([], dir)).code, 2);
  assert.equal((await cli(['--bogus'], dir)).code, 2);
});

test('init writes the template, refuses to overwrite, and --force overwrites', async (t) => {
  const dir = await tempDir(t);
  const first = await cli(['init'], dir);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /wrote mcp-gateway\.yml/);
  const written = await readFile(join(dir, 'mcp-gateway.yml'), 'utf8');
  assert.match(written, /^# mcp-gateway configuration/);

  await writeFile(join(dir, 'mcp-gateway.yml'), '# mine\n');
  const again = await cli(['init'], dir);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /mcp-gateway\.yml already exists.*--force/);
  assert.equal(await readFile(join(dir, 'mcp-gateway.yml'), 'utf8'), '# mine\n');

  const forced = await cli(['init', '--force'], dir);
  assert.equal(forced.code, 0);
  assert.equal(await readFile(join(dir, 'mcp-gateway.yml'), 'utf8'), written);

  const other = await cli(['init', '-c', 'other.yaml'], dir);
  assert.equal(other.code, 0);
  assert.match(other.stdout, /mcp-gateway validate -c other\.yaml/);
  assert.equal(await readFile(join(dir, 'other.yaml'), 'utf8'), written);
});

test('validate accepts what init wrote', async (t) => {
  const dir = await tempDir(t);
  assert.equal((await cli(['init'], dir)).code, 0);
  const run = await cli(['validate'], dir);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, '✓ mcp-gateway.yml is valid: 1 server (demo)\n');
});

test('validate -c counts the servers and warns about an open gateway beyond loopback', async (t) => {
  const dir = await tempDir(t);
  const config = [
    'host: 0.0.0.0',
    'servers:',
    '  - { id: one, transport: stdio, command: node }',
    '  - { id: two, transport: http, url: "http://127.0.0.1:9/mcp" }',
  ].join('\n');
  await writeFile(join(dir, 'gw.yaml'), config);
  const run = await cli(['validate', '-c', 'gw.yaml'], dir);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, '✓ gw.yaml is valid: 2 servers (one, two)\n');
  assert.match(run.stderr, /⚠ auth\.strategy is "none" but host is 0\.0\.0\.0: anyone who can reach port 4000 can call every tool/);
});

test('validate finds the file through MCP_GATEWAY_CONFIG', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'env.json'), JSON.stringify({ servers: [] }));
  const run = await cli(['validate'], dir, { MCP_GATEWAY_CONFIG: 'env.json' });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, '✓ env.json is valid: 0 servers\n');
});

test('validate lists every error and exits 1', async (t) => {
  const dir = await tempDir(t);
  const config = [
    'port: abc',
    'servers:',
    '  - id: a',
    '    transport: grpc',
    '  - id: b',
    '    transport: stdio',
    '    comand: node',
    '    command: node',
    '    env:',
    '      API_TOKEN: "${GITHUB_TOKEN}"',
  ].join('\n');
  await writeFile(join(dir, 'bad.yml'), config);
  const run = await cli(['validate', '-c', 'bad.yml'], dir);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  assert.deepEqual(run.stderr.split('\n'), [
    '✗ bad.yml is invalid (4 errors):',
    '  port: must be an integer (got "abc")',
    '  servers[0].transport: must be one of stdio, streamable-http, sse, websocket (got "grpc")',
    '  servers[1].comand: unknown key (did you mean "command"?)',
    '  servers[1].env.API_TOKEN: environment variable GITHUB_TOKEN is not set',
    '',
  ]);
});

test('validate reports a missing file, a YAML error, and a bad override', async (t) => {
  const dir = await tempDir(t);
  const missing = await cli(['validate', '-c', 'nope.yml'], dir);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.yml does not exist/);

  const none = await cli(['validate'], dir);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no config file/);

  await writeFile(join(dir, 'syntax.yml'), 'servers:\n  - id: a\nservers: []\n');
  const syntax = await cli(['validate', '-c', 'syntax.yml'], dir);
  assert.equal(syntax.code, 1);
  assert.match(syntax.stderr, /syntax\.yml:3:1: YAML syntax error: Map keys must be unique/);

  await writeFile(join(dir, 'ok.yml'), 'servers: []\n');
  const override = await cli(['validate', '-c', 'ok.yml'], dir, { MCP_GATEWAY_PORT: 'eighty' });
  assert.equal(override.code, 1);
  assert.match(override.stderr, /^ {2}MCP_GATEWAY_PORT: must be an integer \(got "eighty"\)$/m);
});
