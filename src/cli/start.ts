/**
 * `mcp-gateway start`: pick the config, apply the flags, refuse settings this
 * version does not enforce, run the gateway until SIGTERM/SIGINT.
 */
import { embeddedDefaultConfig } from '../config/default-config.js';
import { DEFAULT_CONFIG_FILE, DEFAULTS } from '../config/defaults.js';
import { CONFIG_PATH_VARIABLE, type ConfigOverride, type OverrideKey } from '../config/env.js';
import { loadConfig, securityWarnings, locateConfig, type ConfigLocation } from '../config/load.js';
import { configSchema, show } from '../config/schema.js';
import type { GatewayConfig } from '../config/types.js';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { GatewayOptions, StartReport } from '../gateway-types.js';
import type { ReloadReport } from '../gateway.js';
import { EXIT_FAILURE, EXIT_OK, parseCommandLine, reportConfigError, stringOption, type CliIo, type CommandSpec, type OptionValues } from './args.js';

const REPLICAS = configSchema.properties.servers.items.properties.replicas;

export const startSpec: CommandSpec = {
  name: 'start',
  usage: 'mcp-gateway start [-c FILE] [--port N] [--host H] [--workers N] [--log-level L] [--http-engine E] [--watch]',
  summary:
    'Start the gateway: connect to every enabled server, then serve MCP on /mcp and REST on /api/v1. ' +
    'Flags override the config file and MCP_GATEWAY_* variables. SIGTERM or Ctrl-C stops it gracefully (a second one at once); ' +
    'SIGHUP reloads the config file (servers, auth, access, rate limits).',
  options: {
    config: {
      type: 'string',
      short: 'c',
      placeholder: 'FILE',
      description: 'Config file',
      defaultText: `$${CONFIG_PATH_VARIABLE}, else ./${DEFAULT_CONFIG_FILE}, else a built-in config running the demo server`,
    },
    port: { type: 'string', placeholder: 'N', description: 'Port to listen on, 0 for any free one', defaultText: `the config's port, ${DEFAULTS.port}` },
    host: { type: 'string', placeholder: 'H', description: 'Interface to listen on', defaultText: `the config's host, ${DEFAULTS.host}` },
    workers: {
      type: 'string',
      placeholder: 'N',
      description: `Replicas (${REPLICAS.minimum}-${REPLICAS.maximum}) of each server that does not set its own "replicas"`,
      defaultText: String(REPLICAS.default),
    },
    'log-level': {
      type: 'string',
      placeholder: 'L',
      description: configSchema.properties.logLevel.enum.join('|'),
      defaultText: `the config's logLevel, ${DEFAULTS.logLevel}`,
    },
    'http-engine': {
      type: 'string',
      placeholder: 'E',
      description: configSchema.properties.httpEngine.enum.join('|'),
      defaultText: `the config's httpEngine, ${DEFAULTS.httpEngine}`,
    },
    watch: { type: 'boolean', description: 'Reload the config file whenever it changes (as SIGHUP does)', defaultText: 'off' },
  },
};

/** Flags that set config fields, validated by the config pipeline like the file's own values. */
const FLAG_FIELDS: readonly (readonly [string, OverrideKey])[] = [
  ['port', 'port'],
  ['host', 'host'],
  ['log-level', 'logLevel'],
  ['http-engine', 'httpEngine'],
];

export async function runStart(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandLine(startSpec, argv, io);
  if (typeof values === 'number') return values;

  const workers = parseWorkers(stringOption(values, 'workers'));
  if (typeof workers === 'string') {
    io.stderr.write(`✗ --workers: ${workers}\n`);
    return EXIT_FAILURE;
  }

  const location = await locateConfig(stringOption(values, 'config'), { env: io.env, cwd: io.cwd });
  io.stderr.write(`mcp-gateway: ${describeSource(location)}\n`);
  let config: GatewayConfig;
  const options = { env: io.env, cwd: io.cwd, overrides: flagOverrides(values) };
  const load = (): Promise<GatewayConfig> => (location === undefined ? Promise.resolve(embeddedDefaultConfig(options)) : loadConfig(location.path, options));
  try {
    config = await load();
  } catch (error) {
    return reportConfigError(error, location?.path ?? 'the built-in config', io);
  }

  for (const warning of securityWarnings(config)) io.stderr.write(`⚠ ${warning}\n`);
  const gatewayOptions: GatewayOptions = {
    configSource: load,
    ...(workers === undefined ? {} : { workers }),
    ...(values['http-engine'] === undefined ? {} : { httpEngine: config.httpEngine }),
    ...(values['log-level'] === undefined ? {} : { logLevel: config.logLevel }),
  };
  const { Gateway } = await import('../gateway.js');
  if (values.watch === true && location === undefined) io.stderr.write('⚠ --watch: there is no config file to watch (running the built-in config)\n');
  return run(new Gateway(config, gatewayOptions), io, values.watch === true ? location?.path : undefined);
}

