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

export interface CircuitBreakerConfig {
  readonly enabled: boolean;
  /** Upstream failures in a row that open the circuit. */
  readonly consecutiveFailures: number;
  /** Failure share (0-1) over `windowSeconds` that opens it, once `minimumCalls` were made. */
  readonly errorRate: number;
  readonly minimumCalls: number;
  readonly windowSeconds: number;
  /** How long an open circuit refuses calls before one probe may go through. */
  readonly openSeconds: number;
}

/** Retries for idempotent requests only: `resources/read` and tools annotated readOnlyHint or idempotentHint. */
export interface RetryConfig {
  /** Further attempts after the first (0: no retries). */
  readonly attempts: number;
  readonly backoffMs: number;
}

export interface ServerConfig {
  readonly id: string;
  readonly name: string;
  readonly transport: UpstreamTransport;
  readonly command?: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Names of the gateway's own environment variables a stdio child also gets (beyond `env` and the base PATH, HOME, LANG, TMPDIR). */
  readonly envPassthrough: readonly string[];
  /** Run a stdio child under bubblewrap: read-only root, private /tmp, no network unless `network`. */
  readonly sandbox?: 'bubblewrap' | SandboxConfig;
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
  readonly circuitBreaker: CircuitBreakerConfig;
  readonly retry: RetryConfig;
  /** Check `tools/call` arguments against the tool's `inputSchema` in the worker, before the upstream sees them. */
  readonly validateArguments: boolean;
  /** Largest single upstream message (a stdio line, an HTTP JSON body or SSE event, a WebSocket message). */
  readonly maxResponseBytes: number;
  /** Who the upstream is told a call is for (streamable-http only); absent: only the static `headers`/`env` credentials. */
  readonly identity?: UpstreamIdentityConfig;
  /** The tenant (a key of `tenants`) that owns this server: only its callers (and administrators) ever see or reach it. */
  readonly tenant?: string;
}

/** Caller facts a gateway-signed token may carry; `sub` (the caller's subject, else its name) is always there. */
export type IdentityClaim = 'subject' | 'name' | 'roles' | 'tenant';

/** A JWT the gateway signs per caller: with its own key (published at /.well-known/jwks.json), or HS256 with `secret`. */
export interface SignedIdentityConfig {
  readonly mode: 'signed';
  /** Lower-case header name; `authorization` carries `Bearer <jwt>`, any other header the bare JWT. */
  readonly header: string;
  /** The token's `aud`; the server's url unless configured. */
  readonly audience: string;
  readonly ttlSeconds: number;
  readonly claims: readonly IdentityClaim[];
  /** HS256 shared secret; absent: the gateway's own key pair. */
  readonly secret?: string;
}

/** OAuth 2.0 Token Exchange (RFC 8693): the caller's token (or a gateway-signed one) traded for an upstream token. */
export interface ExchangeIdentityConfig {
  readonly mode: 'exchange';
  readonly header: string;
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly audience?: string;
  readonly resource?: string;
  readonly scope?: string;
  /** The whole exchange (connect, answer, body) must finish within this. */
  readonly timeoutMs: number;
}

export type UpstreamIdentityConfig = SignedIdentityConfig | ExchangeIdentityConfig;

/** The gateway as the issuer of the tokens it signs for upstreams. */
export interface GatewayIdentityConfig {
  /** `iss` of every token the gateway signs. */
  readonly issuer: string;
  /** PEM private key (RSA → RS256, EC P-256/384/521 → ES256/384/512, Ed25519 → EdDSA); absent: an ES256 key pair made at start. */
  readonly signingKey?: string;
  /** `kid` of the key; absent: its RFC 7638 thumbprint. */
  readonly keyId?: string;
}

