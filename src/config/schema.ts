/**
 * The config file's JSON Schema (draft-07), its one validator (compiled ahead
 * of time: config-validator.ts), and the translation of ajv's errors into
 * `<path>: <what is wrong>` lines a person can act on.
 *
 * Two annotation keywords carry what the error wording needs and JSON Schema
 * has no word for: `x-aliases` (enum values accepted but folded into a
 * canonical one, kept out of "must be one of" lists) and `x-messages` (the
 * sentence to show when a `pattern`/`not`/`format` check fails, instead of
 * a regular expression).
 */
import type { ErrorObject } from 'ajv';
import { loadValidator } from './config-validator.js';
import { DEFAULTS, OPTIONAL_BLOCK_DEFAULTS, SERVER_DEFAULTS } from './defaults.js';
import { SEPARATOR_PATTERN } from '../qualified-names.js';

export interface ConfigIssue {
  /** Field path in dotted/bracket form, e.g. `servers[0].healthCheck.intervalSeconds`. */
  readonly path: string;
  readonly message: string;
}

export type PathSegment = string | number;

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const HTTP_ENGINES = ['auto', 'uws', 'node'] as const;
const AUTH_STRATEGIES = ['none', 'api-key', 'jwt'] as const;
const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
const PROTOCOLS = ['auto', '2026-07-28', 'legacy'] as const;
const TRANSPORTS = ['stdio', 'streamable-http', 'sse', 'websocket'] as const;
/** Spellings accepted for `transport` and what they mean. */
export const TRANSPORT_ALIASES = { http: 'streamable-http', ws: 'websocket' } as const;

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const stringList = { type: 'array', items: { type: 'string' } } as const;
const nonEmptyString = { type: 'string', minLength: 1 } as const;
const positiveInteger = { type: 'integer', minimum: 1 } as const;
const positiveSeconds = { type: 'number', exclusiveMinimum: 0 } as const;

const healthCheckSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: SERVER_DEFAULTS.healthCheck.enabled },
    intervalSeconds: { ...positiveSeconds, default: SERVER_DEFAULTS.healthCheck.intervalSeconds },
    timeoutSeconds: { ...positiveSeconds, default: SERVER_DEFAULTS.healthCheck.timeoutSeconds },
    unhealthyThreshold: { ...positiveInteger, default: SERVER_DEFAULTS.healthCheck.unhealthyThreshold },
  },
} as const;

const restartSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    maxRestarts: { type: 'integer', minimum: 0, default: SERVER_DEFAULTS.restart.maxRestarts },
    windowSeconds: { ...positiveSeconds, default: SERVER_DEFAULTS.restart.windowSeconds },
    initialDelayMs: { type: 'integer', minimum: 0, default: SERVER_DEFAULTS.restart.initialDelayMs },
    maxDelayMs: { type: 'integer', minimum: 0, default: SERVER_DEFAULTS.restart.maxDelayMs },
  },
} as const;

const circuitBreakerSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: SERVER_DEFAULTS.circuitBreaker.enabled },
    consecutiveFailures: { ...positiveInteger, default: SERVER_DEFAULTS.circuitBreaker.consecutiveFailures },
    errorRate: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: SERVER_DEFAULTS.circuitBreaker.errorRate },
    minimumCalls: { ...positiveInteger, default: SERVER_DEFAULTS.circuitBreaker.minimumCalls },
    windowSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: SERVER_DEFAULTS.circuitBreaker.windowSeconds },
    openSeconds: { ...positiveSeconds, default: SERVER_DEFAULTS.circuitBreaker.openSeconds },
  },
} as const;

const retrySchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    attempts: { type: 'integer', minimum: 0, maximum: 5, default: SERVER_DEFAULTS.retry.attempts },
    backoffMs: { type: 'integer', minimum: 0, maximum: 60_000, default: SERVER_DEFAULTS.retry.backoffMs },
  },
} as const;

const IDENTITY_MODES = ['signed', 'exchange'] as const;
const IDENTITY_CLAIMS = ['subject', 'name', 'roles', 'tenant'] as const;
/** An RFC 9110 field name (token characters). */
export const HEADER_NAME_PATTERN = "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$";

