#!/usr/bin/env node
/**
 * Side-by-side of the two HTTP engines: the same handler (read a small POST
 * body, answer ~200 bytes of JSON) behind each, driven over loopback by a
 * keep-alive load generator in a separate process, in alternating rounds.
 *
 *   npm run build && node bench/micro/engines.mjs [--rounds 3] [--seconds 3] [--max 20000] [--connections 16]
 *
 * Reports requests/s (bounded by the load generator on small machines: it is
 * node:http too) and server CPU µs per request (process.cpuUsage in the server
 * process, the figure that compares the engines). Needs dist/ (npm run build).
 *
 * One file, three roles: the orchestrator (no flag) forks `--serve <engine>`
 * and `--load <port>` children and talks to them over IPC.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ENGINES_MODULE = new URL('../../dist/src/front-door/engines.js', import.meta.url);

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1];
}

// ---- server role ------------------------------------------------------------------

async function serve(engineName) {
  const { selectEngine } = await import(ENGINES_MODULE);
  const engine = await selectEngine(engineName);
  let served = 0;
  const port = await engine.listen({ host: '127.0.0.1', port: 0 }, (request, response) => {
    request.readBody(64 * 1024).then(
      (body) => {
        served++;
        const { id } = JSON.parse(body.toString());
        response.send(200, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'ok' }], isError: false, server: 'bench', tool: 'echo', engine: engine.name, padding: 'x'.repeat(60) } }));
      },
      () => response.send(413, {}, ''),
    );
  });
  let mark;
  process.on('message', async (message) => {
    if (message === 'mark') {
      mark = { cpu: process.cpuUsage(), served };
      process.send({ marked: true });
    } else if (message === 'report') {
      const cpu = process.cpuUsage(mark.cpu);
      process.send({ cpuMicros: cpu.user + cpu.system, served: served - mark.served });
    } else if (message === 'stop') {
      await engine.close();
      process.disconnect();
    }
  });
  process.send({ port, engine: engine.name });
}

// ---- load role --------------------------------------------------------------------

async function load(port, connections) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let nextId = 0;
  const post = () =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello' } } });
      const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/call', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
        response.on('data', () => {});
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`status ${response.statusCode}`))));
      });
      request.on('error', reject);
      request.end(body);
    });
  const run = async (seconds, max) => {
    const deadline = performance.now() + seconds * 1000;
    let issued = 0;
    let done = 0;
    let errors = 0;
    const started = performance.now();
    const worker = async () => {
      while (performance.now() < deadline && issued < max) {
        issued++;
        try {
          await post();
          done++;
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
    return { requests: done, errors, seconds: (performance.now() - started) / 1000 };
  };
  process.on('message', async (message) => {
    const result = await run(message.seconds, message.max);
    process.send(result);
    if (message.last) {
      agent.destroy();
      process.disconnect();
    }
  });
  process.send({ ready: true });
}

// ---- orchestrator -----------------------------------------------------------------

function child(args) {
  const proc = fork(SELF, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => once(proc, 'message').then(([message]) => message);
  return { proc, next, send: (message) => proc.send(message) };
}

async function measure(engineName, options) {
  const server = child(['--serve', engineName]);
  const { port, engine } = await server.next();
  if (engine !== engineName) throw new Error(`asked for ${engineName}, got ${engine}`);
  const loader = child(['--load', String(port), '--connections', String(options.connections)]);
  await loader.next();
  // Warm-up: JIT, connection pool, socket buffers.
  loader.send({ seconds: 0.5, max: 5000 });
  await loader.next();
  server.send('mark');
  await server.next();
  loader.send({ seconds: options.seconds, max: options.max, last: true });
  const run = await loader.next();
  server.send('report');
  const cpu = await server.next();
  server.send('stop');
  await Promise.all([once(server.proc, 'exit'), once(loader.proc, 'exit')]);
  return { rps: run.requests / run.seconds, cpuPerRequest: cpu.cpuMicros / Math.max(cpu.served, 1), requests: run.requests, errors: run.errors };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function summary(values, digits) {
  const m = median(values);
  const spread = ((Math.max(...values) - Math.min(...values)) / m) * 100;
  return `${m.toFixed(digits).padStart(9)}  (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}, spread ${spread.toFixed(0)}%)`;
}

async function orchestrate() {
  const options = { rounds: Number(option('rounds', 3)), seconds: Number(option('seconds', 3)), max: Number(option('max', 20000)), connections: Number(option('connections', 16)) };
  const { availableEngines } = await import(ENGINES_MODULE);
  const engines = await availableEngines();
  console.log(`engines: ${engines.join(', ')}; ${options.rounds} rounds of ≤${options.seconds}s / ≤${options.max} requests, ${options.connections} keep-alive connections, Node ${process.version}`);
  const results = Object.fromEntries(engines.map((name) => [name, []]));
  for (let round = 1; round <= options.rounds; round++) {
    // Alternate which engine goes first so drift on a noisy machine does not favour one of them.
    const order = round % 2 === 1 ? engines : [...engines].reverse();
    for (const name of order) {
      const result = await measure(name, options);
      results[name].push(result);
      console.log(`round ${round} ${name.padEnd(4)} ${result.rps.toFixed(0).padStart(6)} req/s  ${result.cpuPerRequest.toFixed(1).padStart(6)} µs CPU/req  (${result.requests} requests, ${result.errors} errors)`);
    }
  }
  console.log('\nmedian (min–max) over rounds');
  for (const name of engines) {
    console.log(`${name.padEnd(4)}  req/s ${summary(results[name].map((r) => r.rps), 0)}   server CPU µs/req ${summary(results[name].map((r) => r.cpuPerRequest), 1)}`);
  }
}

if (process.argv.includes('--serve')) await serve(option('serve'));
else if (process.argv.includes('--load')) await load(Number(option('load')), Number(option('connections', 16)));
else await orchestrate();
