/**
 * The Dockerfile and the compose example, read (no Docker engine runs here):
 * the properties the image promises, and the build steps package.test.ts runs.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { baseImage, envPairs, execForm, healthcheck, parseDockerfile, type Dockerfile } from './dockerfile.js';
import { ROOT } from './helpers.js';
import { IMAGE_STEPS } from './image-steps.js';

async function dockerfile(): Promise<{ text: string; file: Dockerfile }> {
  const text = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  return { text, file: parseDockerfile(text) };
}

test('the Dockerfile is multi-stage on a glibc Node 20 base, and its build stage runs the steps the pack test runs', async () => {
  const { text, file } = await dockerfile();
  assert.ok(file.stages.length >= 2, 'multi-stage');
  for (const stage of file.stages) assert.match(baseImage(file, stage), /^node:20(\.\d+)*-(bookworm|bullseye)(-slim)?$/, 'a Debian (glibc) Node 20 image, not alpine (musl)');
  const build = file.stages[0]!;
  const runs = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args.replace(/\s+/g, ' '));
  const order = [IMAGE_STEPS.install, IMAGE_STEPS.build, IMAGE_STEPS.pack, IMAGE_STEPS.unpack, IMAGE_STEPS.installRuntime];
  const joined = runs.join(' && ');
  let at = -1;
  for (const step of order) {
    const found = joined.indexOf(step, at + 1);
    assert.ok(found > at, `the build stage runs "${step}" (after the step before it)`);
    at = found;
  }
  assert.match(joined, new RegExp(`${IMAGE_STEPS.unpack} \\S+\\.tgz ${IMAGE_STEPS.unpackFlags}`));
  assert.match(joined, /cp \S*package-lock\.json/, 'the lockfile pins the runtime install');
  assert.match(text, /test\/ship\/package\.test\.ts/, 'the file says which test runs its steps');
});

test('the build stage copies in everything `npm run build` reads', async () => {
  const { file } = await dockerfile();
  const copies = file.stages[0]!.instructions.filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args));
  const copied = new Set(copies.flatMap((i) => i.args.trim().split(/\s+/).slice(0, -1)).map((path) => path.replace(/^\.\//, '').replace(/\/$/, '')));
  const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } };
  // What the build script names (`tsc -p dashboard/…`, `node dashboard/…`), and what the main tsconfig compiles; not its output, not the tests.
  const read = new Set(['tsconfig.json']);
  for (const match of scripts.build.matchAll(/(?:-p |node )([\w.-]+)\//g)) if (match[1] !== 'dist') read.add(match[1]!);
  const { include } = JSON.parse(await readFile(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
  for (const pattern of include) if (!pattern.startsWith('test/')) read.add(pattern.split('/')[0]!);
  assert.ok(read.has('dashboard') && read.has('src') && read.has('workers'), `found what the build reads: ${[...read].join(', ')}`);
  for (const path of read) assert.ok(copied.has(path), `the build stage copies ${path} (it copies ${[...copied].join(', ')})`);
});

test('the runtime stage runs as a non-root user with a health check on /api/v1/health through node fetch', async () => {
  const { file } = await dockerfile();
  const runtime = file.stages.at(-1)!;
  const last = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword).at(-1);
  const user = last('USER');
  assert.ok(user, 'USER is set');
  assert.doesNotMatch(user.args, /^(root|0)(:|$)/, 'not root');

  const check = last('HEALTHCHECK');
  assert.ok(check, 'HEALTHCHECK is set');
  const { options, command } = healthcheck(check.args);
  assert.equal(command[0], 'node', 'node, since the slim image has no curl');
  assert.match(command.join(' '), /fetch\(.*\/api\/v1\/health/);
  for (const option of ['interval', 'timeout', 'start-period']) assert.ok(options[option], option);

  const env = new Map(runtime.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => envPairs(i.args)));
  assert.equal(env.get('MCP_GATEWAY_HOST'), '0.0.0.0');
  assert.equal(env.get('NODE_ENV'), 'production');
  assert.equal(last('WORKDIR')?.args, '/app', 'the config is /app/mcp-gateway.yml, found in the working directory');
  const cmd = execForm(last('CMD')!.args);
  assert.deepEqual(cmd.slice(0, 2), ['node', 'dist/src/cli/main.js'], 'node runs the CLI itself, so SIGTERM reaches the gateway');
  assert.equal(cmd[2], 'start');
  assert.ok(!runtime.instructions.some((i) => i.keyword === 'COPY' && !/--from=/.test(i.args)), 'the runtime stage takes only the build stage\'s /app');
});

test('.dockerignore keeps dependencies, builds, tests and a local config out of the context', async () => {
  const lines = (await readFile(join(ROOT, '.dockerignore'), 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const entry of ['**/node_modules', 'dist', '.git', 'test', 'mcp-gateway.yml']) assert.ok(lines.includes(entry), entry);
});

