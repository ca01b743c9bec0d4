/**
 * What the ship tests share: where the repository is, running a command to
 * its end, the process table (/proc), and a small reader of npm's
 * `engines.node` ranges.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { delimiter, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as <root>/dist/test/ship/helpers.js). */
export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** The compiled CLI of the working tree. */
export const CLI = resolve(ROOT, 'dist/src/cli/main.js');

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`, then reported as such). */
export function run(command: string, args: readonly string[], options: SpawnOptions & { readonly timeoutMs?: number } = {}): Promise<Run> {
  const { timeoutMs = 60_000, ...spawnOptions } = options;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, [...args], { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      stderr += `\n[killed: still running after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** `run` output for an assertion message. */
export function describeRun(what: string, result: Run): string {
  return `${what} exited ${result.code ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/**
 * The environment for npm and the installed CLI: this process's, without what
 * `npm test` adds for its own scripts (npm_package_*, npm_lifecycle_*, the
 * repository's node_modules/.bin on PATH) or MCP_GATEWAY_* settings, so the
 * scratch install sees what a user's shell would. npm's cache setting stays.
 */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^MCP_GATEWAY_/.test(key) || key === 'INIT_CWD') continue;
    if (/^npm_/i.test(key) && key.toLowerCase() !== 'npm_config_cache') continue;
    env[key] = value;
  }
  const repoBins = resolve(ROOT, 'node_modules') + sep;
  env.PATH = (env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => entry !== '' && !resolve(entry).startsWith(repoBins))
    .join(delimiter);
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** R, S, Z (zombie), … */
  readonly state: string;
  readonly argv: readonly string[];
  /** argv joined by spaces. */
  readonly cmdline: string;
  readonly cwd: string | undefined;
}

/** Every process this user can see, read from /proc. */
export async function processTable(): Promise<ProcessInfo[]> {
  const table: ProcessInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').filter((word) => word !== '');
      const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => undefined);
      table.push({ pid: Number(entry), ppid: Number(ppid), state: state ?? '?', argv, cmdline: argv.join(' '), cwd });
    } catch {
      // Gone while we looked.
    }
  }
  return table;
}

/** The processes below `pid` (children, grandchildren, …). */
export async function descendantsOf(pid: number): Promise<ProcessInfo[]> {
  const table = await processTable();
  const found: ProcessInfo[] = [];
  let parents = new Set([pid]);
  while (parents.size > 0) {
    const next = table.filter((p) => parents.has(p.ppid));
    found.push(...next);
    parents = new Set(next.map((p) => p.pid));
  }
  return found;
}

/** Live (not zombie) processes whose command line or working directory is inside `dir`. */
export async function processesUsing(dir: string): Promise<ProcessInfo[]> {
  return (await processTable()).filter((p) => p.pid !== process.pid && p.state !== 'Z' && (p.cmdline.includes(dir) || (p.cwd !== undefined && (p.cwd === dir || p.cwd.startsWith(dir + sep)))));
}

/** True while `pid` exists and is not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

type Version = readonly [number, number, number];

/**
 * Whether `version` satisfies an npm `engines.node` range, for the forms
 * packages use there: `||` alternatives of space-separated comparators
 * (`>=`, `>`, `<=`, `<`, `=`, `^`, `~`, bare versions) with `x`/`*` or
 * missing parts, and `A - B` hyphen ranges. Anything else throws, so a new
 * form is noticed rather than passed.
 */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version).version;
  return range.split('||').some((alternative) => {
    const text = alternative.trim().replace(/([<>=^~]+)\s+/g, '$1');
    if (text === '' || text === '*' || text === 'x') return true;
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
    if (hyphen) return compare(v, parseVersion(hyphen[1]!).version) >= 0 && upperOk(v, parseVersion(hyphen[2]!));
    return text.split(/\s+/).every((comparator) => comparatorOk(v, comparator));
  });
}

function comparatorOk(v: Version, comparator: string): boolean {
  const match = /^(>=|<=|>|<|=|\^|~)?v?(.+)$/.exec(comparator);
  if (!match) throw new Error(`unsupported range comparator ${JSON.stringify(comparator)}`);
  const operator = match[1] ?? '=';
  const bound = parseVersion(match[2]!);
  const [major, minor, patch] = bound.version;
  switch (operator) {
    case '>=':
      return compare(v, bound.version) >= 0;
    case '>':
      return bound.parts === 3 ? compare(v, bound.version) > 0 : compare(v, bump(bound)) >= 0;
    case '<':
      return compare(v, bound.version) < 0;
    case '<=':
      return bound.parts === 3 ? compare(v, bound.version) <= 0 : compare(v, bump(bound)) < 0;
    case '=':
      return compare(v, bound.version) >= 0 && (bound.parts === 3 ? compare(v, bound.version) === 0 : compare(v, bump(bound)) < 0);
    case '~':
      return compare(v, bound.version) >= 0 && compare(v, bound.parts >= 2 ? [major, minor + 1, 0] : [major + 1, 0, 0]) < 0;
    case '^': {
      const ceiling: Version = major > 0 || bound.parts === 1 ? [major + 1, 0, 0] : minor > 0 || bound.parts === 2 ? [0, minor + 1, 0] : [0, 0, patch + 1];
      return compare(v, bound.version) >= 0 && compare(v, ceiling) < 0;
    }
    default:
      throw new Error(`unsupported operator ${operator}`);
  }
}

function upperOk(v: Version, bound: { version: Version; parts: number }): boolean {
  return bound.parts === 3 ? compare(v, bound.version) <= 0 : compare(v, bump(bound)) < 0;
}

/** The first version past a partial one: 20 → 21.0.0, 20.1 → 20.2.0. */
function bump(bound: { version: Version; parts: number }): Version {
  const [major, minor] = bound.version;
  return bound.parts === 1 ? [major + 1, 0, 0] : [major, minor + 1, 0];
}

/** `20`, `20.x`, `20.10`, `v20.10.0`, `20.10.0-rc.1` (prerelease tags ignored) → the version and how many parts were given. */
function parseVersion(text: string): { version: Version; parts: number } {
  const parts = text.replace(/^v/, '').replace(/[-+].*$/, '').split('.');
  const numbers: number[] = [];
  for (const part of parts) {
    if (part === 'x' || part === 'X' || part === '*') break;
    if (!/^\d+$/.test(part)) throw new Error(`unsupported version ${JSON.stringify(text)}`);
    numbers.push(Number(part));
  }
  if (numbers.length === 0 || numbers.length > 3) throw new Error(`unsupported version ${JSON.stringify(text)}`);
  return { version: [numbers[0]!, numbers[1] ?? 0, numbers[2] ?? 0], parts: numbers.length };
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}
