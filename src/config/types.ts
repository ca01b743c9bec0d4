/**
 * The normalised configuration: what every part of the gateway reads. The file
 * (YAML or JSON) is validated against `schema.ts`, defaults are filled in, the
 * seed's aliases are folded into one vocabulary, and the result is deep-frozen.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** `sse` is the legacy HTTP+SSE transport (2024-11-05); `streamable-http` the current one. */
export type UpstreamTransport = 'stdio' | 'streamable-http' | 'sse' | 'websocket';

/** `auto` probes with `server/discover`; the other two skip the probe. */
export type ProtocolPreference = 'auto' | '2026-07-28' | 'legacy';

export type HttpEngineName = 'auto' | 'uws' | 'node';

export interface HealthCheckConfig {
  readonly enabled: boolean;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  /** Consecutive missed checks before the server is marked unhealthy and restarted. */
  readonly unhealthyThreshold: number;
}

/**
 * Restart policy, in OTP's vocabulary (intensity/period) with our extension of
 * exponential backoff with jitter; OTP itself restarts at once.
 */
export interface RestartConfig {
  /** More than this many restarts within `windowSeconds` and the server is `failed`. */
  readonly maxRestarts: number;
  readonly windowSeconds: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export interface ServerConfig {
  readonly id: string;
  readonly name: string;
  readonly transport: UpstreamTransport;
  readonly command?: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly url?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  readonly enabled: boolean;
  /** Per-call timeout in milliseconds, queue wait included. */
  readonly timeout: number;
  /** Calls in flight to one replica at once. */
  readonly maxConcurrency: number;
  /** Calls waiting for a slot on one replica before new ones get 503. */
  readonly maxQueue: number;
  /** Workers (each with its own connection or process) for this upstream. */
  readonly replicas: number;
  readonly protocol: ProtocolPreference;
  /** How long connecting (spawn, probe, handshake, first listing) may take. */
  readonly startupTimeoutMs: number;
  readonly healthCheck: HealthCheckConfig;
  readonly restart: RestartConfig;
}

export interface ApiKeyConfig {
  readonly key: string;
  readonly name?: string;
}

export interface AuthConfig {
  readonly strategy: 'none' | 'api-key' | 'jwt';
  readonly apiKeys: readonly (string | ApiKeyConfig)[];
  readonly jwt?: Readonly<Record<string, unknown>>;
}

export interface RateLimitConfig {
  readonly enabled: boolean;
  readonly limit: number;
  readonly windowSeconds: number;
  readonly perKey: boolean;
}

export interface MonitorConfig {
  readonly requestLog: boolean;
  readonly prometheus: boolean;
  readonly retentionHours: number;
  readonly maxEntries: number;
}

export interface McpEndpointConfig {
  /** `full`: tools/list returns every tool; `search`: two meta-tools (search_tools, call_tool) stand for the catalog. */
  readonly toolDiscovery: 'full' | 'search';
  /** Expose every tool and prompt as `<serverId><separator><name>`, not only names two servers share. */
  readonly alwaysPrefix: boolean;
  /** Joins server id and name in qualified names; 1-8 characters valid in MCP tool names, found in no server id. */
  readonly separator: string;
}

export interface GatewayConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly httpEngine: HttpEngineName;
  readonly maxBodyBytes: number;
  /** How long a graceful stop waits for calls in flight. */
  readonly shutdownGraceSeconds: number;
  readonly auth: AuthConfig;
  readonly rateLimit: RateLimitConfig;
  readonly monitor: MonitorConfig;
  readonly corsOrigins: readonly string[];
  readonly mcp: McpEndpointConfig;
  readonly servers: readonly ServerConfig[];
}
