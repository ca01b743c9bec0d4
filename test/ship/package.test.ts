/**
 * The artifact users get, not the source tree: `npm pack` of the built
 * project, installed into scratch folders offline from the local npm cache,
 * and run from there — `npx mcp-gateway --version / init / validate / start`,
 * a REST and an MCP call, SIGTERM; the typed ESM API compiled and embedded by
 * a strict TypeScript consumer; an install without optional dependencies
 * (node:http); and the Docker image's build steps, WORKDIR, ENV, CMD and
 * HEALTHCHECK (read from the Dockerfile) on the same tarball.
 *
 * Offline, and why a scratch lockfile: npm 11 resolves a dependency range
 * from the package's full registry document (packument), and `npm ci` leaves
 * only tarballs (by integrity) in the cache, so `npm install --offline
 * <tarball>` in an empty folder fails with ENOTCACHED. The scratch folder
 * therefore gets a package-lock.json pinning the production part of the
 * project's own lockfile — the versions the project is tested with — and npm
 * then needs only the cached tarballs. A dependency the tarball declares but
 * the lockfile lacks still makes the offline install fail.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { availableEngines } from '../../src/front-door/engines.js';
import { envPairs, execForm, healthcheck, parseDockerfile } from './dockerfile.js';
import { CLI, ROOT, cleanEnv, describeRun, descendantsOf, isAlive, processesUsing, run, satisfies, type ProcessInfo } from './helpers.js';
import { IMAGE_STEPS, words } from './image-steps.js';

interface PackResult {
  readonly filename: string;
  readonly size: number;
  readonly entryCount: number;
  readonly files: readonly { readonly path: string }[];
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  readonly bin: Record<string, string>;
  readonly engines: { readonly node: string };
  readonly dependencies: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly exports: Record<string, unknown>;
}

interface LockEntry {
  readonly dev?: boolean;
  readonly devOptional?: boolean;
  readonly [key: string]: unknown;
}

const NPM_TIMEOUT_MS = 60_000;

/** npx neither downloads nor asks to: it runs the installed bin or fails. */
const NPX_OFFLINE = { npm_config_offline: 'true', npm_config_yes: 'false' };

