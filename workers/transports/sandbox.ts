/**
 * What a stdio child may see of the gateway's machine.
 *
 * Environment: an allowlist. The child gets the base below, the names the
 * server lists in `envPassthrough`, then the server's own `env`; nothing else
 * of the gateway's environment (its API keys, tokens, cloud credentials).
 *
 * `sandbox: bubblewrap`: the child runs under `bwrap` with the root bound
 * read-only, a fresh /dev and /proc, a private tmpfs on /tmp, its own PID, IPC
 * and UTS namespaces, no network unless `network: true`, and only
 * `writablePaths` writable. `--die-with-parent` ends the child if bwrap dies;
 * bwrap stays in the gateway's process group for the child (no
 * `--new-session`: that would take the child out of the group the gateway
 * signals on stop; its stdin is a pipe, never a terminal, so the TIOCSTI
 * escape `--new-session` guards against does not apply).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { GatewayError } from '../../src/errors.js';
import type { SandboxConfig } from '../../src/config/types.js';

/** What every child gets from the gateway's environment: enough to find programs, a home (npm's cache), a locale and a temp dir. */
export const BASE_ENV = ['PATH', 'HOME', 'LANG', 'TMPDIR'] as const;

export function childEnvironment(env: Readonly<Record<string, string>>, passthrough: readonly string[] = [], from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const child: Record<string, string> = {};
  for (const key of [...BASE_ENV, ...passthrough]) {
    const value = from[key];
    // Exported bash functions start with "()": never pass them on.
    if (value !== undefined && !value.startsWith('()')) child[key] = value;
  }
  return { ...child, ...env };
}

export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
}

/** The command line that runs `command` inside the sandbox; throws MCPGW_ERR_SANDBOX_UNAVAILABLE when bwrap is not there. */
export function sandboxedLaunch(command: string, args: readonly string[], sandbox: 'bubblewrap' | SandboxConfig, searchPath = process.env.PATH ?? ''): Launch {
  const options: SandboxConfig = sandbox === 'bubblewrap' ? { type: 'bubblewrap' } : sandbox;
  const bwrap = findExecutable(options.bwrapPath ?? 'bwrap', searchPath);
  if (bwrap === undefined) {
    throw new GatewayError('MCPGW_ERR_SANDBOX_UNAVAILABLE', `sandbox: bubblewrap needs the bwrap binary, and "${options.bwrapPath ?? 'bwrap'}" is not ${options.bwrapPath?.includes('/') ? 'an executable file' : 'on the PATH'} (apt-get install bubblewrap, or set sandbox.bwrapPath); the server is not started unsandboxed`);
  }
  const bwrapArgs = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent'];
  if (options.network !== true) bwrapArgs.push('--unshare-net');
  // After /tmp's tmpfs, so a writable path under /tmp is the real one.
  for (const path of options.writablePaths ?? []) bwrapArgs.push('--bind', path, path);
  return { command: bwrap, args: [...bwrapArgs, '--', command, ...args] };
}

function findExecutable(name: string, searchPath: string): string | undefined {
  const candidates = name.includes('/') ? [name] : searchPath.split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