/** A sliding-window limit: at most `limit` requests in any `windowSeconds`. */
export interface WindowLimit {
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface ApiKeyConfig {
  /** The key itself, or `sha256:<hex>` of it. */
  readonly key: string;
  /** How the caller appears in logs, metrics and the request log (never the key). */
  readonly name: string;
  readonly roles: readonly string[];
  readonly tenant?: string;
  /** Replaces `rateLimit.limit`/`windowSeconds` for this key. */
  readonly rateLimit?: WindowLimit;
}

export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

export interface JwtConfig {
  /** HMAC secret (HS256/384/512). Exactly one of secret, publicKey, jwksUrl — or none when introspection validates tokens. */
  readonly secret?: string;
  /** PEM public key (RS*, PS*, ES*, EdDSA). */
  readonly publicKey?: string;
  /** JWKS document; cached, re-fetched on an unknown `kid`. */
  readonly jwksUrl?: string;
  readonly algorithms?: readonly JwtAlgorithm[];
  readonly issuer?: string | readonly string[];
  readonly audience?: string | readonly string[];
  readonly clockToleranceSeconds: number;
  readonly requiredClaims: readonly string[];
  readonly subjectClaim: string;
  readonly rolesClaim: string;
  readonly scopesClaim: string;
  readonly tenantClaim?: string;
  readonly jwksTimeoutMs: number;
  readonly jwksCacheSeconds: number;
  /** An unknown `kid` re-fetches the JWKS at most this often (a flood of forged kids cannot hammer the IdP). */
  readonly jwksCooldownSeconds: number;
}

export interface IntrospectionConfig {
  /** RFC 7662 endpoint. */
  readonly url: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly timeoutMs: number;
  /** How long an answer is reused (never past the token's own `exp`); 0 disables the cache. */
  readonly cacheSeconds: number;
}

/** The gateway as an OAuth 2.1 resource server (MCP authorization; RFC 9728, RFC 8707). */
export interface OAuthConfig {
  /** This resource's identifier: the URL clients use for `/mcp`. Tokens must name it in `aud`. */
  readonly resource: string;
  readonly authorizationServers: readonly string[];
  /** Scopes every token must carry; a token without them gets 403 insufficient_scope. */
  readonly scopes: readonly string[];
  readonly resourceName?: string;
  readonly introspection?: IntrospectionConfig;
}

export type AuthStrategy = 'api-key' | 'jwt';

export interface AuthConfig {
  /** The strategies a credential is tried against; empty = no authentication. */
  readonly strategies: readonly AuthStrategy[];
  readonly apiKeys: readonly ApiKeyConfig[];
  readonly jwt?: JwtConfig;
  readonly oauth?: OAuthConfig;
  /** Paths served without a credential (`*` at the end matches any rest). */
  readonly publicPaths: readonly string[];
  /** Roles that may use `/api/v1/admin/*` (without authentication: loopback callers only). */
  readonly adminRoles: readonly string[];
}

/** Role → allow/deny over `server/name` globs; deny wins, and nothing allowed means hidden. */
export interface AccessRule {
  /** A role from the key's config or the token's roles claim; `*` is every caller. */
  readonly role: string;
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/** Counters in Redis, shared by every gateway instance using the same server. */
export interface RedisStoreConfig {
  readonly url: string;
  readonly keyPrefix: string;
  /** Longest a limiter round trip may take before `onError` decides. */
  readonly timeoutMs: number;
  /** Redis down or slow: `fail-open` serves the request (logged and counted), `fail-closed` answers 503. */
  readonly onError: 'fail-open' | 'fail-closed';
}

/** What `GET /health/ready` asks of the gateway. */
export interface HealthConfig {
  /** Enabled servers that must be ready (capped at the number enabled; 0: ready once listening). */
  readonly readyMinServers: number;
}

export interface SandboxConfig {
  readonly type: 'bubblewrap';
  /** Default false: the child gets its own empty network namespace (loopback down, nothing reachable). */
  readonly network?: boolean;
  /** Bound read-write; everything else is read-only (/tmp is a private tmpfs). */
  readonly writablePaths?: readonly string[];
  /** Default: `bwrap` on the gateway's PATH. */
  readonly bwrapPath?: string;
}

export interface RateLimitConfig {
  readonly enabled: boolean;
  /** Where counters live: this process, or Redis (one limit across instances). */
  readonly store: 'memory' | 'redis';
  readonly redis: RedisStoreConfig;
  /** Per caller (`perKey`) or for everyone together. */
  readonly limit: number;
  readonly windowSeconds: number;
  readonly perKey: boolean;
  /** Further limits on calls to one server, by server id. */
  readonly perServer: Readonly<Record<string, WindowLimit>>;
  /** Further limits on calls of tools matching a `server/tool` glob. */
  readonly perTool: Readonly<Record<string, WindowLimit>>;
}

/** Whether the request log keeps each call's request and result, and how much of them. */
export interface CaptureConfig {
  /** The request (arguments, the client's `_meta`) of every call. */
  readonly arguments: boolean;
  /** The result of every call. */
  readonly results: boolean;
  /** `server/tool` globs: matching calls are captured in full (request and result). */
  readonly tools: readonly string[];
  /** Each captured value's JSON, after redaction, is cut to this many bytes (with a marker). */
  readonly maxBytes: number;
  /** Object keys (any depth, case-insensitive) whose values are replaced by "[redacted]". */
  readonly redact: readonly string[];
}

/** OpenTelemetry spans exported over OTLP/HTTP (JSON). */
export interface TracingConfig {
  readonly enabled: boolean;
  /** The collector's traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. */
  readonly endpoint: string;
  readonly serviceName: string;
  /** Share of new traces recorded (0-1); a client's sampled flag decides for its own traces. */
  readonly sampleRatio: number;
  readonly headers: Readonly<Record<string, string>>;
  /** How often buffered spans are sent. */
  readonly exportIntervalMs: number;
}

export interface MonitorConfig {
  readonly requestLog: boolean;
  readonly prometheus: boolean;
  readonly retentionHours: number;
  readonly maxEntries: number;
  readonly capture: CaptureConfig;
}

/** The tool annotations an approval rule may match on (MCP's behaviour hints). */
export type ApprovalHint = 'destructiveHint' | 'readOnlyHint' | 'idempotentHint' | 'openWorldHint';

/** One `approval.rules` entry: a call matches when every condition given holds. */
export interface ApprovalRule {
  /** `server/tool` globs (as in `access`); absent: any tool. */
  readonly tools?: readonly string[];
  /** Hint values the tool's catalog annotations must have, e.g. `{destructiveHint: true}`; absent: any annotations. */
  readonly annotations?: Readonly<Partial<Record<ApprovalHint, boolean>>>;
  /** `client`: ask the calling MCP client (elicitation) when it can answer, else hold for an approver; `approver`: always hold. */
  readonly ask: 'client' | 'approver';
  /** Overrides `approval.timeoutSeconds` for this rule. */
  readonly timeoutSeconds?: number;
}

/** Human approval before dangerous tool calls are dispatched. */
export interface ApprovalConfig {
  /** First match wins; empty: no call waits. */
  readonly rules: readonly ApprovalRule[];
  /** How long a call waits for a decision before MCPGW_ERR_APPROVAL_TIMEOUT. */
  readonly timeoutSeconds: number;
  /** Held calls (waiting for an approver) at once on this instance; beyond it a call is refused with MCPGW_ERR_APPROVAL_LIMIT. */
  readonly maxPending: number;
  /** Roles that may decide held calls, besides `auth.adminRoles`. */
  readonly approverRoles: readonly string[];
}

export interface McpEndpointConfig {
  /** `full`: tools/list returns every tool; `search`: two meta-tools (search_tools, call_tool) stand for the catalog. */
  readonly toolDiscovery: 'full' | 'search';
  /** Expose every tool and prompt as `<serverId><separator><name>`, not only names two servers share. */
  readonly alwaysPrefix: boolean;
  /** Joins server id and name in qualified names; 1-8 characters valid in MCP tool names, found in no server id. */
  readonly separator: string;
  /** A 2025 session without requests or an open stream for this long expires (on every instance). */
  readonly sessionIdleSeconds: number;
}

/** Several instances as one gateway, through Redis (see src/cluster/). */
export interface ClusterConfig {
  readonly enabled: boolean;
  /** This instance's name in the registry; default: `<hostname>-<pid>-<random>`. */
  readonly instanceId?: string;
  /** Where the other instances reach this one (forwarded calls); default: http://<host>:<port>. */
  readonly advertiseUrl?: string;
  /** The same on every instance: signs requestState and the instances' internal route. Also from MCP_GATEWAY_CLUSTER_SECRET. */
  readonly secret?: string;
  /** How often this instance renews its entry in the registry. */
  readonly heartbeatSeconds: number;
  /** An entry not renewed for this long is gone (the instance died). */
  readonly instanceTtlSeconds: number;
  readonly redis: {
    /** Default: `rateLimit.redis.url` (so MCP_GATEWAY_REDIS_URL sets both). */
    readonly url?: string;
    /** Namespaces every key and channel; instances sharing one prefix are one cluster. */
    readonly prefix: string;
    readonly timeoutMs: number;
  };
}

export interface GatewayConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly httpEngine: HttpEngineName;
  readonly maxBodyBytes: number;
  /** Request bodies nesting objects/arrays deeper than this are refused before anything recursive touches them. */
  readonly maxJsonDepth: number;
  /** Total size of a request's start line and headers. */
  readonly maxHeaderBytes: number;
  /** Headers and body must have arrived within this long (slow-client bound). */
  readonly requestTimeoutMs: number;
  /** Unsent bytes an SSE stream may hold for a client that does not read before it is cut. */
  readonly maxStreamBufferBytes: number;
  /** How long a graceful stop waits for calls in flight. */
  readonly shutdownGraceSeconds: number;
  readonly auth: AuthConfig;
  readonly identity: GatewayIdentityConfig;
  /** Absent: every authenticated caller may use every tool, resource and prompt. */
  readonly access?: readonly AccessRule[];
  readonly rateLimit: RateLimitConfig;
  readonly health: HealthConfig;
  readonly monitor: MonitorConfig;
  readonly tracing: TracingConfig;
  readonly corsOrigins: readonly string[];
  readonly mcp: McpEndpointConfig;
  readonly approval: ApprovalConfig;
  readonly cluster: ClusterConfig;
  readonly servers: readonly ServerConfig[];
  /** Named bundles of tools, resources and prompts, each served at `/mcp/<name>` (restart to change); tenants' own bundles included, with `tenant` set. */
  readonly virtualServers: readonly VirtualServerConfig[];
  /** Multi-tenant mode when not empty: by tenant name. */
  readonly tenants: Readonly<Record<string, TenantConfig>>;
}

/** One tenant: its own servers (`servers[].tenant`), a share of the untenanted ones, its limits. */
export interface TenantConfig {
  readonly name: string;
  /** `server/name` globs over the untenanted servers' tools, resource URIs and prompts this tenant may use; empty: none. */
  readonly share: readonly string[];
  /** A window limit on the calls of all the tenant's callers together. */
  readonly rateLimit?: WindowLimit;
  /** Calls per UTC day, all the tenant's callers together. */
  readonly quota?: TenantQuota;
}

export interface TenantQuota {
  readonly callsPerDay: number;
}

/** A virtual server: a selection from any upstreams, its own MCP endpoint and REST scope. */
export interface VirtualServerConfig {
  /** URL-safe: the endpoint is `/mcp/<name>`. */
  readonly name: string;
  readonly description?: string;
  /** Every tool, resource and prompt of these servers. */
  readonly servers: readonly string[];
  /** Every tool, resource and prompt of the servers carrying one of these tags. */
  readonly tags: readonly string[];
  /** `server/name` globs (a glob without "/" names the tool on every server). */
  readonly tools: readonly string[];
  /** `server/uri` globs over resource URIs and URI templates. */
  readonly resources: readonly string[];
  readonly prompts: readonly string[];
  /** By `server/tool`: the name and description the bundle exposes instead. */
  readonly overrides: Readonly<Record<string, { readonly name?: string; readonly description?: string }>>;
  /** Defaults to `mcp.toolDiscovery`. */
  readonly toolDiscovery?: 'full' | 'search';
  /** The tenant that owns it (declared under `tenants.<name>.virtualServers`): it selects only from that tenant's view. */
  readonly tenant?: string;
  /** Absent: every caller may use it; else a key named in `keys`, a caller with one of `roles`, or of one of `tenants` (a key's `tenant`, `auth.jwt.tenantClaim`). */
  readonly allow?: { readonly keys?: readonly string[]; readonly roles?: readonly string[]; readonly tenants?: readonly string[] };
}