/**
 * `servers[].identity`. One object for both modes: which fields belong to
 * which mode (and the mode-specific defaults) is load.ts's business, so a
 * misplaced field is named plainly instead of as a failed schema branch.
 */
const upstreamIdentitySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['mode'],
  properties: {
    mode: { type: 'string', enum: IDENTITY_MODES },
    header: {
      type: 'string',
      pattern: HEADER_NAME_PATTERN,
      default: OPTIONAL_BLOCK_DEFAULTS.identity.header,
      'x-messages': { pattern: 'must be an HTTP header name (letters, digits and !#$%&\'*+.^_`|~-)' },
    },
    audience: nonEmptyString,
    ttlSeconds: { type: 'integer', minimum: 10, maximum: 3600 },
    claims: { type: 'array', items: { type: 'string', enum: IDENTITY_CLAIMS }, uniqueItems: true },
    secret: { type: 'string', minLength: 32, 'x-messages': { minLength: 'must be at least 32 characters (an HMAC key shorter than the hash is guessable)' } },
    tokenEndpoint: { type: 'string', format: 'uri', 'x-messages': { format: 'must be an absolute URL such as https://idp.example/oauth2/token' } },
    clientId: nonEmptyString,
    clientSecret: nonEmptyString,
    resource: { type: 'string', format: 'uri', 'x-messages': { format: 'must be an absolute URL (RFC 8707 resource indicator)' } },
    scope: nonEmptyString,
    timeoutMs: { ...positiveInteger, maximum: 60_000 },
  },
} as const;

const serverSchema = {
  type: 'object',
  additionalProperties: false,
  // `transport` is optional: load.ts infers it from `command`/`url`, and reports a server that has neither.
  required: ['id'],
  properties: {
    id: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
      // Whether it clashes with mcp.separator is a cross-field rule: load.ts checks it.
      'x-messages': { pattern: 'must be 1-64 letters, digits, "_" or "-", starting with a letter or digit' },
    },
    name: nonEmptyString,
    tenant: nonEmptyString,
    transport: {
      type: 'string',
      enum: [...TRANSPORTS, ...Object.keys(TRANSPORT_ALIASES)],
      'x-aliases': TRANSPORT_ALIASES,
      description: 'When omitted: stdio with "command", websocket with a ws:// or wss:// "url", streamable-http with an http:// or https:// "url".',
    },
    command: nonEmptyString,
    args: { ...stringList, default: SERVER_DEFAULTS.args },
    env: { ...stringMap, default: SERVER_DEFAULTS.env },
    envPassthrough: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', 'x-messages': { pattern: 'must be an environment variable name' } }, default: SERVER_DEFAULTS.envPassthrough },
    sandbox: {
      oneOf: [
        { const: 'bubblewrap' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          properties: {
            type: { const: 'bubblewrap' },
            network: { type: 'boolean' },
            writablePaths: { type: 'array', items: { type: 'string', pattern: '^/' } },
            bwrapPath: nonEmptyString,
          },
        },
      ],
    },
    cwd: nonEmptyString,
    url: { type: 'string', format: 'uri', 'x-messages': { format: 'must be an absolute URL such as http://127.0.0.1:3001/mcp' } },
    headers: { ...stringMap, default: SERVER_DEFAULTS.headers },
    tags: { type: 'array', items: nonEmptyString, default: SERVER_DEFAULTS.tags },
    enabled: { type: 'boolean', default: SERVER_DEFAULTS.enabled },
    timeout: { ...positiveInteger, default: SERVER_DEFAULTS.timeout },
    maxConcurrency: { ...positiveInteger, default: SERVER_DEFAULTS.maxConcurrency },
    maxQueue: { type: 'integer', minimum: 0, default: SERVER_DEFAULTS.maxQueue },
    replicas: { type: 'integer', minimum: 1, maximum: 64, default: SERVER_DEFAULTS.replicas },
    protocol: { type: 'string', enum: PROTOCOLS, default: SERVER_DEFAULTS.protocol },
    startupTimeoutMs: { ...positiveInteger, default: SERVER_DEFAULTS.startupTimeoutMs },
    healthCheck: healthCheckSchema,
    restart: restartSchema,
    circuitBreaker: circuitBreakerSchema,
    retry: retrySchema,
    validateArguments: { type: 'boolean', default: SERVER_DEFAULTS.validateArguments },
    identity: upstreamIdentitySchema,
    // Below 1 KiB not even a handshake fits; above 1 GiB one answer could take the gateway's memory.
    maxResponseBytes: { type: 'integer', minimum: 1024, maximum: 1024 * 1024 * 1024, default: SERVER_DEFAULTS.maxResponseBytes },
  },
} as const;

const windowLimitSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['limit'],
  properties: {
    limit: positiveInteger,
    windowSeconds: positiveSeconds,
  },
} as const;

const rolesSchema = { type: 'array', items: nonEmptyString } as const;

const apiKeySchema = {
  anyOf: [
    nonEmptyString,
    {
      type: 'object',
      additionalProperties: false,
      required: ['key'],
      properties: { key: nonEmptyString, name: nonEmptyString, roles: rolesSchema, tenant: nonEmptyString, rateLimit: windowLimitSchema },
    },
  ],
} as const;

const oneOrMoreStrings = { anyOf: [nonEmptyString, { type: 'array', items: nonEmptyString, minItems: 1 }] } as const;

const jwtSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    secret: { type: 'string', minLength: 32, 'x-messages': { minLength: 'must be at least 32 characters (an HMAC key shorter than the hash is guessable)' } },
    publicKey: { type: 'string', pattern: '-----BEGIN ', 'x-messages': { pattern: 'must be a PEM public key ("-----BEGIN PUBLIC KEY-----...")' } },
    jwksUrl: { type: 'string', format: 'uri', 'x-messages': { format: 'must be an absolute URL such as https://idp.example/.well-known/jwks.json' } },
    algorithms: { type: 'array', items: { type: 'string', enum: JWT_ALGORITHMS }, minItems: 1 },
    issuer: oneOrMoreStrings,
    audience: oneOrMoreStrings,
    clockToleranceSeconds: { type: 'number', minimum: 0, default: OPTIONAL_BLOCK_DEFAULTS.jwt.clockToleranceSeconds },
    requiredClaims: { type: 'array', items: nonEmptyString, default: [] },
    subjectClaim: { ...nonEmptyString, default: OPTIONAL_BLOCK_DEFAULTS.jwt.subjectClaim },
    rolesClaim: { ...nonEmptyString, default: OPTIONAL_BLOCK_DEFAULTS.jwt.rolesClaim },
    scopesClaim: { ...nonEmptyString, default: OPTIONAL_BLOCK_DEFAULTS.jwt.scopesClaim },
    tenantClaim: nonEmptyString,
    jwksTimeoutMs: { ...positiveInteger, default: OPTIONAL_BLOCK_DEFAULTS.jwt.jwksTimeoutMs },
    jwksCacheSeconds: { ...positiveSeconds, default: OPTIONAL_BLOCK_DEFAULTS.jwt.jwksCacheSeconds },
    jwksCooldownSeconds: { type: 'number', minimum: 0, default: OPTIONAL_BLOCK_DEFAULTS.jwt.jwksCooldownSeconds },
  },
} as const;

const oauthSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['resource', 'authorizationServers'],
  properties: {
    resource: { type: 'string', format: 'uri', 'x-messages': { format: 'must be the absolute URL clients use for this gateway\'s MCP endpoint, e.g. https://gw.example/mcp' } },
    authorizationServers: { type: 'array', items: { type: 'string', format: 'uri' }, minItems: 1 },
    scopes: { type: 'array', items: nonEmptyString, default: [] },
    resourceName: nonEmptyString,
    introspection: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', format: 'uri' },
        clientId: nonEmptyString,
        clientSecret: nonEmptyString,
        timeoutMs: { ...positiveInteger, default: OPTIONAL_BLOCK_DEFAULTS.introspection.timeoutMs },
        cacheSeconds: { type: 'number', minimum: 0, default: OPTIONAL_BLOCK_DEFAULTS.introspection.cacheSeconds },
      },
    },
  },
} as const;

