/**
 * The gateway's logger: pino, JSON lines by default, human-readable when the
 * destination is a TTY. Created once per Gateway and passed down (no global).
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../config/types.js';
import { REDACTED, REDACTED_LOG_PATHS } from './redact.js';

export type { Logger };

export function createLogger(level: LogLevel, destination: NodeJS.WritableStream = process.stdout): Logger {
  const isTty = (destination as { isTTY?: boolean }).isTTY === true;
  const stream = isTty ? pretty({ colorize: true, destination: destination as NodeJS.WritableStream & { fd?: number }, sync: true, ignore: 'pid,hostname' }) : destination;
  // Nothing logs credentials today; the redaction keeps a future `{ server: config }` field from doing so.
  return pino({ level, base: { service: 'mcp-gateway' }, redact: { paths: REDACTED_LOG_PATHS, censor: REDACTED } }, stream as pino.DestinationStream);
}
