/**
 * The config `start` falls back to when no file is given or found: the bundled
 * demo server over stdio, so `npx mcp-gateway start` shows something working.
 */
import { fileURLToPath } from 'node:url';
import { normalizeConfig, type NormalizeOptions } from './load.js';
import type { GatewayConfig } from './types.js';

/** Absolute path of the compiled demo server (dist/src/demo/server.js, next to this file's dist/src/config/). */
export function demoServerPath(): string {
  return fileURLToPath(new URL('../demo/server.js', import.meta.url));
}

/** Validated, defaulted and frozen like any file; `options` carries env and CLI overrides. */
export function embeddedDefaultConfig(options: NormalizeOptions = {}): GatewayConfig {
  const raw = {
    servers: [
      {
        id: 'demo',
        name: 'demo',
        transport: 'stdio',
        command: process.execPath,
        args: [demoServerPath()],
        tags: ['demo'],
        protocol: 'auto',
      },
    ],
  };
  return normalizeConfig(raw, { source: 'embedded default config', ...options });
}
