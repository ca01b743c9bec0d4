/** `mcp-gateway validate`: load the config, report every problem, warn about risky settings. */
import { CONFIG_PATH_VARIABLE } from '../config/env.js';
import { DEFAULT_CONFIG_FILE } from '../config/defaults.js';
import { loadConfig, locateConfig, securityWarnings } from '../config/load.js';
import { EXIT_FAILURE, EXIT_OK, parseCommandLine, reportConfigError, stringOption, type CliIo, type CommandSpec } from './args.js';

export const validateSpec: CommandSpec = {
  name: 'validate',
  usage: 'mcp-gateway validate [-c FILE]',
  summary: 'Check a config file and list every problem in it, one per line. Exits 0 when it is valid, 1 when not.',
  options: {
    config: { type: 'string', short: 'c', placeholder: 'FILE', description: 'Config file', defaultText: `$${CONFIG_PATH_VARIABLE}, else ./${DEFAULT_CONFIG_FILE}` },
  },
};

export async function runValidate(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandLine(validateSpec, argv, io);
  if (typeof values === 'number') return values;
  const given = stringOption(values, 'config');
  const location = await locateConfig(given, { env: io.env, cwd: io.cwd });
  if (location === undefined) {
    io.stderr.write(`✗ no config file: pass -c FILE, set ${CONFIG_PATH_VARIABLE}, or write one with mcp-gateway init\n`);
    return EXIT_FAILURE;
  }
  const shown = given ?? (location.origin === 'env' ? io.env[CONFIG_PATH_VARIABLE] : undefined) ?? DEFAULT_CONFIG_FILE;
  try {
    const config = await loadConfig(location.path, { env: io.env, cwd: io.cwd });
    const ids = config.servers.map((s) => s.id);
    const count = ids.length === 1 ? '1 server' : `${ids.length} servers`;
    io.stdout.write(`✓ ${shown} is valid: ${count}${ids.length > 0 ? ` (${ids.join(', ')})` : ''}\n`);
    for (const warning of securityWarnings(config)) io.stderr.write(`⚠ ${warning}\n`);
    return EXIT_OK;
  } catch (error) {
    return reportConfigError(error, shown, io);
  }
}
