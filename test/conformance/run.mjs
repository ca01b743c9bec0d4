#!/usr/bin/env node
/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, its
 * server scenarios) against server-everything over Streamable HTTP, once
 * directly and once through the gateway in front of that same server.
 *
 *   npm run build && node test/conformance/run.mjs [--write] [--json]
 *
 * --write  rewrites test/conformance/BASELINE.md with the table
 * --json   prints the outcome as JSON (what conformance.test.ts reads)
 *
 * Exits 1 when a scenario that genuinely passes directly fails through the
 * gateway, or when dns-rebinding-protection fails through the gateway.
 *
 * "Genuinely": server-everything has none of the suite's fixture tools
 * (test_simple_text, …), and the SDK v1 server it is built on answers an
 * unknown tool with an `isError` result, which two scenarios accept as a
 * pass. The gateway answers an unknown tool with the JSON-RPC -32602 error the
 * spec prescribes, so those two are reported as "unknown tool" passes and kept
 * out of the comparison.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const conformanceBin = join(root, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const everythingBin = join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const preload = join(here, 'fs-glob-preload.mjs');
const RUN_TIMEOUT_MS = 120_000;
const MUST_PASS_THROUGH_GATEWAY = ['dns-rebinding-protection'];

const args = new Set(process.argv.slice(2));

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** server-everything in its Streamable HTTP mode, resolved once it says it listens. */
async function startEverything() {
  const port = await freePort();
  const child = spawn(process.execPath, [everythingBin, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`server-everything did not start: ${stderr}`)), 15_000);
    child.once('exit', (code) => fail(new Error(`server-everything exited (${code}): ${stderr}`)));
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
      if (/listening on port/.test(stderr)) {
        clearTimeout(timer);
        done();
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stop: () => new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    }),
  };
}

async function startGateway(upstreamUrl) {
  const { Gateway } = await import(pathToFileURL(join(root, 'dist/src/index.js')).href);
  const { normalizeConfig } = await import(pathToFileURL(join(root, 'dist/src/config/load.js')).href);
  const config = normalizeConfig({ port: 0, host: '127.0.0.1', logLevel: 'silent', servers: [{ id: 'everything', url: upstreamUrl }] }, { env: {} });
  const gateway = new Gateway(config);
  const report = await gateway.start();
  if (!report.servers[0]?.ok) throw new Error(`the gateway could not reach server-everything: ${report.servers[0]?.reason}`);
  return { url: `${gateway.url}/mcp`, httpEngine: report.httpEngine, stop: () => gateway.stop() };
}

/** Runs every active server scenario against `url`; returns scenario → {passed, checks}. */
async function runSuite(url) {
  const out = await mkdtemp(join(tmpdir(), 'mcpgw-conformance-'));
  try {
    const child = spawn(process.execPath, ['--import', pathToFileURL(preload).href, conformanceBin, 'server', '--url', url, '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    const code = await new Promise((done) => child.once('exit', (exitCode) => done(exitCode)));
    clearTimeout(timer);
    const results = new Map();
    for (const entry of await readdir(out)) {
      const match = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry);
      if (!match) continue;
      const checks = JSON.parse(await readFile(join(out, entry, 'checks.json'), 'utf8'));
      // The suite's own rule (its tier summary): no failed check and at least one successful one.
      const failed = checks.filter((check) => check.status === 'FAILURE');
      const passed = failed.length === 0 && checks.some((check) => check.status === 'SUCCESS');
      results.set(match[1], { passed, unknownToolPass: passed && checks.every(isUnknownToolAnswer), failures: failed.map((check) => check.errorMessage ?? check.id) });
    }
    if (results.size === 0) throw new Error(`the conformance run produced no results (exit ${code}):\n${output}`);
    return results;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** A "pass" that is really an SDK server answering a tool it does not have with an isError result. */
function isUnknownToolAnswer(check) {
  if (check.status !== 'SUCCESS') return true;
  const result = check.details?.result;
  return result?.isError === true && /Tool \S+ not found/.test(JSON.stringify(result.content ?? ''));
}

function compare(direct, viaGateway) {
  const scenarios = [...new Set([...direct.keys(), ...viaGateway.keys()])].sort();
  const rows = scenarios.map((scenario) => {
    const d = direct.get(scenario);
    const g = viaGateway.get(scenario);
    return { scenario, direct: d?.passed ?? null, unknownToolPass: d?.unknownToolPass ?? false, gateway: g?.passed ?? null, gatewayFailures: g?.failures ?? [] };
  });
  const regressions = rows.filter((row) => row.direct === true && !row.unknownToolPass && row.gateway !== true).map((row) => row.scenario);
  const required = MUST_PASS_THROUGH_GATEWAY.filter((scenario) => viaGateway.get(scenario)?.passed !== true);
  return { rows, regressions, required };
}

function markdown(outcome, httpEngine) {
  const mark = (value) => (value === null ? '—' : value ? 'pass' : 'fail');
  const lines = [
    '# Conformance baseline',
    '',
    `\`@modelcontextprotocol/conformance\` 0.1.16, server scenarios (active suite), against \`@modelcontextprotocol/server-everything\` over`,
    `Streamable HTTP: directly, and through the gateway (HTTP engine \`${httpEngine}\`) in front of that same server.`,
    'Written by `node test/conformance/run.mjs --write`; `test/conformance/conformance.test.ts` re-runs it and fails if a scenario that',
    'genuinely passes directly fails through the gateway, or if dns-rebinding-protection fails through the gateway.',
    '',
    'Most scenarios fail both ways: they call the suite\'s own fixture tools, prompts and resources (`test_simple_text`,',
    '`test://static-text`, …), which server-everything does not have. "pass (unknown tool)" marks a direct pass that is an',
    'accident of that: the SDK v1 server answers a tool it does not have with an `isError` result, which the scenario accepts;',
    'the gateway answers an unknown tool with the JSON-RPC -32602 error the spec prescribes.',
    '',
    '| Scenario | Direct | Through the gateway |',
    '| --- | --- | --- |',
    ...outcome.rows.map((row) => `| ${row.scenario} | ${row.unknownToolPass ? 'pass (unknown tool)' : mark(row.direct)} | ${mark(row.gateway)} |`),
    '',
  ];
  return lines.join('\n');
}

const everything = await startEverything();
let gateway;
try {
  const direct = await runSuite(everything.url);
  gateway = await startGateway(everything.url);
  const viaGateway = await runSuite(gateway.url);
  const outcome = compare(direct, viaGateway);
  if (args.has('--write')) await writeFile(join(here, 'BASELINE.md'), markdown(outcome, gateway.httpEngine));
  if (args.has('--json')) process.stdout.write(JSON.stringify(outcome) + '\n');
  else process.stdout.write(markdown(outcome, gateway.httpEngine));
  for (const scenario of outcome.regressions) process.stderr.write(`regression: ${scenario} passes directly but not through the gateway\n`);
  for (const scenario of outcome.required) process.stderr.write(`required: ${scenario} must pass through the gateway\n`);
  process.exitCode = outcome.regressions.length + outcome.required.length > 0 ? 1 : 0;
} finally {
  await gateway?.stop();
  await everything.stop();
}
