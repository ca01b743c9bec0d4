/** Public types of the Gateway facade (src/gateway.ts), kept apart so the CLI and embedders depend on types only. */
import type { GatewayConfig, HttpEngineName, LogLevel } from './config/types.js';
import type { RateLimitStore } from './policy/rate-limit.js';

export type ServerState = 'starting' | 'ready' | 'unhealthy' | 'restarting' | 'failed' | 'stopping' | 'stopped' | 'disabled';

export type ProtocolEra = 'modern' | 'legacy';

export interface StartReportEntry {
  readonly id: string;
  readonly name: string;
  readonly ok: boolean;
  /** Tools available once ready (0 when not ok). */
  readonly tools: number;
  /** The negotiated protocol version, e.g. `2026-07-28` or `2025-11-25`. */
  readonly protocolVersion?: string;
  /** Why the server is not ready. */
  readonly reason?: string;
}

export interface StartReport {
  /** Base URL of the front door, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly port: number;
  readonly httpEngine: 'uws' | 'node';
  readonly servers: readonly StartReportEntry[];
}

export interface GatewayOptions {
  /** Override the config's engine choice (`--http-engine`). */
  readonly httpEngine?: HttpEngineName;
  /** Default replicas for servers that do not set `replicas` (`--workers N`). */
  readonly workers?: number;
  readonly logLevel?: LogLevel;
  /** Where the JSON log goes; defaults to stdout (pretty when stdout is a TTY). */
  readonly logDestination?: NodeJS.WritableStream;
  /** Where `reload()` without an argument, SIGHUP, --watch and POST /api/v1/admin/reload read the new config from (the CLI passes the file it started with). */
  readonly configSource?: () => Promise<GatewayConfig>;
  /** Where rate-limit counters live (a shared store for several instances); in memory by default. */
  readonly rateLimitStore?: RateLimitStore;
}
