/**
 * The gateway's logger: pino, JSON lines by default, human-readable when the
 * destination is a TTY. Created once per Gateway and passed down (no global).
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type { PrettyStream } from 'pino-pretty';
import type { LogLevel } from '../config/types.js';
import { REDACTED, REDACTED_LOG_PATHS } from './redact.js';

export type { Logger };

// pino-pretty is loaded only for a terminal: a gateway logging JSON lines (a service, a container) never pays for it.
const require = createRequire(import.meta.url);
const loadPretty = (): typeof import('pino-pretty').build => (require('pino-pretty') as typeof import('pino-pretty')).build;

export function createLogger(level: LogLevel, destination: NodeJS.WritableStream = process.stdout): Logger {
  const isTty = (destination as { isTTY?: boolean }).isTTY === true;
  const stream: PrettyStream | NodeJS.WritableStream = isTty ? loadPretty()({ colorize: true, destination: destination as NodeJS.WritableStream & { fd?: number }, sync: true, ignore: 'pid,hostname' }) : destination;
  // Nothing logs credentials today; the redaction keeps a future `{ server: config }` field from doing so.
  return pino({ level, base: { service: 'mcp-gateway' }, redact: { paths: REDACTED_LOG_PATHS, censor: REDACTED } }, stream as pino.DestinationStream);
}