test('examples/docker/compose.yml is one YAML document with the gateway, Redis and Prometheus scraping /metrics', async () => {
  const text = await readFile(join(ROOT, 'examples/docker/compose.yml'), 'utf8');
  const documents = parseAllDocuments(text);
  assert.equal(documents.length, 1);
  const document = documents[0]!;
  assert.deepEqual(document.errors, []);
  const compose = document.toJS() as {
    services: Record<string, { build?: { context: string }; image?: string; ports?: string[]; volumes?: string[]; environment?: Record<string, string>; secrets?: string[]; init?: boolean; depends_on?: Record<string, { condition: string }> }>;
    secrets: Record<string, { environment?: string; file?: string }>;
  };
  assert.deepEqual(Object.keys(compose.services).sort(), ['gateway', 'prometheus', 'redis']);

  const gateway = compose.services.gateway!;
  assert.equal(gateway.build?.context, '../..', 'built from the repository root Dockerfile');
  assert.equal(gateway.init, true);
  assert.ok(gateway.volumes?.includes('./mcp-gateway.yml:/app/mcp-gateway.yml:ro'));
  for (const port of [...(gateway.ports ?? []), ...(compose.services.prometheus!.ports ?? [])]) assert.match(port, /^127\.0\.0\.1:/, 'published on loopback only');
  for (const name of ['GATEWAY_API_KEY', 'METRICS_API_KEY']) assert.match(gateway.environment?.[name] ?? '', new RegExp(`^\\$\\{${name}:\\?`), `${name} is required`);
  assert.match(compose.services.redis!.image ?? '', /^redis:/);
  assert.match(text, /#[^\n]*scale-out[^\n]*\n(\s*#[^\n]*\n)*\s*redis:/, 'the comment above the service says what Redis is for');
  assert.equal(gateway.depends_on?.redis?.condition, 'service_healthy');
  const gatewayConfig = parse(await readFile(join(ROOT, 'examples/docker/mcp-gateway.yml'), 'utf8')) as { rateLimit: { store: string; redis: { url: string } } };
  assert.equal(gatewayConfig.rateLimit.store, 'redis', 'the gateway keeps its counters in that Redis');
  assert.equal(gatewayConfig.rateLimit.redis.url, 'redis://redis:6379');

  const prometheus = compose.services.prometheus!;
  assert.match(prometheus.image ?? '', /^prom\/prometheus:/);
  assert.ok(prometheus.volumes?.includes('./prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
  assert.equal(prometheus.depends_on?.gateway?.condition, 'service_healthy');
  assert.ok(prometheus.secrets?.includes('metrics_api_key'));
  assert.equal(compose.secrets.metrics_api_key?.environment, 'METRICS_API_KEY');

  const scrape = parse(await readFile(join(ROOT, 'examples/docker/prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[]; authorization: { type: string; credentials_file: string } }[];
  };
  const job = scrape.scrape_configs.find((j) => j.job_name === 'mcp-gateway');
  assert.ok(job);
  assert.equal(job.metrics_path, '/metrics');
  assert.deepEqual(job.static_configs[0]?.targets, ['gateway:4000']);
  assert.equal(job.authorization.type, 'Bearer');
  assert.equal(job.authorization.credentials_file, '/run/secrets/metrics_api_key');
});
