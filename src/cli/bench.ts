/**
 * `mcp-gateway bench`: an MCP load generator (autocannon for MCP). Drives a
 * gateway's REST API, any MCP endpoint (2026-07-28 or 2025 sessions) or a
 * stdio server it spawns, and reports throughput, latency percentiles, errors
 * by kind and, given the target's pid, its CPU per call and memory.
 * `--compare A.json B.json` prints two saved runs side by side.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseCallMix, parseDuration, parseExpectation, parseSize, prepare } from '../bench/calls.js';
import { formatCompare, formatText, parseReport } from '../bench/report.js';
import type { BenchOptions, Progress } from '../bench/runner.js';
import type { CallSpec, TargetSpec } from '../bench/types.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, parseCommandLine, stringOption, type CliIo, type CommandSpec, type OptionValues } from './args.js';
import { commandHelp } from './help.js';

export const benchSpec: CommandSpec = {
  name: 'bench',
  usage: 'mcp-gateway bench (-u URL [-t rest|mcp|mcp-legacy|get] | --command "CMD ARGS") [options]   |   mcp-gateway bench --compare A.json B.json',
  summary:
    'Load-test an MCP target over loopback: the gateway REST API, an MCP endpoint (2026-07-28 stateless or 2025 sessions) or a stdio server it spawns. ' +
    'Every answer is checked against its request (echo must return the message sent); a wrong one counts as a "mismatch" error. ' +
    'Prints calls/s, latency percentiles, errors by kind, bytes and, with --pid, the target process CPU per call and RSS. Exit 0 when the run completed, 1 when it could not run.',
  options: {
    url: { type: 'string', short: 'u', placeholder: 'URL', description: 'Target URL on 127.0.0.1/localhost: the gateway (http://127.0.0.1:4000), an MCP endpoint (…/mcp) or any URL for -t get', defaultText: 'none; give -u or --command' },
    target: { type: 'string', short: 't', placeholder: 'KIND', description: 'rest | mcp (2026-07-28) | mcp-legacy (2025 sessions) | mcp-sse (2024-11-05 HTTP+SSE: the URL of the event stream) | get (plain GETs) | stdio', defaultText: 'stdio with --command, mcp for a URL ending in /mcp, else rest' },
    method: { type: 'string', placeholder: 'M', description: 'tools/call | tools/list (each call lists the whole catalog, following nextCursor; REST: GET /api/v1/tools); --expect tools:N checks the count', defaultText: 'tools/call' },
    command: { type: 'string', placeholder: '"CMD ARGS"', description: 'Spawn this stdio MCP server (one per connection) and load it directly', defaultText: 'none; give -u or --command' },
    protocol: { type: 'string', placeholder: 'P', description: 'stdio era: auto (server/discover probe, as the gateway does) | modern | legacy', defaultText: 'auto' },
    client: { type: 'string', placeholder: 'C', description: 'lean (raw JSON-RPC, no validation) | sdk (SDK v2 Client.callTool, what SDK agents pay)', defaultText: 'lean' },
    tool: { type: 'string', placeholder: 'NAME', description: 'Tool to call', defaultText: 'echo' },
    args: { type: 'string', placeholder: 'JSON', description: 'Fixed arguments (then the answer only has to be a non-error result, unless --expect)', defaultText: 'none; echo gets a --payload message' },
    payload: { type: 'string', placeholder: 'SIZE', description: 'Send arguments.message as a fresh SIZE-byte string per call (100, 1k, 100KB), checked as an echo', defaultText: '100 for echo' },
    expect: { type: 'string', placeholder: 'E', description: 'echo | ok | any | text:VALUE | tools:N (tools/list) — what a successful answer looks like', defaultText: 'echo with a payload, else ok' },
    server: { type: 'string', placeholder: 'ID', description: 'REST: route calls to this server id', defaultText: 'none; the gateway routes by tool name' },
    calls: { type: 'string', placeholder: 'FILE', description: 'JSON call mix instead of --tool: [{"tool","arguments"?,"payload"?,"weight"?,"server"?,"expect"?}]', defaultText: 'none; one call, --tool' },
    concurrency: { type: 'string', short: 'c', placeholder: 'N', description: 'Calls in flight (closed loop), or the cap on them (open loop)', defaultText: '10; 1000 with --rate' },
    connections: { type: 'string', placeholder: 'N', description: 'HTTP keep-alive sockets, stdio server processes, or SDK clients', defaultText: 'concurrency (at most 256) for HTTP, 1 for stdio and --client sdk' },
    sessions: { type: 'string', placeholder: 'N', description: 'mcp-legacy and mcp-sse: sessions to open (calls go round-robin)', defaultText: 'one per thread' },
    threads: { type: 'string', placeholder: 'N', description: 'Load-generator worker threads', defaultText: 'max(1, min(4, cores/2))' },
    duration: { type: 'string', short: 'd', placeholder: 'T', description: 'Measurement length (10, 10s, 500ms, 2m); also the cap with -n', defaultText: '10s' },
    requests: { type: 'string', short: 'n', placeholder: 'N', description: 'Stop after N calls (or at --duration, whichever is first)', defaultText: 'none; run for --duration' },
    warmup: { type: 'string', short: 'w', placeholder: 'T|N', description: 'Warm-up before measuring: a time (2s) or a call count (200); 0 for none', defaultText: '1s' },
    rate: { type: 'string', short: 'r', placeholder: 'R', description: 'Open loop: R calls/s on a fixed schedule, latency counted from when each call was due (no coordinated omission)', defaultText: 'none; closed loop' },
    timeout: { type: 'string', placeholder: 'T', description: 'Per-call timeout', defaultText: '30s' },
    pid: { type: 'string', placeholder: 'PID[,PID]', description: 'Target process(es) to measure from /proc: CPU per call (all threads), RSS; their child processes are reported apart', defaultText: 'none; not measured' },
    headers: { type: 'string', placeholder: 'JSON', description: 'Extra HTTP headers, e.g. {"authorization":"Bearer …"}', defaultText: 'none' },
    label: { type: 'string', placeholder: 'TEXT', description: 'Name for this run in reports', defaultText: 'none; the target describes the run' },
    json: { type: 'boolean', description: 'Print the report as JSON (for --compare and machines)', defaultText: 'off: a text report' },
    out: { type: 'string', placeholder: 'FILE', description: 'Also write the JSON report to FILE', defaultText: 'none' },
    compare: { type: 'string', placeholder: 'A.json B.json', description: 'Print two saved --json reports side by side with ratios B/A (takes two files)', defaultText: 'none; run a benchmark' },
  },
};

export async function runBench(argv: readonly string[], io: CliIo): Promise<number> {
  // --compare takes two values; parseArgs knows single-valued options only.
  const at = argv.indexOf('--compare');
  if (at !== -1) {
    const files = argv.slice(at + 1, at + 3);
    const rest = [...argv.slice(0, at), ...argv.slice(at + 3)];
    if (files.length < 2 || files.some((f) => f.startsWith('-'))) return usage(io, '--compare needs two report files: --compare A.json B.json');
    const values = parseCommandLine(benchSpec, rest, io);
    if (typeof values === 'number') return values;
    return compare(files as [string, string], io);
  }
  const values = parseCommandLine(benchSpec, argv, io);
  if (typeof values === 'number') return values;

  let options: BenchOptions;
  try {
    options = await optionsFrom(values, io);
  } catch (error) {
    return usage(io, (error as Error).message);
  }

  const { runBench: run } = await import('../bench/runner.js');
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let report;
  try {
    report = await run({ ...options, ...(tty ? { onProgress: progressLine(io) } : {}) });
  } catch (error) {
    if (tty) io.stderr.write('\r\x1b[K');
    io.stderr.write(`✗ ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
  if (tty) io.stderr.write('\r\x1b[K');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const out = stringOption(values, 'out');
  if (out !== undefined) await writeFile(resolve(io.cwd, out), json);
  io.stdout.write(values.json === true ? json : formatText(report));
  return EXIT_OK;
}

async function compare(files: readonly [string, string], io: CliIo): Promise<number> {
  try {
    const [a, b] = await Promise.all(files.map(async (file) => parseReport(await readFile(resolve(io.cwd, file), 'utf8'), file)));
    io.stdout.write(formatCompare(a!, b!, files));
    return EXIT_OK;
  } catch (error) {
    io.stderr.write(`✗ ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
}

function usage(io: CliIo, problem: string): number {
  io.stderr.write(`mcp-gateway bench: ${problem}\n\n${commandHelp(benchSpec)}`);
  return EXIT_USAGE;
}

function progressLine(io: CliIo): (progress: Progress) => void {
  return (p) => {
    const seconds = (p.elapsedMs / 1000).toFixed(1);
    const bound = p.requests !== undefined ? `${p.done}/${p.requests} calls` : `${p.done} calls`;
    const rate = p.elapsedMs > 0 ? Math.round((p.done * 1000) / p.elapsedMs) : 0;
    const total = p.durationMs % 1000 === 0 ? String(p.durationMs / 1000) : (p.durationMs / 1000).toFixed(1);
    io.stderr.write(`\r\x1b[K${p.phase === 'warmup' ? 'warming up' : 'measuring'} ${seconds}s/${total}s  ${bound}  ${rate} calls/s  ${p.errors} errors`);
  };
}

const TARGET_KINDS = ['rest', 'get', 'mcp', 'mcp-legacy', 'mcp-sse', 'stdio'] as const;

/** Turns the flags into runner options; throws a usage message. */
export async function optionsFrom(values: OptionValues, io: Pick<CliIo, 'cwd'>): Promise<BenchOptions> {
  const text = (name: string) => stringOption(values, name);
  const integer = (name: string, fallback?: number): number | undefined => {
    const value = text(name);
    if (value === undefined) return fallback;
    if (!/^\s*\d+\s*$/.test(value) || Number(value) < 1) throw new Error(`--${name} must be a positive integer (got ${JSON.stringify(value)})`);
    return Number(value);
  };
  const number = (name: string): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!(Number.isFinite(n) && n > 0)) throw new Error(`--${name} must be a positive number (got ${JSON.stringify(value)})`);
    return n;
  };
  const json = (name: string): Record<string, unknown> | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new Error(`--${name} is not JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`--${name} must be a JSON object`);
    return parsed as Record<string, unknown>;
  };

  const url = text('url');
  const command = text('command');
  const kindText = text('target') ?? (command !== undefined ? 'stdio' : url !== undefined && /\/mcp\/?$/.test(new URL(url, 'http://x').pathname) ? 'mcp' : 'rest');
  if (!(TARGET_KINDS as readonly string[]).includes(kindText)) throw new Error(`--target must be one of ${TARGET_KINDS.join(', ')} (got ${JSON.stringify(kindText)})`);
  const kind = kindText as TargetSpec['kind'];
  const headers = json('headers') as Record<string, string> | undefined;
  let target: TargetSpec;
  if (kind === 'stdio') {
    if (command === undefined) throw new Error('a stdio target needs --command "CMD ARGS"');
    if (url !== undefined) throw new Error('give --url or --command, not both');
    const [cmd, ...args] = splitCommand(command);
    if (cmd === undefined) throw new Error('--command is empty');
    const protocol = text('protocol') ?? 'auto';
    if (protocol !== 'auto' && protocol !== 'modern' && protocol !== 'legacy') throw new Error(`--protocol must be auto, modern or legacy (got ${JSON.stringify(protocol)})`);
    target = { kind, command: cmd, args, protocol };
  } else {
    if (url === undefined) throw new Error(`a ${kind} target needs --url`);
    if (command !== undefined) throw new Error('give --url or --command, not both');
    try {
      new URL(url);
    } catch {
      throw new Error(`--url is not a URL: ${JSON.stringify(url)}`);
    }
    target = { kind, url, ...(headers ? { headers } : {}) };
  }

  const client = text('client') ?? 'lean';
  if (client !== 'lean' && client !== 'sdk') throw new Error(`--client must be lean or sdk (got ${JSON.stringify(client)})`);

  const method = text('method') ?? 'tools/call';
  if (method !== 'tools/call' && method !== 'tools/list') throw new Error(`--method must be tools/call or tools/list (got ${JSON.stringify(method)})`);
  if (kind === 'get' && text('method') !== undefined) throw new Error('a get target makes no MCP calls; drop --method');

  let calls: CallSpec[];
  const callsFile = text('calls');
  if (callsFile !== undefined) {
    if (text('tool') !== undefined || text('args') !== undefined || text('payload') !== undefined || text('method') !== undefined) throw new Error('--calls replaces --tool, --args, --payload and --method');
    const path = resolve(io.cwd, callsFile);
    let document: unknown;
    try {
      document = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new Error(`--calls ${callsFile}: ${(error as Error).message}`);
    }
    calls = parseCallMix(document, callsFile);
  } else if (method === 'tools/list') {
    if (text('tool') !== undefined || text('args') !== undefined || text('payload') !== undefined || text('server') !== undefined) throw new Error('--method tools/list lists the catalog: drop --tool, --args, --payload and --server');
    const expectText = text('expect');
    const expect = expectText !== undefined ? parseExpectation(expectText, '--expect') : undefined;
    calls = [{ method, tool: 'tools/list', ...(expect !== undefined ? { expect } : {}) }];
  } else {
    const tool = text('tool') ?? 'echo';
    const args = json('args');
    const payloadText = text('payload');
    const payload = payloadText !== undefined ? parseSize(payloadText) : args === undefined && tool === 'echo' ? 100 : undefined;
    const expectText = text('expect');
    const server = text('server');
    calls = [
      {
        tool,
        ...(args ? { arguments: args } : {}),
        ...(payload !== undefined ? { payload } : {}),
        ...(server !== undefined ? { server } : {}),
        ...(expectText !== undefined ? { expect: parseExpectation(expectText, '--expect') } : {}),
      },
    ];
  }
  if (kind === 'get' && callsFile !== undefined) throw new Error('a get target makes no tool calls; drop --calls');
  // Each call is prepared once here so that a contradiction (tools:N on a tools/call, echo without a message) is a usage error, not a failed run.
  for (const call of calls) prepare(call, 'check:');

  const warmupText = text('warmup') ?? '1s';
  const warmup = /^\s*\d+\s*$/.test(warmupText) ? { requests: Number(warmupText) } : { durationMs: parseDuration(warmupText) };
  const pids = text('pid')
    ?.split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      if (!/^\d+$/.test(p)) throw new Error(`--pid must be process ids separated by commas (got ${JSON.stringify(p)})`);
      return Number(p);
    });

  const concurrency = integer('concurrency', 10)!;
  const rate = number('rate');
  const options: BenchOptions = {
    target,
    client,
    calls,
    concurrency: rate !== undefined && text('concurrency') === undefined ? 1000 : concurrency,
    durationMs: parseDuration(text('duration') ?? '10s'),
    timeoutMs: parseDuration(text('timeout') ?? '30s'),
    ...(integer('connections') !== undefined ? { connections: integer('connections')! } : {}),
    ...(integer('sessions') !== undefined ? { sessions: integer('sessions')! } : {}),
    ...(integer('threads') !== undefined ? { threads: integer('threads')! } : {}),
    ...(integer('requests') !== undefined ? { requests: integer('requests')! } : {}),
    ...((warmup.requests ?? warmup.durationMs ?? 0) > 0 ? { warmup } : {}),
    ...(rate !== undefined ? { rate } : {}),
    ...(pids && pids.length > 0 ? { pids } : {}),
    ...(text('label') !== undefined ? { label: text('label')! } : {}),
  };
  return options;
}

/** Splits a command line the way a POSIX shell would for plain words, quotes and backslashes (no expansions). */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`--command has an unclosed ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}
