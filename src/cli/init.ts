/** `mcp-gateway init`: write the commented config template. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/defaults.js';
import { configTemplate } from '../config/template.js';
import { EXIT_FAILURE, EXIT_OK, parseCommandLine, stringOption, type CliIo, type CommandSpec } from './args.js';

export const initSpec: CommandSpec = {
  name: 'init',
  usage: 'mcp-gateway init [-c FILE] [--force]',
  summary: 'Write a commented config file with the bundled demo server and examples of every transport.',
  options: {
    config: { type: 'string', short: 'c', placeholder: 'FILE', description: 'Where to write it', defaultText: `./${DEFAULT_CONFIG_FILE}` },
    force: { type: 'boolean', description: 'Overwrite the file if it exists', defaultText: 'off' },
  },
};

export async function runInit(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandLine(initSpec, argv, io);
  if (typeof values === 'number') return values;
  const file = stringOption(values, 'config') ?? DEFAULT_CONFIG_FILE;
  const path = resolve(io.cwd, file);
  try {
    // 'wx' fails if the file exists, with no window between checking and writing.
    await writeFile(path, configTemplate(), { flag: values.force === true ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr.write(
      code === 'EEXIST'
        ? `✗ ${file} already exists; not overwriting it (use --force to replace it)\n`
        : `✗ cannot write ${file}: ${(error as Error).message}\n`,
    );
    return EXIT_FAILURE;
  }
  const flag = file === DEFAULT_CONFIG_FILE ? '' : ` -c ${file}`;
  io.stdout.write(`✓ wrote ${file}\n  check it:  mcp-gateway validate${flag}\n  run it:    mcp-gateway start${flag}\n`);
  return EXIT_OK;
}
