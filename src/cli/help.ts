/** Help and version text. Rendering only: the option tables live with their commands. */
import { CONFIG_PATH_VARIABLE } from '../config/env.js';
import { VERSION } from '../version.js';
import type { CommandSpec, OptionSpec } from './args.js';

/** Every command takes it; parseCommandLine adds it. */
export const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'Show this help' };

export function version(): string {
  return VERSION;
}

export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, help: HELP_OPTION }).map(([name, option]) => [flagText(name, option), describe(option)] as const);
  return [`Usage: ${spec.usage}`, '', spec.summary, '', 'Options:', ...table(rows), ''].join('\n');
}

export function globalHelp(commands: readonly CommandSpec[]): string {
  return [
    `mcp-gateway ${VERSION}: one observable endpoint in front of many MCP servers`,
    '',
    'Usage: mcp-gateway <command> [options]',
    '',
    'Commands:',
    ...table([...commands.map((c) => [c.name, firstSentence(c.summary)] as const), ['help [command]', 'Show help for a command']]),
    '',
    'Options:',
    ...table([
      ['-h, --help', 'Show this help (mcp-gateway <command> --help for a command)'],
      ['-v, --version', 'Print the version'],
    ]),
    '',
    'Environment:',
    ...table([
      [CONFIG_PATH_VARIABLE, 'Config file to use when -c is not given'],
      ['MCP_GATEWAY_PORT', "Overrides the config's port (flags override both)"],
      ['MCP_GATEWAY_HOST', "Overrides the config's host"],
      ['MCP_GATEWAY_LOG_LEVEL', "Overrides the config's logLevel"],
      ['MCP_GATEWAY_REDIS_URL', "Overrides rateLimit.redis.url (and the cluster's Redis)"],
      ['MCP_GATEWAY_CLUSTER_SECRET', 'Sets cluster.secret (the same on every instance)'],
    ]),
    '',
  ].join('\n');
}

function flagText(name: string, option: OptionSpec): string {
  const short = option.short === undefined ? '    ' : `-${option.short}, `;
  const value = option.type === 'string' ? ` ${option.placeholder ?? 'VALUE'}` : '';
  return `${short}--${name}${value}`;
}

function describe(option: OptionSpec): string {
  return option.defaultText === undefined ? option.description : `${option.description} (default: ${option.defaultText})`;
}

function firstSentence(text: string): string {
  return text.split(/(?<=\.)\s/)[0] ?? text;
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length)) + 3;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`);
}