/** `server/tool` globs (`*` any run of characters); a pattern without "/" means that name on any server. */
const accessPatterns = { type: 'array', items: nonEmptyString, default: [] } as const;

const accessRuleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['role'],
  properties: { role: nonEmptyString, allow: accessPatterns, deny: accessPatterns },
} as const;

const approvalTimeout = { type: 'number', exclusiveMinimum: 0, maximum: 3600 } as const;

const approvalRuleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tools: { type: 'array', items: nonEmptyString, minItems: 1 },
    annotations: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { destructiveHint: { type: 'boolean' }, readOnlyHint: { type: 'boolean' }, idempotentHint: { type: 'boolean' }, openWorldHint: { type: 'boolean' } },
    },
    ask: { type: 'string', enum: ['client', 'approver'], default: 'client' },
    timeoutSeconds: approvalTimeout,
  },
} as const;

/** A virtual server, at the top level or under its tenant. */
const virtualServerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', 'x-messages': { pattern: 'must be URL-safe: 1-64 letters, digits, "_" or "-", starting with a letter or digit' } },
    description: nonEmptyString,
    servers: { type: 'array', items: nonEmptyString, default: [] },
    tags: { type: 'array', items: nonEmptyString, default: [] },
    tools: { type: 'array', items: nonEmptyString, default: [] },
    resources: { type: 'array', items: nonEmptyString, default: [] },
    prompts: { type: 'array', items: nonEmptyString, default: [] },
    overrides: {
      type: 'object',
      default: {},
      additionalProperties: { type: 'object', additionalProperties: false, properties: { name: nonEmptyString, description: nonEmptyString } },
    },
    toolDiscovery: { type: 'string', enum: ['full', 'search'] },
    allow: {
      type: 'object',
      additionalProperties: false,
      properties: { keys: { type: 'array', items: nonEmptyString }, roles: { type: 'array', items: nonEmptyString }, tenants: { type: 'array', items: nonEmptyString } },
    },
  },
} as const;

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'mcp-gateway configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    port: { type: 'integer', minimum: 0, maximum: 65535, default: DEFAULTS.port },
    host: { ...nonEmptyString, default: DEFAULTS.host },
    logLevel: { type: 'string', enum: LOG_LEVELS, default: DEFAULTS.logLevel },
    httpEngine: { type: 'string', enum: HTTP_ENGINES, default: DEFAULTS.httpEngine },
    maxBodyBytes: { ...positiveInteger, default: DEFAULTS.maxBodyBytes },
    // 1 would refuse every JSON-RPC message (params sit at depth 2); the top is generous, not a real need.
    maxJsonDepth: { type: 'integer', minimum: 2, maximum: 10_000, default: DEFAULTS.maxJsonDepth },
    // Below 1 KiB not even an ordinary client's headers fit; a megabyte of headers is an attack, not a client.
    maxHeaderBytes: { type: 'integer', minimum: 1024, maximum: 1_048_576, default: DEFAULTS.maxHeaderBytes },
    requestTimeoutMs: { ...positiveInteger, maximum: 3_600_000, default: DEFAULTS.requestTimeoutMs },
    maxStreamBufferBytes: { type: 'integer', minimum: 65_536, default: DEFAULTS.maxStreamBufferBytes },
    shutdownGraceSeconds: { type: 'number', minimum: 0, default: DEFAULTS.shutdownGraceSeconds },
    auth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        strategy: {
          anyOf: [
            { type: 'string', enum: AUTH_STRATEGIES },
            { type: 'array', items: { type: 'string', enum: ['api-key', 'jwt'] }, minItems: 1, uniqueItems: true },
          ],
          default: DEFAULTS.auth.strategy,
        },
        apiKeys: { type: 'array', items: apiKeySchema, default: DEFAULTS.auth.apiKeys },
        jwt: jwtSchema,
        oauth: oauthSchema,
        adminRoles: { type: 'array', items: nonEmptyString, default: DEFAULTS.auth.adminRoles },
        publicPaths: { type: 'array', items: { type: 'string', pattern: '^/' , 'x-messages': { pattern: 'must be a path starting with "/" (a trailing "*" matches any rest)' } }, default: DEFAULTS.auth.publicPaths },
      },
    },
    identity: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        issuer: { ...nonEmptyString, default: DEFAULTS.identity.issuer },
        signingKey: { type: 'string', pattern: '-----BEGIN ', 'x-messages': { pattern: 'must be a PEM private key ("-----BEGIN PRIVATE KEY-----...")' } },
        keyId: nonEmptyString,
      },
    },
    access: { type: 'array', items: accessRuleSchema },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean' },
        store: { type: 'string', enum: ['memory', 'redis'], default: DEFAULTS.rateLimit.store },
        redis: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            url: { type: 'string', pattern: '^rediss?://', default: DEFAULTS.rateLimit.redis.url, 'x-messages': { pattern: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379' } },
            keyPrefix: { type: 'string', default: DEFAULTS.rateLimit.redis.keyPrefix },
            timeoutMs: { ...positiveInteger, default: DEFAULTS.rateLimit.redis.timeoutMs },
            onError: { type: 'string', enum: ['fail-open', 'fail-closed'], default: DEFAULTS.rateLimit.redis.onError },
          },
        },
        limit: { ...positiveInteger, default: DEFAULTS.rateLimit.limit },
        windowSeconds: { ...positiveSeconds, default: DEFAULTS.rateLimit.windowSeconds },
        perKey: { type: 'boolean', default: DEFAULTS.rateLimit.perKey },
        perServer: { type: 'object', additionalProperties: windowLimitSchema, default: {} },
        perTool: { type: 'object', additionalProperties: windowLimitSchema, default: {} },
      },
    },
    health: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        readyMinServers: { type: 'integer', minimum: 0, default: DEFAULTS.health.readyMinServers },
      },
    },
    monitor: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        requestLog: { type: 'boolean', default: DEFAULTS.monitor.requestLog },
        prometheus: { type: 'boolean', default: DEFAULTS.monitor.prometheus },
        retentionHours: { ...positiveSeconds, default: DEFAULTS.monitor.retentionHours },
        maxEntries: { ...positiveInteger, default: DEFAULTS.monitor.maxEntries },
        capture: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            arguments: { type: 'boolean', default: DEFAULTS.monitor.capture.arguments },
            results: { type: 'boolean', default: DEFAULTS.monitor.capture.results },
            tools: { ...accessPatterns, default: DEFAULTS.monitor.capture.tools },
            maxBytes: { type: 'integer', minimum: 64, maximum: 1_048_576, default: DEFAULTS.monitor.capture.maxBytes },
            redact: { type: 'array', items: nonEmptyString, default: DEFAULTS.monitor.capture.redact },
          },
        },
      },
    },
    tracing: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: DEFAULTS.tracing.enabled },
        endpoint: { type: 'string', format: 'uri', default: DEFAULTS.tracing.endpoint, 'x-messages': { format: 'must be the collector\'s OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces' } },
        serviceName: { ...nonEmptyString, default: DEFAULTS.tracing.serviceName },
        sampleRatio: { type: 'number', minimum: 0, maximum: 1, default: DEFAULTS.tracing.sampleRatio },
        headers: { ...stringMap, default: DEFAULTS.tracing.headers },
        exportIntervalMs: { type: 'integer', minimum: 100, maximum: 60_000, default: DEFAULTS.tracing.exportIntervalMs },
      },
    },
    corsOrigins: { type: 'array', items: nonEmptyString, default: DEFAULTS.corsOrigins },
    mcp: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        toolDiscovery: { type: 'string', enum: ['full', 'search'], default: DEFAULTS.mcp.toolDiscovery },
        sessionIdleSeconds: { ...positiveSeconds, default: DEFAULTS.mcp.sessionIdleSeconds },
        alwaysPrefix: { type: 'boolean', default: DEFAULTS.mcp.alwaysPrefix },
        separator: {
          type: 'string',
          pattern: SEPARATOR_PATTERN.source,
          default: DEFAULTS.mcp.separator,
          'x-messages': { pattern: 'must be 1-8 characters, each a letter, digit, "_", ".", "-" or "/" (characters valid in MCP tool names)' },
        },
      },
    },
    approval: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        rules: { type: 'array', items: approvalRuleSchema, default: DEFAULTS.approval.rules },
        // Bounded: a call held for hours holds its client's connection (and its memory) for hours.
        timeoutSeconds: { ...approvalTimeout, default: DEFAULTS.approval.timeoutSeconds },
        maxPending: { type: 'integer', minimum: 1, maximum: 10_000, default: DEFAULTS.approval.maxPending },
        approverRoles: { type: 'array', items: nonEmptyString, default: DEFAULTS.approval.approverRoles },
      },
    },
    cluster: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: DEFAULTS.cluster.enabled },
        instanceId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', 'x-messages': { pattern: 'must be 1-64 letters, digits, ".", "_" or "-"' } },
        advertiseUrl: { type: 'string', pattern: '^https?://', 'x-messages': { pattern: 'must be an http:// or https:// URL other instances reach this one at, e.g. http://10.0.0.5:4000' } },
        secret: { type: 'string', minLength: 32, 'x-messages': { minLength: 'must be at least 32 characters (e.g. openssl rand -hex 32), the same on every instance' } },
        heartbeatSeconds: { ...positiveSeconds, default: DEFAULTS.cluster.heartbeatSeconds },
        instanceTtlSeconds: { ...positiveSeconds, default: DEFAULTS.cluster.instanceTtlSeconds },
        redis: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            url: { type: 'string', pattern: '^rediss?://', 'x-messages': { pattern: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379' } },
            prefix: { type: 'string', default: DEFAULTS.cluster.redis.prefix },
            timeoutMs: { ...positiveInteger, default: DEFAULTS.cluster.redis.timeoutMs },
          },
        },
      },
    },
    servers: { type: 'array', items: serverSchema, default: [] },
    virtualServers: { type: 'array', default: DEFAULTS.virtualServers, items: virtualServerSchema },
    tenants: {
      type: 'object',
      default: DEFAULTS.tenants,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          share: { type: 'array', items: nonEmptyString, default: [] },
          rateLimit: windowLimitSchema,
          quota: { type: 'object', additionalProperties: false, required: ['callsPerDay'], properties: { callsPerDay: positiveInteger } },
          virtualServers: { type: 'array', default: [], items: virtualServerSchema },
        },
      },
    },
  },
} as const;