describe('the npm package', () => {
  let work = '';
  let tarball = '';
  let pack: PackResult;
  /** package.json as packed (read back out of the tarball). */
  let manifest: Manifest;
  /** The tarball installed the way a user installs it (with optional dependencies). */
  let app = '';

  before(async () => {
    await access(CLI).catch(() => assert.fail(`${relative(ROOT, CLI)} is missing: run npm run build (npm test does) before this test`));
    work = await mkdtemp(join(tmpdir(), 'mcpgw-ship-'));
    const destination = join(work, 'pack');
    await mkdir(destination);
    // npm test built dist already; --ignore-scripts skips the prepack build a plain npm pack would run again.
    const [npm, ...packArgs] = words(IMAGE_STEPS.pack);
    const packed = await run(npm!, [...packArgs, '--pack-destination', destination, '--json'], { cwd: ROOT, env: cleanEnv(), timeoutMs: NPM_TIMEOUT_MS });
    assert.equal(packed.code, 0, describeRun('npm pack', packed));
    [pack] = JSON.parse(packed.stdout) as [PackResult];
    tarball = join(destination, pack.filename);
    const unpacked = await run('tar', ['-xzOf', tarball, 'package/package.json'], {});
    assert.equal(unpacked.code, 0, describeRun('tar', unpacked));
    manifest = JSON.parse(unpacked.stdout) as Manifest;
    app = await scratchInstall('app');
  });

  after(async () => {
    if (work === '') return;
    // Anything still running from the scratch folders (a failed test's gateway) is ended by its pid.
    for (const leftover of await processesUsing(work)) {
      try {
        process.kill(leftover.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await rm(work, { recursive: true, force: true });
  });

  /** A scratch project depending on the tarball, pinned by the project's lockfile, installed offline. */
  async function scratchInstall(name: string, extraFlags: readonly string[] = []): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir);
    const spec = `file:${relative(dir, tarball)}`;
    const projectLock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const packages: Record<string, unknown> = {
      '': { name: `scratch-${name}`, dependencies: { [manifest.name]: spec } },
      [`node_modules/${manifest.name}`]: {
        version: manifest.version,
        resolved: spec,
        integrity: `sha512-${createHash('sha512').update(await readFile(tarball)).digest('base64')}`,
        license: manifest.license,
        dependencies: manifest.dependencies,
        ...(manifest.optionalDependencies ? { optionalDependencies: manifest.optionalDependencies } : {}),
        bin: manifest.bin,
        engines: manifest.engines,
      },
    };
    for (const [path, entry] of Object.entries(projectLock.packages)) {
      if (path.startsWith('node_modules/') && entry.dev !== true && entry.devOptional !== true) packages[path] = entry;
    }
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: `scratch-${name}`, private: true, type: 'module', dependencies: { [manifest.name]: spec } }, null, 2)}\n`);
    await writeFile(join(dir, 'package-lock.json'), `${JSON.stringify({ name: `scratch-${name}`, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
    const installed = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', ...extraFlags, tarball], { cwd: dir, env: cleanEnv(), timeoutMs: NPM_TIMEOUT_MS });
    assert.equal(installed.code, 0, describeRun(`npm install --offline ${extraFlags.join(' ')} (in ${name})`, installed));
    return dir;
  }

  test('the tarball holds only what runs: the built CLI, workers, demo server, dashboard, typings, docs, README, LICENSE', () => {
    const paths = pack.files.map((f) => f.path);
    for (const required of ['package.json', 'README.md', 'LICENSE', 'docs/errors.md', 'dist/src/cli/main.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/demo/server.js', 'dist/workers/upstream-worker.js']) {
      assert.ok(paths.includes(required), `${required} is packed`);
    }
    const unwanted = paths.filter(
      (path) =>
        /(^|\/)test(s)?\//.test(path) ||
        /\.test\.(js|ts)$/.test(path) ||
        (/\.(ts|mts|cts)$/.test(path) && !/\.d\.ts$/.test(path)) ||
        path.startsWith('src/') ||
        path.startsWith('workers/') ||
        path.startsWith('bench/') ||
        path.includes('/bench/fixtures/') ||
        path.endsWith('.map') ||
        /^(tsconfig|package-lock)\.json$/.test(path) ||
        path.startsWith('.'),
    );
    assert.deepEqual(unwanted, [], 'no tests, sources, bench fixtures, source maps or dotfiles');
    assert.ok(paths.every((path) => /^(dist\/(src|workers|dashboard)\/|docs\/|README\.md$|LICENSE$|package\.json$)/.test(path)), 'only the "files" of package.json');
    assert.equal(manifest.bin['mcp-gateway'], 'dist/src/cli/main.js');
    assert.ok(paths.includes(manifest.bin['mcp-gateway']!));
    assert.deepEqual(manifest.exports['.'], { types: './dist/src/index.d.ts', import: './dist/src/index.js' });
    assert.ok(Object.keys(manifest.optionalDependencies ?? {}).includes('@trufflesuite/uws-js-unofficial'), 'uWebSockets.js is optional');
    assert.ok(!Object.keys(manifest.dependencies).includes('@trufflesuite/uws-js-unofficial'));
  });

  test('installed offline from the cache, npx mcp-gateway runs --version, init, validate and start; a REST and an MCP call; SIGTERM exits 0 and leaves no process', async () => {
    const env = cleanEnv(NPX_OFFLINE);
    // As users type it: npx's own flags before the name would make npx read --version (and -c) itself.
    const npx = (args: string[]) => run('npx', ['mcp-gateway', ...args], { cwd: app, env, timeoutMs: 30_000 });
    const version = await npx(['--version']);
    assert.equal(version.code, 0, describeRun('--version', version));
    assert.equal(version.stdout.trim(), manifest.version);

    const init = await npx(['init']);
    assert.equal(init.code, 0, describeRun('init', init));
    assert.match(init.stdout, /wrote mcp-gateway\.yml/);
    const validate = await npx(['validate']);
    assert.equal(validate.code, 0, describeRun('validate', validate));
    assert.equal(validate.stdout, '✓ mcp-gateway.yml is valid: 1 server (demo)\n');

    const gateway = await startGateway(spawn('npx', ['mcp-gateway', 'start', '--port', '0'], { cwd: app, env: { ...env, MCP_GATEWAY_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] }));
    const expectedEngine = (await availableEngines())[0];
    assert.equal(gateway.engine, expectedEngine, 'the installed optional uWebSockets.js build is used where it loads');

    const tree = await descendantsOf(gateway.child.pid!);
    const cli = tree.find((p) => p.argv[1]?.endsWith('/node_modules/.bin/mcp-gateway'));
    assert.ok(cli, `the gateway runs from the installed bin: ${tree.map((p) => p.cmdline).join(' | ')}`);
    const demo = tree.find((p) => p.argv[1] === join(app, 'node_modules/mcp-gateway/dist/src/demo/server.js'));
    assert.ok(demo, 'the demo server from the installed package runs as an upstream');

    assert.equal(await restAdd(gateway.url), '42');
    const client = new Client({ name: 'ship-test', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`)));
    const echoed = await client.callTool({ name: 'echo', arguments: { message: 'from the tarball' } });
    assert.deepEqual(echoed.content, [{ type: 'text', text: 'from the tarball' }]);
    await client.close();

    // SIGTERM to the gateway, as a supervisor sends it (npx puts `sh -c` in between, which does not pass a signal on).
    process.kill(cli.pid, 'SIGTERM');
    const exit = await gateway.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, gateway.output());
    await assertAllGone(tree);
  });

  test('a strict TypeScript ESM consumer compiles against the installed typings and embeds the gateway', async () => {
    const source = `import { Gateway, loadConfig, MemoryRateLimitStore, GatewayError, VERSION, embeddedDefaultConfig } from 'mcp-gateway';
import type { GatewayConfig, GatewayOptions, StartReport, Caller, RateLimitStore, ServerState, ErrorCode, ServerConfig } from 'mcp-gateway';

const store: RateLimitStore = new MemoryRateLimitStore();
const options: GatewayOptions = { workers: 1, logLevel: 'silent', rateLimitStore: store };
const config: GatewayConfig = await loadConfig('consumer.yml', { env: { ...process.env, MCP_GATEWAY_PORT: '0' } });
const servers: readonly ServerConfig[] = config.servers;
const fallback: GatewayConfig = embeddedDefaultConfig();
// @ts-expect-error: options are typed (a string is no replica count), so the typings are really in use
const wrong: GatewayOptions = { workers: 'two' };
const code: ErrorCode = 'MCPGW_ERR_CONFIG';
const state: ServerState = 'ready';
const caller: Caller | undefined = undefined;
const gateway = new Gateway(config, options);
const report: StartReport = await gateway.start();
const answer = await fetch(report.url + '/api/v1/tools/call', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tool: 'add', arguments: { a: 1, b: 2 } }) });
const body = (await answer.json()) as { content: { text: string }[] };
await gateway.stop();
console.log(JSON.stringify({ version: VERSION, engine: report.httpEngine, sum: body.content[0]?.text, servers: servers.length, fallback: fallback.servers.length, error: new GatewayError(code, 'x') instanceof Error, state, caller: caller ?? null, wrong: typeof wrong }));
`;
    await writeFile(join(app, 'consumer.ts'), source);
    const demo = join(app, 'node_modules/mcp-gateway/dist/src/demo/server.js');
    await writeFile(join(app, 'consumer.yml'), `servers:\n  - { id: demo, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(demo)}] }\n`);
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        outDir: 'out',
        rootDir: '.',
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      files: ['consumer.ts'],
    };
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const compiled = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app, env: cleanEnv(), timeoutMs: 60_000 });
    assert.equal(compiled.code, 0, describeRun('tsc', compiled));

    const ran = await run(process.execPath, ['out/consumer.js'], { cwd: app, env: cleanEnv(), timeoutMs: 30_000 });
    assert.equal(ran.code, 0, describeRun('node out/consumer.js', ran));
    const result = JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.deepEqual(result, { version: manifest.version, engine: (await availableEngines())[0], sum: '3', servers: 1, fallback: 1, error: true, state: 'ready', caller: null, wrong: 'object' });
    assert.deepEqual(await processesUsing(app), []);
  });

  test('engines.node is a floor that every installed production dependency accepts, and this Node is above it', async () => {
    // The few forms the checker reads must themselves be read right, or the check below proves nothing.
    assert.equal(satisfies('20.10.0', '>=20.x'), true);
    assert.equal(satisfies('20.10.0', '>= 20.11'), false);
    assert.equal(satisfies('20.10.0', '^16 || ^18 || >=20'), true);
    assert.equal(satisfies('20.10.0', '>=22.12.0'), false);
    assert.equal(satisfies('20.10.0', '^20.11.0 || >=21'), false);

    const floor = /^>=\s*(\d+\.\d+(\.\d+)?)$/.exec(manifest.engines.node);
    assert.ok(floor, `engines.node is a plain floor (got ${manifest.engines.node})`);
    const floorVersion = floor[1]!;
    assert.ok(satisfies(process.versions.node, manifest.engines.node), `this Node ${process.versions.node} satisfies ${manifest.engines.node}`);
    const refusing: string[] = [];
    let checked = 0;
    for (const dependency of await installedPackages(join(app, 'node_modules'))) {
      const range = dependency.engines?.node;
      if (range === undefined) continue;
      checked++;
      if (!satisfies(floorVersion, range)) refusing.push(`${dependency.name}@${dependency.version} wants node ${range}`);
    }
    assert.ok(checked >= 10, `dependencies with engines were found (${checked})`);
    assert.deepEqual(refusing, [], `Node ${floorVersion} (engines.node) is refused by`);
  });

  test('without optional dependencies (no uWebSockets.js build) it installs offline and serves on node:http', async () => {
    const bare = await scratchInstall('no-optional', ['--omit=optional']);
    await assert.rejects(access(join(bare, 'node_modules/@trufflesuite/uws-js-unofficial')), 'uWebSockets.js is not installed');
    const gateway = await startGateway(spawn('npx', ['mcp-gateway', 'start', '--port', '0'], { cwd: bare, env: cleanEnv({ ...NPX_OFFLINE, MCP_GATEWAY_LOG_LEVEL: 'warn' }), stdio: ['ignore', 'pipe', 'pipe'] }));
    assert.equal(gateway.engine, 'node');
    const health = (await (await fetch(`${gateway.url}/api/v1/health`)).json()) as { httpEngine: string; status: string };
    assert.equal(health.httpEngine, 'node');
    assert.equal(await restAdd(gateway.url), '42');
    const tree = await descendantsOf(gateway.child.pid!);
    const cli = tree.find((p) => p.argv[1]?.endsWith('/node_modules/.bin/mcp-gateway'));
    assert.ok(cli);
    process.kill(cli.pid, 'SIGTERM');
    assert.deepEqual(await gateway.exited, { code: 0, signal: null }, gateway.output());
    await assertAllGone(tree);
  });

  test("the Docker image's build steps on the same tarball, run with the Dockerfile's WORKDIR, ENV and CMD, pass its HEALTHCHECK", async () => {
    const dockerfile = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    const runtime = dockerfile.stages.at(-1)!;
    const image = join(work, 'image-app'); // the image's /app
    await mkdir(image);
    const unpacked = await run(words(IMAGE_STEPS.unpack)[0]!, [...words(IMAGE_STEPS.unpack).slice(1), tarball, IMAGE_STEPS.unpackFlags, '-C', image], {});
    assert.equal(unpacked.code, 0, describeRun('tar', unpacked));
    await copyFile(join(ROOT, 'package-lock.json'), join(image, 'package-lock.json'));
    const [npm, ...npmArgs] = words(IMAGE_STEPS.installRuntime);
    const installed = await run(npm!, npmArgs, { cwd: image, env: cleanEnv(), timeoutMs: NPM_TIMEOUT_MS });
    assert.equal(installed.code, 0, describeRun(IMAGE_STEPS.installRuntime, installed));
    await assert.rejects(access(join(image, 'node_modules/typescript')), 'no dev dependencies in the image');
    await access(join(image, 'node_modules/@trufflesuite/uws-js-unofficial'));

    // The compose example's config, with the image's /app mapped to this folder.
    const config = (await readFile(join(ROOT, 'examples/docker/mcp-gateway.yml'), 'utf8')).replaceAll('/app/', `${image}/`);
    await writeFile(join(image, 'mcp-gateway.yml'), config);
    const imageEnv = Object.fromEntries(runtime.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => envPairs(i.args)));
    assert.equal(imageEnv.MCP_GATEWAY_HOST, '0.0.0.0');
    const keys = { GATEWAY_API_KEY: createHash('sha256').update(`client ${work}`).digest('hex'), METRICS_API_KEY: createHash('sha256').update(`metrics ${work}`).digest('hex') };
    const [command, ...args] = execForm(runtime.instructions.filter((i) => i.keyword === 'CMD').at(-1)!.args);
    assert.equal(command, 'node');
    const gateway = await startGateway(
      // The compose file's Redis is the one the tests use on loopback.
      spawn(process.execPath, args, { cwd: image, env: cleanEnv({ ...imageEnv, ...keys, MCP_GATEWAY_PORT: '0', MCP_GATEWAY_LOG_LEVEL: 'warn', MCP_GATEWAY_REDIS_URL: 'redis://127.0.0.1:6379' }), stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    const base = gateway.url.replace('//0.0.0.0:', '//127.0.0.1:');
    const port = new URL(base).port;

    const check = healthcheck(runtime.instructions.filter((i) => i.keyword === 'HEALTHCHECK').at(-1)!.args);
    const probe = () => run(process.execPath, check.command.slice(1), { cwd: image, env: cleanEnv({ ...imageEnv, MCP_GATEWAY_PORT: port }), timeoutMs: 15_000 });
    const healthy = await probe();
    assert.equal(healthy.code, 0, describeRun('HEALTHCHECK', healthy));

    assert.equal((await fetch(`${base}/api/v1/tools`)).status, 401, 'auth is on');
    assert.equal(await restAdd(base, { 'x-api-key': keys.GATEWAY_API_KEY }), '42');
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${keys.METRICS_API_KEY}` } });
    assert.equal(metrics.status, 200, "Prometheus's key reads /metrics");
    const exposition = await metrics.text();
    assert.match(exposition, /^mcp_gateway_tool_calls_total\{/m);
    // The example's limits are kept in Redis, and every decision so far reached it.
    assert.doesNotMatch(exposition, /^mcp_gateway_rate_limit_store_errors_total\{[^}]*\} [1-9]/m);
    const limited = await fetch(`${base}/api/v1/tools`, { headers: { 'x-api-key': keys.GATEWAY_API_KEY } });
    assert.equal(limited.headers.get('x-ratelimit-limit'), '600');
    const metricsCall = await fetch(`${base}/api/v1/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.METRICS_API_KEY}` }, body: JSON.stringify({ tool: 'echo', arguments: { message: 'x' } }) });
    assert.equal(metricsCall.status, 403, "Prometheus's key calls no tool");

    const tree = await descendantsOf(gateway.child.pid!);
    gateway.child.kill('SIGTERM');
    assert.deepEqual(await gateway.exited, { code: 0, signal: null }, gateway.output());
    await assertAllGone(tree);
    const unhealthy = await probe();
    assert.equal(unhealthy.code, 1, 'the HEALTHCHECK fails once nothing answers');
  });
});

