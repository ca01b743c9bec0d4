/**
 * What every command shares: the I/O it is given (so tests can run commands
 * in-process), its option table (parsed by node:util parseArgs and printed by
 * --help, so the two cannot drift) and the exit-code convention.
 */
import { parseArgs } from 'node:util';
import type { ConfigIssue } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import { commandHelp, HELP_OPTION } from './help.js';

export interface Output {
  write(text: string): unknown;
}

export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** A command: argv after the command name in, exit code out. */
export type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Bad command line: unknown command or option, missing option value. */
export const EXIT_USAGE = 2;

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder shown in help for string options, e.g. `FILE`. */
  readonly placeholder?: string;
  readonly description: string;
  /** Shown in help as "(default: …)". */
  readonly defaultText?: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
}

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/**
 * Parses strictly. Returns the option values, or the exit code when there is
 * nothing left to do: --help was printed (0), or the usage error was (2).
 */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[], io: CliIo): OptionValues | number {
  const parsed = parseCommandLineWithPositionals(spec, argv, io, false);
  return typeof parsed === 'number' ? parsed : parsed.values;
}

/** Like parseCommandLine, for commands that also take positional arguments (the command checks how many). */
export function parseCommandLineWithPositionals(spec: CommandSpec, argv: readonly string[], io: CliIo, allowPositionals = true): { values: OptionValues; positionals: string[] } | number {
  const options = Object.fromEntries(
    Object.entries({ ...spec.options, help: HELP_OPTION }).map(([name, o]) => [name, o.short === undefined ? { type: o.type } : { type: o.type, short: o.short }]),
  );
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (error) {
    return usageError(spec, (error as Error).message, io);
  }
  if (parsed.values.help === true) {
    io.stdout.write(commandHelp(spec));
    return EXIT_OK;
  }
  return parsed;
}

/** Says what is wrong with the command line, then the command's help; returns EXIT_USAGE. */
export function usageError(spec: CommandSpec, problem: string, io: CliIo): number {
  io.stderr.write(`mcp-gateway ${spec.name}: ${problem}\n\n${commandHelp(spec)}`);
  return EXIT_USAGE;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Prints a config or config-file error (every field problem on its own line)
 * and returns the exit code; anything else is a bug and is rethrown.
 */
export function reportConfigError(error: unknown, shown: string, io: CliIo): number {
  if (!GatewayError.is(error)) throw error;
  const issues = error.code === 'MCPGW_ERR_CONFIG' ? ((error.data as { errors?: readonly ConfigIssue[] } | undefined)?.errors ?? []) : [];
  if (issues.length === 0) {
    io.stderr.write(`✗ ${error.message}\n`);
    return EXIT_FAILURE;
  }
  const count = issues.length === 1 ? '1 error' : `${issues.length} errors`;
  io.stderr.write(`✗ ${shown} is invalid (${count}):\n${issues.map((issue) => `  ${issue.path}: ${issue.message}\n`).join('')}`);
  return EXIT_FAILURE;
}
