/**
 * `mcp-gateway replay <id | file.ndjson>`: replays captured calls against a
 * running gateway — one request-log entry by id, or every line of an NDJSON
 * export (`GET /api/v1/requests/export`) — and prints what came back against
 * what was captured. Exits 0 only when every replay came back identical.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EXIT_FAILURE, EXIT_OK, parseCommandLineWithPositionals, stringOption, usageError, type CliIo, type CommandSpec } from './args.js';

export const KEY_VARIABLE = 'MCP_GATEWAY_API_KEY';
const DEFAULT_URL = 'http://127.0.0.1:4000';
/** A value in a diff line is cut to this many characters: a diff is read by people. */
const SHOWN_CHARS = 160;

export const replaySpec: CommandSpec = {
  name: 'replay',
  usage: 'mcp-gateway replay <id | file.ndjson> [--url URL] [--server ID] [--confirm] [--arguments JSON] [--key KEY] [--json]',
  summary:
    'Replay captured tool calls against a running gateway and show how the answers differ from the captured ones: a request-log id, or every line of a file exported with GET /api/v1/requests/export. ' +
    'Needs an admin key (auth.adminRoles). Tools not annotated readOnlyHint only run with --confirm (otherwise a dry run shows what would be sent). ' +
    'Exits 0 when every replay came back identical, 1 when any differed, was not compared, was a dry run or failed, 2 on a bad command line.',
  options: {
    url: { type: 'string', placeholder: 'URL', description: 'The gateway', defaultText: DEFAULT_URL },
    server: { type: 'string', placeholder: 'ID', description: 'Send to this server instead of the one that answered', defaultText: 'the captured server' },
    confirm: { type: 'boolean', description: 'Also run tools not annotated readOnlyHint: true', defaultText: 'off: dry run' },
    arguments: { type: 'string', placeholder: 'JSON', description: 'A JSON object merged over the captured arguments: the values of redacted fields', defaultText: 'none' },
    key: { type: 'string', placeholder: 'KEY', description: `Admin API key, sent as X-API-Key`, defaultText: `$${KEY_VARIABLE}, else none` },
    json: { type: 'boolean', description: "Print each of the gateway's replies as one JSON line instead", defaultText: 'off' },
  },
};

