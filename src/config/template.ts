/**
 * The commented mcp-gateway.yml that `init` writes. Example blocks are marked
 * `#>` in the source below: rendered as comments normally, as live YAML when
 * `activateExamples` is set, so a test can check the examples parse too.
 */
import { demoServerPath } from './default-config.js';
import { DEFAULTS, OPTIONAL_BLOCK_DEFAULTS, SERVER_DEFAULTS } from './defaults.js';

export interface TemplateOptions {
  /** Script the active demo server runs; defaults to the bundled demo server. */
  readonly demoServerPath?: string;
  /** Uncomment the example servers (for tests). */
  readonly activateExamples?: boolean;
}

export function configTemplate(options: TemplateOptions = {}): string {
  // JSON strings are valid YAML double-quoted scalars, and escape Windows backslashes.
  const demo = JSON.stringify(options.demoServerPath ?? demoServerPath());
  const s = SERVER_DEFAULTS;
  const text = `# mcp-gateway configuration
#
# One endpoint in front of many MCP servers. Check this file with
#   mcp-gateway validate -c mcp-gateway.yml
# and run it with
#   mcp-gateway start -c mcp-gateway.yml
#
# Any string value may use \${VAR} or \${VAR:-default} (the default also applies
# when VAR is empty); an unset VAR without a default is an error. Write $\${VAR}
# for a literal \${VAR}. MCP_GATEWAY_PORT, MCP_GATEWAY_HOST and
# MCP_GATEWAY_LOG_LEVEL override port, host and logLevel; command-line flags
# (--port, --host, --log-level, --http-engine) override both.
# Every value below is the default unless its comment says otherwise.

# TCP port of the HTTP front door (MCP endpoint /mcp, REST API /api/v1).
port: ${DEFAULTS.port}

# Interface to listen on. 127.0.0.1 keeps the gateway local; 0.0.0.0 exposes it.
host: ${DEFAULTS.host}

# trace | debug | info | warn | error | fatal | silent
logLevel: ${DEFAULTS.logLevel}

# auto (uWebSockets.js when it is installed, else node:http) | uws | node
httpEngine: ${DEFAULTS.httpEngine}

# Largest request body accepted, in bytes (4 MiB); larger requests get 413.
maxBodyBytes: ${DEFAULTS.maxBodyBytes}

# Deepest nesting of objects and arrays a request body may have; deeper gets 400.
maxJsonDepth: ${DEFAULTS.maxJsonDepth}

# Largest request line plus headers, in bytes (16 KiB); larger gets 431.
maxHeaderBytes: ${DEFAULTS.maxHeaderBytes}

# A request's headers and body must arrive within this many ms, else 408 and
# the connection is closed (protects against slow clients holding connections).
requestTimeoutMs: ${DEFAULTS.requestTimeoutMs}

# An SSE stream whose client stops reading is cut once this many bytes wait
# for it (8 MiB): a stuck client cannot hold the gateway's memory.
maxStreamBufferBytes: ${DEFAULTS.maxStreamBufferBytes}

# On SIGTERM/SIGINT, how long calls in flight may take to finish.
shutdownGraceSeconds: ${DEFAULTS.shutdownGraceSeconds}

# Who may call the gateway: none | api-key | jwt, or a list, e.g. [api-key, jwt].
# Credentials: "Authorization: Bearer <key or token>" or "X-API-Key: <key>".
# publicPaths are served without one (health probes, OAuth discovery).
# Keys are strings or {key, name, roles, rateLimit}; a key may be given as
# "sha256:<hex>" of itself, so the file never holds it:
#   apiKeys:
#     - "\${GATEWAY_API_KEY}"
#     - { key: "sha256:<hex>", name: ci-bot, roles: [reader], rateLimit: { limit: 30 } }
# JWT bearer tokens: one of secret (HS256/384/512), publicKey (PEM) or jwksUrl:
#   jwt: { jwksUrl: "https://idp.example/.well-known/jwks.json", issuer: "https://idp.example",
#          audience: mcp-gateway, rolesClaim: roles }
# As an OAuth 2.1 resource server for MCP clients (401s then point them at
# /.well-known/oauth-protected-resource; tokens must name the resource in aud):
#   oauth: { resource: "https://gw.example/mcp", authorizationServers: ["https://idp.example"],
#            scopes: [mcp], introspection: { url: "https://idp.example/introspect",
#            clientId: gw, clientSecret: "\${INTROSPECTION_SECRET}" } }
auth:
  strategy: ${DEFAULTS.auth.strategy}
  apiKeys: []
  publicPaths: [${DEFAULTS.auth.publicPaths.map((path) => JSON.stringify(path)).join(', ')}]

# Which tools, resources and prompts each role may use: globs over
# <serverId>/<name> (resources by URI), deny first; without any "access" every
# authenticated caller may use everything. Role "*" is every caller.
#   access:
#     - { role: reader, allow: ["docs/*", "*/search"], deny: ["*/delete_*"] }
#     - { role: admin, allow: ["*/*"] }

# The gateway as the issuer of the tokens it signs for upstreams that set
# identity (see servers below). Upstreams verify them against the public key at
# http://<gateway>/.well-known/jwks.json. Without signingKey the gateway makes
# an ES256 key pair at every start; give every instance behind one load
# balancer the same key.
identity:
  issuer: ${DEFAULTS.identity.issuer}
  # signingKey: "\${GATEWAY_SIGNING_KEY}"  # PEM private key: RSA, EC P-256/384/521 or Ed25519
  # keyId: gateway-1                      # the key's kid; defaults to its RFC 7638 thumbprint

# Requests per sliding window, per caller (perKey) or for everyone; a key's
# own rateLimit replaces limit. perServer / perTool limit calls further:
#   perTool: { "github/create_*": { limit: 5 } }
rateLimit:
  enabled: ${DEFAULTS.rateLimit.enabled}
  limit: ${DEFAULTS.rateLimit.limit}
  windowSeconds: ${DEFAULTS.rateLimit.windowSeconds}
  perKey: ${DEFAULTS.rateLimit.perKey}

# Calls that wait for a person before they reach the upstream. A rule names
# tools by <serverId>/<tool> glob and/or by the tool's annotations (first
# match wins). An MCP client that declared elicitation is asked itself
# (ask: client); otherwise, or with ask: approver, the call is held until an
# approver decides at POST /api/v1/approvals/:id or on the dashboard
# (auth.adminRoles and approverRoles), for up to timeoutSeconds (max 3600).
approval:
  timeoutSeconds: ${DEFAULTS.approval.timeoutSeconds}
  maxPending: ${DEFAULTS.approval.maxPending}
  approverRoles: []
  rules: []
#   rules:
#     - { annotations: { destructiveHint: true } }
#     - { tools: ["github/delete_*", "*/drop_table"], ask: approver, timeoutSeconds: 900 }

# Kubernetes-style probes: GET /health/live answers 200 while the process
# runs; GET /health/ready answers 200 once this many enabled servers are ready
# (capped at how many are enabled; 0: ready as soon as it listens), else 503.
health:
  readyMinServers: ${DEFAULTS.health.readyMinServers}

# What the gateway remembers about calls.
monitor:
${c(`  requestLog: ${DEFAULTS.monitor.requestLog}`, 'keep recent calls for the monitoring API')}
${c(`  prometheus: ${DEFAULTS.monitor.prometheus}`, 'expose Prometheus metrics')}
${c(`  retentionHours: ${DEFAULTS.monitor.retentionHours}`, 'forget calls older than this')}
${c(`  maxEntries: ${DEFAULTS.monitor.maxEntries}`, '...or beyond this many')}
  # Keep each call's request (arguments, _meta) and result in its request-log
  # entry (GET /api/v1/requests/:id, export, replay; never in metrics or logs).
  # Values under the redact keys (any depth, any case) become "[redacted]"
  # before anything is stored; what is left is cut to maxBytes. Strings are
  # not searched: a secret inside a text is kept.
  capture:
${c(`    arguments: ${DEFAULTS.monitor.capture.arguments}`, 'the request of every tool call')}
${c(`    results: ${DEFAULTS.monitor.capture.results}`, 'the result of every tool call')}
${c(`    tools: ${JSON.stringify(DEFAULTS.monitor.capture.tools)}`, 'server/tool globs captured in full, e.g. ["demo/*", "github/create_*"]')}
${c(`    maxBytes: ${DEFAULTS.monitor.capture.maxBytes}`, 'per captured value, after redaction')}
    redact: ${JSON.stringify(DEFAULTS.monitor.capture.redact).replaceAll(',', ', ')}

# OpenTelemetry spans of every tool call, over OTLP/HTTP to a collector (off).
tracing:
  enabled: ${DEFAULTS.tracing.enabled}
  endpoint: ${DEFAULTS.tracing.endpoint}
  serviceName: ${DEFAULTS.tracing.serviceName}
  sampleRatio: ${DEFAULTS.tracing.sampleRatio}

# Browser origins allowed to call the gateway (CORS), e.g. ["http://localhost:5173"].
corsOrigins: []

# The MCP endpoint (/mcp).
mcp:
${c(`  toolDiscovery: ${DEFAULTS.mcp.toolDiscovery}`, 'full | search: search_tools + call_tool instead of every definition (large catalogs)')}
${c(`  alwaysPrefix: ${DEFAULTS.mcp.alwaysPrefix}`, 'name every tool <serverId>__<tool>, not only shared names')}
${c(`  separator: "${DEFAULTS.mcp.separator}"`, 'joins <serverId> and <tool>: 1-8 of A-Z a-z 0-9 _ . - /')}
${c(`  sessionIdleSeconds: ${DEFAULTS.mcp.sessionIdleSeconds}`, 'a 2025 session unused this long expires')}

# Several instances behind one load balancer, as one gateway (no sticky
# sessions): shared state in Redis (url: rateLimit.redis.url unless given).
# Every instance needs the same secret (or MCP_GATEWAY_CLUSTER_SECRET), and
# advertiseUrl where the others reach it. See examples/scale-out/.
cluster:
  enabled: ${DEFAULTS.cluster.enabled}
  #> secret: "\${MCP_GATEWAY_CLUSTER_SECRET:-change-me-to-32-or-more-characters!}"
  #> advertiseUrl: "http://10.0.0.5:4000"
  #> redis: { url: "redis://127.0.0.1:6379", prefix: "${DEFAULTS.cluster.redis.prefix}" }

# Virtual servers: bundles picked from the servers below, each its own MCP
# endpoint /mcp/<name> (both eras) and REST scope (?virtual=<name>).
virtualServers: []
#  - name: math                      # URL-safe
#    tools: ["demo/add"]             # server/name globs; also servers: [...], tags: [...]
#    overrides: { "demo/add": { name: plus, description: Adds two numbers } }
#    allow: { roles: [admin] }       # absent: every caller

# Multi-tenant mode: a server with "tenant: <name>" is that tenant's alone; a
# tenant's callers (a key's tenant, or auth.jwt.tenantClaim) see its servers
# and the untenanted ones' entries its share globs match, nothing of another
# tenant (administrators see all). Limits count all of a tenant's calls.
tenants: {}
#  acme:
#    share: ["demo/*"]               # server/name globs over untenanted servers
#    rateLimit: { limit: 600, windowSeconds: 60 }
#    quota: { callsPerDay: 50000 }   # per UTC day; then 429 MCPGW_ERR_QUOTA_EXCEEDED
#    virtualServers: []              # the tenant's own bundles

# The MCP servers behind the gateway. Tools two servers share are offered as
# <id>__<tool> (with mcp.separator between); an id is 1-64 letters, digits,
# "_" or "-" and must not contain the separator.
# "transport" may be left out: a server with "command" runs over stdio, one
# with a ws:// or wss:// "url" over WebSocket, one with an http:// or https://
# "url" over Streamable HTTP. Legacy HTTP+SSE servers must say "transport: sse".
servers:
  # The bundled demo server, over stdio.
  - id: demo
${c(`    name: Demo server`, 'defaults to the id')}
${c(`    transport: stdio`, 'stdio | streamable-http (or http) | sse | websocket (or ws); inferred when left out')}
    command: node
    args: [${demo}]
${c(`    env: {}`, 'the environment of the process, with PATH, HOME, LANG, TMPDIR')}
${c(`    envPassthrough: []`, "names of the gateway's own variables to pass on too; nothing else leaks")}
    # Run it under bubblewrap: read-only root, private /tmp, no network:
    #   sandbox: { type: bubblewrap, network: false, writablePaths: [/srv/data] }
    tags: [demo]
    enabled: ${s.enabled}
${c(`    timeout: ${s.timeout}`, 'per call, in ms, time in the queue included')}
${c(`    maxConcurrency: ${s.maxConcurrency}`, 'calls in flight per replica')}
${c(`    maxQueue: ${s.maxQueue}`, 'calls waiting per replica; beyond it, 503')}
${c(`    replicas: ${s.replicas}`, 'processes (or connections) serving this server')}
${c(`    protocol: ${s.protocol}`, 'auto (probe) | 2026-07-28 | legacy (2025 revisions)')}
${c(`    startupTimeoutMs: ${s.startupTimeoutMs}`, 'spawn + handshake + first tool listing')}
${c(`    validateArguments: ${s.validateArguments}`, "check call arguments against the tool's inputSchema (400 when they do not match)")}
${c(`    maxResponseBytes: ${s.maxResponseBytes}`, 'largest single upstream message; a bigger answer fails its call (502)')}
    healthCheck:
      enabled: ${s.healthCheck.enabled}
      intervalSeconds: ${s.healthCheck.intervalSeconds}
      timeoutSeconds: ${s.healthCheck.timeoutSeconds}
${c(`      unhealthyThreshold: ${s.healthCheck.unhealthyThreshold}`, 'missed checks before a restart')}
    restart:
${c(`      maxRestarts: ${s.restart.maxRestarts}`, 'more than this within windowSeconds: failed')}
      windowSeconds: ${s.restart.windowSeconds}
${c(`      initialDelayMs: ${s.restart.initialDelayMs}`, 'backoff starts here, doubles...')}
${c(`      maxDelayMs: ${s.restart.maxDelayMs}`, '...up to here')}
    circuitBreaker:
${c(`      enabled: ${s.circuitBreaker.enabled}`, 'fail fast (503) while the upstream keeps failing')}
${c(`      consecutiveFailures: ${s.circuitBreaker.consecutiveFailures}`, 'timeouts/crashes in a row that open it...')}
${c(`      errorRate: ${s.circuitBreaker.errorRate}`, '...or this failure share over windowSeconds')}
${c(`      minimumCalls: ${s.circuitBreaker.minimumCalls}`, '(once this many calls were made)')}
      windowSeconds: ${s.circuitBreaker.windowSeconds}
${c(`      openSeconds: ${s.circuitBreaker.openSeconds}`, 'then one probe call; success closes it')}
    retry:
${c(`      attempts: ${s.retry.attempts}`, 'extra tries for idempotent requests only (resources/read, readOnlyHint/idempotentHint tools)')}
      backoffMs: ${s.retry.backoffMs}

  # A server from npm, over stdio (downloaded on first start; "command"
  # implies transport: stdio):
  #> - id: everything
  #>   command: npx
  #>   args: ["-y", "@modelcontextprotocol/server-everything"]
  #>   tags: [example]

  # A remote server over Streamable HTTP, with a token from the environment:
  #> - id: remote
  #>   transport: streamable-http
  #>   url: "\${REMOTE_MCP_URL:-http://127.0.0.1:3001/mcp}"
  #>   headers:
  #>     Authorization: "Bearer \${REMOTE_MCP_TOKEN:-}"
  #>   timeout: 60000

  # A remote server told who each call is for (streamable-http only; the
  # client's own token is never passed on): a JWT the gateway signs per caller,
  # sent as "Authorization: Bearer <jwt>" (any other header gets the bare JWT)
  # and reused per caller until shortly before it expires. "claims" picks the
  # caller facts it carries (sub is always there); secret: "\${UPSTREAM_SECRET}"
  # makes it HS256 with a shared secret instead of the gateway's key. For an
  # OAuth token exchange (RFC 8693) instead:
  #   identity: { mode: exchange, tokenEndpoint: "https://idp.example/token",
  #               clientId: gateway, clientSecret: "\${IDP_CLIENT_SECRET}" }
  #> - id: on-behalf
  #>   url: "\${ON_BEHALF_MCP_URL:-http://127.0.0.1:3004/mcp}"
  #>   identity:
${c('  #>     mode: signed', 'signed | exchange')}
${c(`  #>     header: ${OPTIONAL_BLOCK_DEFAULTS.identity.header}`, 'or e.g. x-user-token')}
${c(`  #>     ttlSeconds: ${OPTIONAL_BLOCK_DEFAULTS.identity.ttlSeconds}`, 'token lifetime')}
  #>     claims: [${OPTIONAL_BLOCK_DEFAULTS.identity.claims.join(', ')}]

  # A server on the legacy HTTP+SSE transport (protocol 2024-11-05):
  #> - id: legacy
  #>   transport: sse
  #>   url: http://127.0.0.1:3002/sse
  #>   protocol: legacy

  # A server over WebSocket:
  #> - id: socket
  #>   transport: websocket
  #>   url: "\${SOCKET_MCP_URL:-ws://127.0.0.1:3003/mcp}"
  #>   enabled: false
`;
  return text.replace(/^(\s*)#> ?/gm, options.activateExamples === true ? '$1' : '$1# ');
}

/** A YAML line with its comment in the common column. */
function c(line: string, comment: string): string {
  return `${line.padEnd(COMMENT_COLUMN)}# ${comment}`;
}

const COMMENT_COLUMN = 37;