const validate = await loadValidator(configSchema);

/**
 * Validates `doc` in place: ajv coerces scalar strings to the declared types and
 * inserts defaults, so pass a private copy. Returns [] when valid.
 */
export function validateDocument(doc: unknown): ConfigIssue[] {
  if (validate(doc)) return [];
  return describeErrors(validate.errors ?? [], doc);
}

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Shows a value in a message: JSON, shortened. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

interface LocatedError {
  readonly error: ErrorObject;
  readonly segments: PathSegment[];
}

function describeErrors(errors: readonly ErrorObject[], doc: unknown): ConfigIssue[] {
  const located = errors.map((error) => ({ error, segments: pointerToSegments(error.instancePath, doc) }));
  const resolved = resolveAnyOf(located);
  const typeErrorPaths = new Set(resolved.filter((l) => l.error.keyword === 'type').map((l) => formatPath(l.segments)));
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const item of resolved) {
    // A value of the wrong type fails its other checks too; the type is the news.
    if (item.error.keyword !== 'type' && typeErrorPaths.has(formatPath(item.segments))) continue;
    const issue = describe(item);
    const key = `${issue.path}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

/**
 * ajv reports an `anyOf` failure plus every branch's complaints. Keep the
 * complaints of the branch whose type matches the value (a mistyped
 * `{key, name}` object), else say which types would do.
 */
function resolveAnyOf(located: readonly LocatedError[]): LocatedError[] {
  const anyOfs = located.filter((l) => l.error.keyword === 'anyOf');
  const isBranchError = (l: LocatedError) => anyOfs.some((a) => l.error.schemaPath.startsWith(`${a.error.schemaPath}/`));
  const out: LocatedError[] = [];
  for (const item of located) {
    if (isBranchError(item)) continue;
    if (item.error.keyword !== 'anyOf') {
      out.push(item);
      continue;
    }
    const branches = (item.error.schema ?? []) as readonly { type?: string }[];
    const index = branches.findIndex((b) => b.type !== undefined && typeMatches(b.type, item.error.data));
    const branchErrors = located.filter((l) => l.error.schemaPath.startsWith(`${item.error.schemaPath}/${index}/`));
    if (index >= 0 && branchErrors.length > 0) out.push(...branchErrors);
    else out.push({ error: { ...item.error, keyword: 'anyOf', params: { types: branches.map((b) => b.type) } }, segments: item.segments });
  }
  return out;
}

function typeMatches(type: string, value: unknown): boolean {
  if (type === 'array') return Array.isArray(value);
  if (type === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type === 'integer') return Number.isInteger(value);
  return typeof value === type;
}

function pointerToSegments(pointer: string, doc: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment: PathSegment = Array.isArray(node) ? Number(key) : key;
    segments.push(segment);
    node = typeof node === 'object' && node !== null ? (node as Record<PathSegment, unknown>)[segment] : undefined;
  }
  return segments;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean (true or false)',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function typeName(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_NAMES[String(t)] ?? String(t)).join(' or ');
}

type SchemaNode = Record<string, unknown> & {
  properties?: Record<string, unknown>;
  'x-aliases'?: Record<string, string>;
  'x-messages'?: Record<string, string>;
};

function describe({ error, segments }: LocatedError): ConfigIssue {
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as SchemaNode;
  const got = ` (got ${show(error.data)})`;
  const at = (message: string, extra: PathSegment[] = []): ConfigIssue => ({ path: formatPath([...segments, ...extra]) || '(top level)', message });
  const custom = parent['x-messages']?.[error.keyword];
  if (custom !== undefined) return at(custom + got);

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const suggestion = closest(key, Object.keys(parent.properties ?? {}));
      return at(suggestion === undefined ? 'unknown key' : `unknown key (did you mean "${suggestion}"?)`, [key]);
    }
    case 'required':
      return at('is required', [String(params.missingProperty)]);
    case 'type':
      return at(`must be ${typeName(params.type)}${got}`);
    case 'anyOf':
      return at(`must be ${typeName(params.types)}${got}`);
    case 'enum': {
      const aliases = parent['x-aliases'] ?? {};
      const allowed = (params.allowedValues as unknown[]).filter((v) => !Object.hasOwn(aliases, String(v)));
      return at(`must be one of ${allowed.join(', ')}${got}`);
    }
    case 'minimum':
    case 'maximum': {
      const { minimum, maximum } = parent;
      if (typeof minimum === 'number' && typeof maximum === 'number') return at(`must be between ${minimum} and ${maximum}${got}`);
      return at(`must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}${got}`);
    }
    case 'exclusiveMinimum':
      return at(`must be greater than ${String(params.limit)}${got}`);
    case 'exclusiveMaximum':
      return at(`must be less than ${String(params.limit)}${got}`);
    case 'minLength':
      return at(params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters${got}`);
    case 'maxLength':
      return at(`must be at most ${String(params.limit)} characters${got}`);
    case 'pattern':
      return at(`must match ${String(params.pattern)}${got}`);
    case 'format':
      return at(`must be a valid ${String(params.format)}${got}`);
    default:
      return at(`${error.message ?? 'is invalid'}${got}`);
  }
}

/** The allowed key a typo most likely meant, if any is close enough. */
export function closest(key: string, candidates: readonly string[]): string | undefined {
  // `max_concurrency`, `MaxConcurrency` and `maxconcurrency` all mean `maxConcurrency`.
  const fold = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = fold(key) === fold(candidate) ? 0 : editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