interface Reloadable {
  start(): Promise<StartReport>;
  stop(): Promise<void>;
  reloadFromSource(): Promise<ReloadReport>;
}

/** Runs until a signal: the first stops gracefully (exit 0), a second exits 1 at once; SIGHUP (and, with --watch, a change of the file) reloads. */
async function run(gateway: Reloadable, io: CliIo, watchPath: string | undefined): Promise<number> {
  let stopping = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const stopWith = (code: number) => {
    stopping = true;
    gateway.stop().then(
      () => finish(code),
      (error: unknown) => {
        io.stderr.write(`✗ stopping failed: ${(error as Error).message}\n`);
        finish(EXIT_FAILURE);
      },
    );
  };
  const onStop = (signal: NodeJS.Signals) => {
    if (stopping) {
      io.stderr.write(`mcp-gateway: ${signal} again, exiting now\n`);
      process.exit(EXIT_FAILURE);
    }
    io.stderr.write(`mcp-gateway: ${signal}, stopping (send it again to exit at once)\n`);
    stopWith(EXIT_OK);
  };
  const reload = (why: string) => {
    if (stopping) return;
    gateway.reloadFromSource().then(
      (report) => io.stderr.write(`mcp-gateway: ${why}: ${formatReload(report)}\n`),
      (error: unknown) => io.stderr.write(`✗ mcp-gateway: ${why}: ${(error as Error).message}\n`),
    );
  };
  const onHangup = () => reload('SIGHUP');
  const watcher = watchPath === undefined ? undefined : watchFile(watchPath, () => reload(`${basename(watchPath)} changed`));
  // Installed before start() so that Ctrl-C while servers are still connecting stops them too.
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  process.on('SIGHUP', onHangup);
  try {
    gateway.start().then(
      (report) => {
        if (!stopping) io.stdout.write(formatReport(report));
      },
      (error: unknown) => {
        io.stderr.write(`✗ ${(error as Error).message}\n`);
        if (!stopping) stopWith(EXIT_FAILURE);
      },
    );
    return await finished;
  } finally {
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
    process.off('SIGHUP', onHangup);
    watcher?.close();
  }
}

/** Editors replace files rather than write them, so the directory is watched; bursts of events become one reload. */
function watchFile(path: string, changed: () => void): FSWatcher {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dirname(path), (_event, filename) => {
    if (filename !== name) return;
    clearTimeout(timer);
    timer = setTimeout(changed, 200);
  });
  watcher.on('close', () => clearTimeout(timer));
  return watcher;
}

export function formatReload(report: ReloadReport): string {
  const parts = [
    report.added.length > 0 ? `added ${report.added.join(', ')}` : '',
    report.removed.length > 0 ? `removed ${report.removed.join(', ')}` : '',
    report.replaced.length > 0 ? `replaced ${report.replaced.join(', ')}` : '',
    report.failed.length > 0 ? `failed ${report.failed.map((f) => `${f.id} (${f.reason})`).join(', ')}` : '',
    report.restartRequired.length > 0 ? `needs a restart to change ${report.restartRequired.join(', ')}` : '',
  ].filter((part) => part !== '');
  return `config reloaded${parts.length > 0 ? `: ${parts.join('; ')}` : ' (servers unchanged)'}`;
}

export function formatReport(report: StartReport): string {
  const lines = report.servers.map((server) => {
    if (!server.ok) return `✗ ${server.name} — ${server.reason ?? 'not ready'}`;
    const tools = server.tools === 1 ? '1 tool' : `${server.tools} tools`;
    return `✓ ${server.name} — ${tools} available (MCP ${server.protocolVersion ?? 'version unknown'})`;
  });
  lines.push(`mcp-gateway listening on ${report.url} (${report.httpEngine})`, `MCP endpoint: ${report.url}/mcp   REST: ${report.url}/api/v1`);
  return `${lines.join('\n')}\n`;
}

function describeSource(location: ConfigLocation | undefined): string {
  if (location === undefined) {
    return `no -c, no $${CONFIG_PATH_VARIABLE}, no ./${DEFAULT_CONFIG_FILE}: using the built-in config (the demo server; mcp-gateway init writes a file to edit)`;
  }
  const how = { argument: '-c', env: `$${CONFIG_PATH_VARIABLE}`, cwd: 'found in the current directory' }[location.origin];
  return `config ${location.path} (${how})`;
}

function flagOverrides(values: OptionValues): ConfigOverride[] {
  return FLAG_FIELDS.flatMap(([flag, key]) => {
    const value = values[flag];
    return typeof value === 'string' ? [{ key, value, source: `--${flag}` }] : [];
  });
}

/** The number, undefined when absent, or what is wrong with it. */
function parseWorkers(text: string | undefined): number | undefined | string {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (/^\s*\d+\s*$/.test(text) && n >= REPLICAS.minimum && n <= REPLICAS.maximum) return n;
  return `must be an integer between ${REPLICAS.minimum} and ${REPLICAS.maximum} (got ${show(text)})`;
}
