#!/usr/bin/env node
/** The `mcp-gateway` command: dispatches to one module per command. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_OK, EXIT_USAGE, type CliIo, type Command, type CommandSpec } from './args.js';
import { benchSpec, runBench } from './bench.js';
import { commandHelp, globalHelp, version } from './help.js';
import { connectSpec, runConnect } from './connect.js';
import { initSpec, runInit } from './init.js';
import { replaySpec, runReplay } from './replay.js';
import { runStart, startSpec } from './start.js';
import { runValidate, validateSpec } from './validate.js';

const COMMANDS: ReadonlyMap<string, { readonly spec: CommandSpec; readonly run: Command }> = new Map([
  ['init', { spec: initSpec, run: runInit }],
  ['validate', { spec: validateSpec, run: runValidate }],
  ['start', { spec: startSpec, run: runStart }],
  ['connect', { spec: connectSpec, run: runConnect }],
  ['bench', { spec: benchSpec, run: runBench }],
  ['replay', { spec: replaySpec, run: runReplay }],
]);

const SPECS = [...COMMANDS.values()].map((c) => c.spec);

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help') return print(io, globalHelp(SPECS));
  if (first === '-v' || first === '--version') return print(io, `${version()}\n`);
  if (first === 'help') {
    const topic = rest[0] === undefined ? undefined : COMMANDS.get(rest[0]);
    if (rest[0] === undefined) return print(io, globalHelp(SPECS));
    if (topic !== undefined) return print(io, commandHelp(topic.spec));
  }
  const command = first === undefined ? undefined : COMMANDS.get(first);
  if (command !== undefined) return command.run(rest, io);
  const problem = first === undefined ? 'no command given' : first === 'help' ? `no command "${rest[0] ?? ''}"` : first.startsWith('-') ? `unknown option "${first}"` : `unknown command "${first}"`;
  io.stderr.write(`mcp-gateway: ${problem}\n\n${globalHelp(SPECS)}`);
  return EXIT_USAGE;
}

function print(io: CliIo, text: string): number {
  io.stdout.write(text);
  return EXIT_OK;
}

function isEntryPoint(): boolean {
  // npm runs bins through a symlink (node_modules/.bin/mcp-gateway), hence realpath.
  const invoked = process.argv[1];
  try {
    return invoked !== undefined && realpathSync(invoked) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
  process.exitCode = code;
  // Exit on our own once done, but if some handle outlives the work (a stuck child), do not hang on it.
  setTimeout(() => process.exit(code), 2000).unref();
}