interface Change {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

/** What POST …/replay answers (README, "Request replay"), as far as this command reads it. */
interface Reply {
  readonly dryRun: boolean;
  readonly replayOf: { readonly id: number };
  readonly request: { readonly server: string; readonly tool: string; readonly arguments?: unknown };
  readonly reason?: string;
  readonly status?: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly diff?: { readonly comparable: boolean; readonly identical?: boolean; readonly changes?: readonly Change[]; readonly reason?: string };
}

type Verdict = 'identical' | 'changed' | 'not compared' | 'dry run' | 'failed';

interface Target {
  readonly label: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
}

export async function runReplay(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLineWithPositionals(replaySpec, argv, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return usageError(replaySpec, positionals.length === 0 ? 'no <id | file.ndjson> given' : `one <id | file.ndjson> only, got ${positionals.length}: ${positionals.join(' ')}`, io);
  const base = stringOption(values, 'url') ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return usageError(replaySpec, `--url "${base}" is not a URL (expected e.g. ${DEFAULT_URL})`, io);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return usageError(replaySpec, `--url "${base}" is not an http(s) URL`, io);
  const common: Record<string, unknown> = {};
  const server = stringOption(values, 'server');
  if (server !== undefined) common.server = server;
  if (values.confirm === true) common.confirm = true;
  const argumentsText = stringOption(values, 'arguments');
  if (argumentsText !== undefined) {
    let given: unknown;
    try {
      given = JSON.parse(argumentsText);
    } catch (error) {
      return usageError(replaySpec, `--arguments is not JSON: ${(error as Error).message}`, io);
    }
    if (typeof given !== 'object' || given === null || Array.isArray(given)) return usageError(replaySpec, '--arguments must be a JSON object', io);
    common.arguments = given;
  }
  const key = stringOption(values, 'key') ?? io.env[KEY_VARIABLE];
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...(key ? { 'x-api-key': key } : {}) };

  const target = positionals[0]!;
  let targets: Target[];
  const tally = new Map<Verdict, number>();
  if (/^\d+$/.test(target)) {
    targets = [{ label: `#${target}`, path: `/api/v1/requests/${target}/replay`, body: common }];
  } else {
    let text: string;
    try {
      text = await readFile(resolve(io.cwd, target), 'utf8');
    } catch (error) {
      io.stderr.write(`✗ mcp-gateway replay: cannot read ${target}: ${(error as Error).message}\n`);
      return EXIT_FAILURE;
    }
    targets = [];
    for (const [index, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      let capture: unknown;
      try {
        capture = JSON.parse(line);
      } catch (error) {
        io.stderr.write(`✗ ${target} line ${index + 1}: not JSON (${(error as Error).message})\n`);
        tally.set('failed', (tally.get('failed') ?? 0) + 1);
        continue;
      }
      const id = (capture as { id?: unknown } | null)?.id;
      targets.push({ label: `line ${index + 1}${typeof id === 'number' ? ` (#${id})` : ''}`, path: '/api/v1/replay', body: { ...common, capture } });
    }
  }

  for (const item of targets) {
    const verdict = await replayOne(new URL(item.path, url), headers, item, values.json === true, io);
    const counted = verdict === 'unreachable' ? 'failed' : verdict;
    tally.set(counted, (tally.get(counted) ?? 0) + 1);
    // No gateway there: the other lines would only fail the same way.
    if (verdict === 'unreachable') break;
  }
  const total = [...tally.values()].reduce((sum, n) => sum + n, 0);
  const parts = (['identical', 'changed', 'not compared', 'dry run', 'failed'] as const).map((verdict) => `${tally.get(verdict) ?? 0} ${verdict === 'dry run' ? 'dry runs' : verdict}`);
  (values.json === true ? io.stderr : io.stdout).write(`${total} replayed: ${parts.join(', ')}\n`);
  return total > 0 && (tally.get('identical') ?? 0) === total ? EXIT_OK : EXIT_FAILURE;
}

async function replayOne(endpoint: URL, headers: Record<string, string>, item: Target, json: boolean, io: CliIo): Promise<Verdict | 'unreachable'> {
  let response: Response;
  try {
    response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(item.body) });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    io.stderr.write(`✗ ${item.label}: the gateway at ${endpoint.origin} did not answer (${cause})\n`);
    return 'unreachable';
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    io.stderr.write(`✗ ${item.label}: HTTP ${response.status}, not JSON: ${text.slice(0, SHOWN_CHARS)}\n`);
    return 'failed';
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } }).error;
    io.stderr.write(`✗ ${item.label}: ${error?.code ?? `HTTP ${response.status}`}: ${error?.message ?? text.slice(0, SHOWN_CHARS)}\n`);
    if (json) io.stdout.write(`${text}\n`);
    return 'failed';
  }
  const reply = body as Reply;
  if (json) io.stdout.write(`${JSON.stringify(reply)}\n`);
  const what = `${item.label} ${reply.request.server}/${reply.request.tool}`;
  const say = (line: string) => void (json ? undefined : io.stdout.write(`${line}\n`));
  if (reply.dryRun) {
    say(`${what}: dry run, nothing sent — ${reply.reason ?? ''} (--confirm to run it)`);
    say(`  would send ${shown(reply.request.arguments ?? {})}`);
    return 'dry run';
  }
  const outcome = reply.error ? `${reply.status} (${reply.error.code}: ${reply.error.message})` : (reply.status ?? 'ok');
  const diff = reply.diff;
  if (diff === undefined || !diff.comparable) {
    say(`${what}: ${outcome}, not compared (${diff?.reason ?? 'no diff in the reply'})`);
    return 'not compared';
  }
  if (diff.identical === true) {
    say(`${what}: ${outcome}, identical`);
    return 'identical';
  }
  const changes = diff.changes ?? [];
  say(`${what}: ${outcome}, ${changes.length} ${changes.length === 1 ? 'change' : 'changes'}`);
  for (const change of changes) {
    const path = change.path === '' ? '(whole result)' : change.path;
    if (change.kind === 'added') say(`  + ${path}: ${shown(change.after)}`);
    else if (change.kind === 'removed') say(`  - ${path}: ${shown(change.before)}`);
    else say(`  ~ ${path}: ${shown(change.before)} → ${shown(change.after)}`);
  }
  return 'changed';
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
}