interface StartedGateway {
  readonly child: ChildProcess;
  readonly url: string;
  readonly engine: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Resolves once the CLI prints its "listening on" line; rejects if it exits (or stays silent for 30 s) first. */
function startGateway(child: ChildProcess): Promise<StartedGateway> {
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const output = () => `--- stdout\n${stdout}\n--- stderr\n${stderr}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "listening on" line within 30 s\n${output()}`));
    }, 30_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+) \((\w+)\)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, engine: match[2]!, exited, output });
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`exited (${how.code ?? how.signal}) before listening\n${output()}`));
    });
  });
}

async function restAdd(url: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${url}/api/v1/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ tool: 'add', arguments: { a: 2, b: 40 } }) });
  const body = (await response.json()) as { content?: { text?: string }[] };
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.content?.[0]?.text ?? '';
}

/** Every process that was in the tree is gone (not even a zombie). */
async function assertAllGone(tree: readonly ProcessInfo[]): Promise<void> {
  assert.ok(tree.length > 0);
  const alive: string[] = [];
  for (const p of tree) if (await isAlive(p.pid)) alive.push(`${p.pid} ${p.cmdline}`);
  assert.deepEqual(alive, [], 'processes outlived the gateway');
}

interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  readonly engines?: { readonly node?: string };
}

/** Every package.json directly under a node_modules folder, nested node_modules and scopes included. */
async function installedPackages(nodeModules: string): Promise<InstalledPackage[]> {
  const found: InstalledPackage[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        await visit(path);
        continue;
      }
      const text = await readFile(join(path, 'package.json'), 'utf8').catch(() => undefined);
      if (text !== undefined) found.push(JSON.parse(text) as InstalledPackage);
      await visit(join(path, 'node_modules'));
    }
  };
  await visit(nodeModules);
  return found;
}
