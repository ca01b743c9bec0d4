/**
 * Every default in one place. The schema points its `default` keywords here
 * (ajv fills them in while validating), and `--help` prints them, so the three
 * can never disagree.
 */
import type { GatewayConfig, ServerConfig } from './types.js';

export const MIB = 1024 * 1024;

/** Top-level defaults (everything but `servers`). */
export const DEFAULTS = {
  port: 4000,
  host: '127.0.0.1',
  logLevel: 'info',
  httpEngine: 'auto',
  maxBodyBytes: 4 * MIB,
  maxJsonDepth: 64,
  maxHeaderBytes: 16 * 1024,
  requestTimeoutMs: 30_000,
  maxStreamBufferBytes: 8 * MIB,
  shutdownGraceSeconds: 10,
  // `/.well-known/*` covers the OAuth metadata and the JWKS upstreams verify the gateway's tokens with.
  auth: { strategy: 'none', apiKeys: [], publicPaths: ['/api/v1/health', '/health/live', '/health/ready', '/.well-known/*'], adminRoles: ['admin'] },
  identity: { issuer: 'mcp-gateway' },
  rateLimit: {
    enabled: false,
    store: 'memory',
    redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'mcpgw:rl:', timeoutMs: 250, onError: 'fail-open' },
    limit: 100,
    windowSeconds: 60,
    perKey: true,
    perServer: {},
    perTool: {},
  },
  health: { readyMinServers: 1 },
  monitor: {
    requestLog: true,
    prometheus: true,
    retentionHours: 24,
    maxEntries: 10_000,
    capture: { arguments: false, results: false, tools: [], maxBytes: 4096, redact: ['password', 'token', 'authorization', 'secret', 'apiKey', 'api_key', 'accessToken', 'access_token', 'refreshToken', 'cookie'] },
  },
  tracing: { enabled: false, endpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'mcp-gateway', sampleRatio: 1, headers: {}, exportIntervalMs: 2000 },
  corsOrigins: [],
  mcp: { toolDiscovery: 'full', alwaysPrefix: false, separator: '__', sessionIdleSeconds: 1800 },
  approval: { rules: [], timeoutSeconds: 300, maxPending: 100, approverRoles: [] },
  cluster: { enabled: false, heartbeatSeconds: 5, instanceTtlSeconds: 15, redis: { prefix: 'mcpgw:cluster:', timeoutMs: 500 } },
  virtualServers: [],
  tenants: {},
} as const satisfies Omit<GatewayConfig, 'servers' | 'access' | 'auth' | 'rateLimit'> & { auth: object; rateLimit: object };

/** Defaults inside optional blocks: they apply only when the block is present. */
export const OPTIONAL_BLOCK_DEFAULTS = {
  jwt: { clockToleranceSeconds: 5, subjectClaim: 'sub', rolesClaim: 'roles', scopesClaim: 'scope', jwksTimeoutMs: 3000, jwksCacheSeconds: 600, jwksCooldownSeconds: 30 },
  introspection: { timeoutMs: 3000, cacheSeconds: 60 },
  /** `servers[].identity`: `header` for both modes, `ttlSeconds`/`claims` for signed, `timeoutMs` for exchange. */
  identity: { header: 'authorization', ttlSeconds: 60, claims: ['subject', 'name', 'roles', 'tenant'], timeoutMs: 3000 },
} as const;

/**
 * Per-server defaults. `name` is absent on purpose: it defaults to the
 * server's `id`, which no static table can express.
 */
export const SERVER_DEFAULTS = {
  args: [],
  env: {},
  envPassthrough: [],
  headers: {},
  tags: [],
  enabled: true,
  timeout: 30_000,
  maxConcurrency: 16,
  maxQueue: 256,
  replicas: 1,
  protocol: 'auto',
  startupTimeoutMs: 30_000,
  healthCheck: { enabled: true, intervalSeconds: 30, timeoutSeconds: 5, unhealthyThreshold: 3 },
  restart: { maxRestarts: 5, windowSeconds: 60, initialDelayMs: 500, maxDelayMs: 30_000 },
  circuitBreaker: { enabled: true, consecutiveFailures: 5, errorRate: 0.5, minimumCalls: 20, windowSeconds: 30, openSeconds: 10 },
  retry: { attempts: 0, backoffMs: 100 },
  validateArguments: true,
  maxResponseBytes: 16 * MIB,
} as const satisfies Omit<ServerConfig, 'id' | 'name' | 'transport' | 'command' | 'cwd' | 'url'>;

/** The file `init` writes and `start`/`validate` look for when no path is given. */
export const DEFAULT_CONFIG_FILE = 'mcp-gateway.yml';
