/**
 * From a file (or text, or an object) to a frozen GatewayConfig:
 * parse → env substitution → overrides → validate (ajv, which also fills the
 * defaults) → semantic checks → normalise → deep-freeze.
 *
 * Every problem found along the way is collected and thrown as one
 * MCPGW_ERR_CONFIG, so a broken file is fixed in one round, not one per error.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { GatewayError } from '../errors.js';
import { DEFAULT_CONFIG_FILE, OPTIONAL_BLOCK_DEFAULTS } from './defaults.js';
import { DEFAULT_SEPARATOR, SEPARATOR_PATTERN, separatorConflict } from '../qualified-names.js';
import { applyOverrides, CONFIG_PATH_VARIABLE, envOverrides, substituteEnv, type ConfigOverride } from './env.js';
import { gatewayIdentityIssues, serverIdentityIssues } from './identity-rules.js';
import { formatPath, show, TRANSPORT_ALIASES, validateDocument, type ConfigIssue } from './schema.js';
import { isRecord, tenantIssues, virtualServerLists } from './tenant-rules.js';
import type { ApiKeyConfig, AuthConfig, AuthStrategy, ExchangeIdentityConfig, GatewayConfig, IdentityClaim, RateLimitConfig, ServerConfig, SignedIdentityConfig, TenantConfig, UpstreamIdentityConfig, UpstreamTransport, VirtualServerConfig, WindowLimit } from './types.js';

export interface NormalizeOptions {
  /** Source of `${VAR}` values and `MCP_GATEWAY_*` overrides; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Names the document in messages (a file path); defaults to `config`. */
  readonly source?: string;
  /** Applied after the environment's overrides (so CLI flags beat variables). */
  readonly overrides?: readonly ConfigOverride[];
}

export interface LoadOptions extends Omit<NormalizeOptions, 'source'> {
  /** Relative paths resolve against it; defaults to process.cwd(). */
  readonly cwd?: string;
}

export interface ConfigLocation {
  readonly path: string;
  /** How it was found: given explicitly, via $MCP_GATEWAY_CONFIG, or ./mcp-gateway.yml. */
  readonly origin: 'argument' | 'env' | 'cwd';
}

export async function loadConfig(path?: string, options: LoadOptions = {}): Promise<GatewayConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const location = await locateConfig(path, { env, cwd });
  if (location === undefined) {
    throw new GatewayError(
      'MCPGW_ERR_CONFIG_NOT_FOUND',
      `No config file: pass one with -c FILE, set ${CONFIG_PATH_VARIABLE}, or create ./${DEFAULT_CONFIG_FILE} (mcp-gateway init writes one)`,
    );
  }
  let text: string;
  try {
    text = await readFile(location.path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw new GatewayError('MCPGW_ERR_CONFIG_NOT_FOUND', `Config file ${location.path} ${reason}`, { path: location.path }, { cause: error });
  }
  return parseConfig(text, { ...options, env, source: location.path });
}

/**
 * Where the config comes from when `path` may be absent: the path itself, else
 * $MCP_GATEWAY_CONFIG, else ./mcp-gateway.yml if it exists, else undefined.
 */
export async function locateConfig(path: string | undefined, options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ConfigLocation | undefined> {
  const cwd = options.cwd ?? process.cwd();
  if (path !== undefined && path !== '') return { path: resolve(cwd, path), origin: 'argument' };
  const fromEnv = (options.env ?? process.env)[CONFIG_PATH_VARIABLE];
  if (fromEnv !== undefined && fromEnv !== '') return { path: resolve(cwd, fromEnv), origin: 'env' };
  const candidate = resolve(cwd, DEFAULT_CONFIG_FILE);
  const found = await stat(candidate).then((s) => s.isFile(), () => false);
  return found ? { path: candidate, origin: 'cwd' } : undefined;
}

/** Parses YAML or JSON text (JSON is YAML) and normalises it. */
export function parseConfig(text: string, options: NormalizeOptions = {}): GatewayConfig {
  const source = options.source ?? 'config';
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw configError(
      source,
      document.errors.map((error) => {
        const position = error.linePos?.[0];
        // yaml's message ends with its own " at line L, column C:" and a code frame; the position goes in the path.
        const reason = error.message.split(/ at line \d+, column \d+/)[0] ?? error.message;
        return { path: position === undefined ? source : `${source}:${position.line}:${position.col}`, message: `YAML syntax error: ${reason}` };
      }),
    );
  }
  const raw: unknown = document.toJS();
  if (raw === null || raw === undefined) {
    throw configError(source, [{ path: source, message: `is empty; expected a mapping with at least "servers" (mcp-gateway init writes a commented example)` }]);
  }
  return normalizeConfig(raw, { ...options, source });
}

/** Validates and normalises an already-parsed document. `raw` is not modified. */
export function normalizeConfig(raw: unknown, options: NormalizeOptions = {}): GatewayConfig {
  const env = options.env ?? process.env;
  const source = options.source ?? 'config';
  const substituted = substituteEnv(raw, env);
  const doc = substituted.value;
  // Before the overrides: MCP_GATEWAY_REDIS_URL says where counters live, not that limits are wanted.
  const rateLimitGiven = isRecord(doc) && doc.rateLimit !== undefined;
  const overriddenBy = applyOverrides(doc, [...envOverrides(env), ...(options.overrides ?? [])]);

  // A field already reported (a missing variable, a bad value) would fail later checks too; its first problem is the one worth reading.
  const issues: ConfigIssue[] = [...substituted.issues];
  const isNew = (issue: ConfigIssue) =>
    !issues.some((seen) => issue.path === seen.path || issue.path.startsWith(`${seen.path}.`) || issue.path.startsWith(`${seen.path}[`));
  issues.push(...validateDocument(doc).filter(isNew));
  issues.push(...semanticIssues(doc).filter(isNew));
  if (issues.length > 0) {
    throw configError(
      source,
      inDocumentOrder(issues, doc).map((issue) => {
        const by = overriddenBy.get(issue.path);
        return by === undefined ? issue : { path: by, message: issue.message };
      }),
    );
  }
  return deepFreeze(normalise(doc as ValidDocument, rateLimitGiven));
}

type RawLimit = { limit: number; windowSeconds?: number };
type RawApiKey = Omit<ApiKeyConfig, 'name' | 'roles' | 'rateLimit'> & { name?: string; roles?: string[]; rateLimit?: RawLimit };

/** `servers[].identity` as the file may give it: one bag of fields, `header` defaulted. */
type RawIdentity = { mode: 'signed' | 'exchange'; header: string; audience?: string; ttlSeconds?: number; claims?: IdentityClaim[]; secret?: string } & Partial<Omit<ExchangeIdentityConfig, 'mode' | 'header' | 'audience'>>;

/** The document once ajv has passed it and filled in the defaults. */
type ValidServer = Omit<ServerConfig, 'name' | 'transport' | 'identity'> & { name?: string; transport?: UpstreamTransport | keyof typeof TRANSPORT_ALIASES; identity?: RawIdentity };
type RawTenant = Omit<TenantConfig, 'name' | 'rateLimit'> & { rateLimit?: RawLimit; virtualServers: VirtualServerConfig[] };
type ValidDocument = Omit<GatewayConfig, 'servers' | 'auth' | 'rateLimit' | 'tenants'> & {
  servers: ValidServer[];
  tenants: Record<string, RawTenant>;
  auth: Omit<AuthConfig, 'strategies' | 'apiKeys'> & { strategy: string | string[]; apiKeys: (string | RawApiKey)[] };
  rateLimit: Omit<RateLimitConfig, 'enabled' | 'perServer' | 'perTool'> & { enabled?: boolean; perServer: Record<string, RawLimit>; perTool: Record<string, RawLimit> };
};

function canonicalTransport(transport: string): UpstreamTransport {
  return Object.hasOwn(TRANSPORT_ALIASES, transport) ? TRANSPORT_ALIASES[transport as keyof typeof TRANSPORT_ALIASES] : (transport as UpstreamTransport);
}

/**
 * The transport a server without `transport` means. `command` only makes sense
 * over stdio and a URL's scheme names its protocol, so also requiring
 * `transport` would make the user say the same thing twice. `sse` is never inferred: an http(s) URL is
 * far more often Streamable HTTP, so the legacy servers are the ones that must
 * say so. Undefined when neither field settles it.
 */
export function inferTransport(server: { readonly command?: unknown; readonly url?: unknown }): UpstreamTransport | undefined {
  if (server.command !== undefined) return 'stdio';
  if (typeof server.url !== 'string') return undefined;
  const scheme = parseScheme(server.url);
  if (scheme === 'ws:' || scheme === 'wss:') return 'websocket';
  if (scheme === 'http:' || scheme === 'https:') return 'streamable-http';
  return undefined;
}

interface NetworkTransportRules {
  readonly schemes: readonly string[];
  readonly wording: string;
  readonly server: string;
}

const URL_SCHEMES: Readonly<Record<Exclude<UpstreamTransport, 'stdio'>, NetworkTransportRules>> = {
  'streamable-http': { schemes: ['http:', 'https:'], wording: 'an http:// or https:// URL', server: 'a streamable-http server' },
  sse: { schemes: ['http:', 'https:'], wording: 'an http:// or https:// URL', server: 'an sse server' },
  // ws(s) is the norm; some servers are reached at an http(s) URL and upgraded.
  websocket: { schemes: ['ws:', 'wss:', 'http:', 'https:'], wording: 'a ws://, wss://, http:// or https:// URL', server: 'a websocket server' },
};

/**
 * What the schema cannot say: cross-field and cross-server rules. Runs even on
 * a document that failed validation (so every problem is reported in one go),
 * hence the guards: a rule only looks at values of the right shape.
 */
function semanticIssues(doc: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (path: (string | number)[], message: string) => issues.push({ path: formatPath(path), message });
  if (!isRecord(doc)) return issues;

  issues.push(...authIssues(doc));
  issues.push(...approvalIssues(doc.approval));
  issues.push(...virtualServerIssues(doc));
  issues.push(...tenantIssues(doc));
  issues.push(...gatewayIdentityIssues(doc.identity));
  const servers = Array.isArray(doc.servers) ? doc.servers : [];
  const firstIndex = new Map<string, number>();
  // A malformed separator is reported on its own; ids are then checked against the default.
  const configured = isRecord(doc.mcp) ? doc.mcp.separator : undefined;
  const separator = typeof configured === 'string' && SEPARATOR_PATTERN.test(configured) ? configured : DEFAULT_SEPARATOR;
  servers.forEach((server: unknown, i) => {
    if (!isRecord(server)) return;
    if (typeof server.id === 'string') {
      const previous = firstIndex.get(server.id);
      if (previous !== undefined) at(['servers', i, 'id'], `duplicate id ${JSON.stringify(server.id)} (also servers[${previous}])`);
      else firstIndex.set(server.id, i);
      const conflict = separatorConflict(server.id, separator);
      if (conflict !== undefined) at(['servers', i, 'id'], `${conflict}${separator === DEFAULT_SEPARATOR ? '' : '; set by mcp.separator'} (got ${show(server.id)})`);
    }

    const transport = typeof server.transport === 'string' ? canonicalTransport(server.transport) : server.transport === undefined ? inferTransport(server) : undefined;
    if (server.transport === undefined && transport === undefined) {
      if (server.url === undefined) at(['servers', i], 'needs "command" (stdio) or "url" (network transport)');
      // A url that fails the schema's format check is reported there; isNew then drops this second complaint.
      else if (typeof server.url === 'string') {
        at(['servers', i, 'url'], `must be an http://, https://, ws:// or wss:// URL when "transport" is not set (got ${show(server.url)})`);
      }
    }
    if (transport === 'stdio') {
      if (server.command === undefined) at(['servers', i, 'command'], 'is required for a stdio server');
      if (server.url !== undefined) at(['servers', i, 'url'], 'is not allowed for a stdio server (it runs "command"; url is for network transports)');
    } else if (transport !== undefined && Object.hasOwn(URL_SCHEMES, transport)) {
      const rules = URL_SCHEMES[transport as keyof typeof URL_SCHEMES];
      if (server.command !== undefined) at(['servers', i, 'command'], `is not allowed for ${rules.server} (it connects to "url"; command is for stdio)`);
      if (server.url === undefined) at(['servers', i, 'url'], `is required for ${rules.server}`);
      else if (typeof server.url === 'string') {
        const scheme = parseScheme(server.url);
        if (scheme === undefined || !rules.schemes.includes(scheme)) at(['servers', i, 'url'], `must be ${rules.wording} for ${rules.server} (got ${show(server.url)})`);
      }
    }

    serverIdentityIssues(server.identity, transport, ['servers', i, 'identity'], at);

    const restart = isRecord(server.restart) ? server.restart : {};
    if (typeof restart.initialDelayMs === 'number' && typeof restart.maxDelayMs === 'number' && restart.initialDelayMs > restart.maxDelayMs) {
      at(['servers', i, 'restart', 'initialDelayMs'], `must not exceed restart.maxDelayMs, ${restart.maxDelayMs} (got ${restart.initialDelayMs})`);
    }
  });
  return issues;
}

/** Cross-field rules of `auth` and `rateLimit`. */
function authIssues(doc: Record<string, unknown>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (path: (string | number)[], message: string) => issues.push({ path: formatPath(path), message });
  const auth = isRecord(doc.auth) ? doc.auth : {};
  const strategies = strategyList(auth.strategy);
  if (strategies.includes('api-key') && Array.isArray(auth.apiKeys) && auth.apiKeys.length === 0) {
    at(['auth', 'apiKeys'], 'must list at least one key when auth.strategy includes "api-key"');
  }
  const jwt = isRecord(auth.jwt) ? auth.jwt : undefined;
  const oauth = isRecord(auth.oauth) ? auth.oauth : undefined;
  const introspects = isRecord(oauth?.introspection);
  const keySources = jwt ? (['secret', 'publicKey', 'jwksUrl'] as const).filter((k) => jwt[k] !== undefined) : [];
  if (strategies.includes('jwt') && keySources.length === 0 && !introspects) {
    at(['auth', 'jwt'], 'needs one of secret, publicKey or jwksUrl (or auth.oauth.introspection) when auth.strategy includes "jwt"');
  }
  if (keySources.length > 1) at(['auth', 'jwt', keySources[1]!], `cannot be combined with ${keySources[0]}: give exactly one key source`);
  if (oauth !== undefined && !strategies.includes('jwt')) at(['auth', 'strategy'], 'must include "jwt" when auth.oauth is set (OAuth access tokens are bearer tokens)');
  if (Array.isArray(auth.apiKeys)) {
    const seen = new Map<string, number>();
    auth.apiKeys.forEach((entry: unknown, i) => {
      const key = typeof entry === 'string' ? entry : isRecord(entry) && typeof entry.key === 'string' ? entry.key : undefined;
      if (key === undefined) return;
      if (key.startsWith('sha256:') && !/^sha256:[0-9a-fA-F]{64}$/.test(key)) at(['auth', 'apiKeys', i, ...(typeof entry === 'string' ? [] : ['key'])], 'a hashed key must be "sha256:" followed by 64 hex digits');
      const name = isRecord(entry) && typeof entry.name === 'string' ? entry.name : undefined;
      if (name === undefined) return;
      const previous = seen.get(name);
      if (previous !== undefined) at(['auth', 'apiKeys', i, 'name'], `duplicate key name ${JSON.stringify(name)} (also apiKeys[${previous}]): names tell callers apart in logs and limits`);
      else seen.set(name, i);
    });
  }
  const rateLimit = isRecord(doc.rateLimit) ? doc.rateLimit : {};
  const serverIds = new Set((Array.isArray(doc.servers) ? doc.servers : []).map((s: unknown) => (isRecord(s) ? s.id : undefined)));
  if (isRecord(rateLimit.perServer)) {
    for (const id of Object.keys(rateLimit.perServer)) if (!serverIds.has(id)) at(['rateLimit', 'perServer', id], 'names no configured server');
  }
  return issues;
}

/** A rule with neither condition would make every call wait: almost surely a mistake, so it must say which calls. */
function approvalIssues(approval: unknown): ConfigIssue[] {
  if (!isRecord(approval) || !Array.isArray(approval.rules)) return [];
  const issues: ConfigIssue[] = [];
  approval.rules.forEach((rule: unknown, i) => {
    if (isRecord(rule) && rule.tools === undefined && rule.annotations === undefined) {
      issues.push({ path: formatPath(['approval', 'rules', i]), message: 'needs "tools" (server/tool globs) or "annotations" (e.g. {destructiveHint: true}), or both, to say which calls wait for approval' });
    }
  });
  return issues;
}

/** Bundles (top-level and tenants' own) name servers, tags and overridden tools that must exist, and each name once. */
function virtualServerIssues(doc: Record<string, unknown>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (path: (string | number)[], message: string) => issues.push({ path: formatPath(path), message });
  const servers = (Array.isArray(doc.servers) ? doc.servers : []).filter(isRecord);
  const serverIds = new Set(servers.map((server) => server.id));
  const tags = new Set(servers.flatMap((server) => (Array.isArray(server.tags) ? server.tags : [])));
  const seen = new Map<string, string>();
  for (const { entries, path } of virtualServerLists(doc)) {
    entries.forEach((entry: unknown, i) => {
      if (!isRecord(entry)) return;
      const here = [...path, i];
      if (typeof entry.name === 'string') {
        const previous = seen.get(entry.name);
        if (previous !== undefined) at([...here, 'name'], `duplicate virtual server name ${JSON.stringify(entry.name)} (also ${previous})`);
        else seen.set(entry.name, formatPath(here));
      }
      if (Array.isArray(entry.servers)) entry.servers.forEach((id: unknown, j) => typeof id === 'string' && !serverIds.has(id) && at([...here, 'servers', j], `names no configured server (got ${show(id)})`));
      if (Array.isArray(entry.tags)) entry.tags.forEach((tag: unknown, j) => typeof tag === 'string' && !tags.has(tag) && at([...here, 'tags', j], `no configured server has the tag ${show(tag)}`));
      if (isRecord(entry.overrides)) {
        for (const target of Object.keys(entry.overrides)) {
          const slash = target.indexOf('/');
          if (slash <= 0 || !serverIds.has(target.slice(0, slash))) at([...here, 'overrides', target], 'must be "<server>/<tool>" naming a configured server');
        }
      }
    });
  }
  return issues;
}

function strategyList(strategy: unknown): string[] {
  if (Array.isArray(strategy)) return strategy.filter((s): s is string => typeof s === 'string');
  return typeof strategy === 'string' && strategy !== 'none' ? [strategy] : [];
}


function parseScheme(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}

function normalise(doc: ValidDocument, rateLimitGiven: boolean): GatewayConfig {
  const { strategy, apiKeys, ...auth } = doc.auth;
  return {
    ...doc,
    auth: {
      ...auth,
      strategies: strategyList(strategy) as AuthStrategy[],
      // A bare key has no name; its position names it, so nothing of the secret reaches a log.
      apiKeys: apiKeys.map((entry, i) => {
        if (typeof entry === 'string') return { key: entry, name: `api-key-${i + 1}`, roles: [] };
        const { rateLimit, ...rest } = entry;
        return { ...rest, name: entry.name ?? `api-key-${i + 1}`, roles: entry.roles ?? [], ...(rateLimit ? { rateLimit: withWindow(rateLimit, doc.rateLimit.windowSeconds) } : {}) };
      }),
    },
    // A rateLimit block in the file means a limit is wanted, unless it says enabled: false.
    rateLimit: {
      ...doc.rateLimit,
      enabled: doc.rateLimit.enabled ?? rateLimitGiven,
      perServer: mapValues(doc.rateLimit.perServer, (limit) => withWindow(limit, doc.rateLimit.windowSeconds)),
      perTool: mapValues(doc.rateLimit.perTool, (limit) => withWindow(limit, doc.rateLimit.windowSeconds)),
    },
    tenants: mapValues(doc.tenants, (tenant, name) => ({
      name,
      share: tenant.share,
      ...(tenant.rateLimit !== undefined ? { rateLimit: withWindow(tenant.rateLimit, doc.rateLimit.windowSeconds) } : {}),
      ...(tenant.quota !== undefined ? { quota: tenant.quota } : {}),
    })),
    // One list of bundles: a tenant's own carry its name.
    virtualServers: [...doc.virtualServers, ...Object.entries(doc.tenants).flatMap(([name, tenant]) => tenant.virtualServers.map((virtual) => ({ ...virtual, tenant: name })))],
    servers: doc.servers.map(({ identity, ...server }) => ({
      ...server,
      name: server.name ?? server.id,
      transport: transportOf(server),
      ...(identity !== undefined ? { identity: identityOf(identity, server) } : {}),
    })),
  };
}

/** One mode's fields, with that mode's defaults; semanticIssues has refused the other mode's. */
function identityOf(raw: RawIdentity, server: Pick<ValidServer, 'id' | 'url'>): UpstreamIdentityConfig {
  const defaults = OPTIONAL_BLOCK_DEFAULTS.identity;
  const header = raw.header.toLowerCase();
  if (raw.mode === 'signed') {
    // semanticIssues admits identity only on streamable-http servers, which always have a url.
    const audience = raw.audience ?? server.url;
    if (audience === undefined) throw new GatewayError('MCPGW_ERR_INTERNAL', `server "${server.id}" passed validation with an identity but no url`);
    const signed: SignedIdentityConfig = {
      mode: 'signed',
      header,
      audience,
      ttlSeconds: raw.ttlSeconds ?? defaults.ttlSeconds,
      claims: raw.claims ?? [...defaults.claims],
      ...(raw.secret !== undefined ? { secret: raw.secret } : {}),
    };
    return signed;
  }
  return {
    mode: 'exchange',
    header,
    tokenEndpoint: raw.tokenEndpoint!,
    clientId: raw.clientId!,
    clientSecret: raw.clientSecret!,
    ...(raw.audience !== undefined ? { audience: raw.audience } : {}),
    ...(raw.resource !== undefined ? { resource: raw.resource } : {}),
    ...(raw.scope !== undefined ? { scope: raw.scope } : {}),
    timeoutMs: raw.timeoutMs ?? defaults.timeoutMs,
  };
}

/** A limit without its own window uses `rateLimit.windowSeconds`. */
function withWindow(limit: { limit: number; windowSeconds?: number }, windowSeconds: number): WindowLimit {
  return { limit: limit.limit, windowSeconds: limit.windowSeconds ?? windowSeconds };
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, map: (value: T, key: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value, key)]));
}

function transportOf(server: ValidServer): UpstreamTransport {
  if (server.transport !== undefined) return canonicalTransport(server.transport);
  const inferred = inferTransport(server);
  // semanticIssues rejects every server it cannot infer, so only a bug gets here.
  if (inferred === undefined) throw new GatewayError('MCPGW_ERR_INTERNAL', `server "${server.id}" passed validation without a transport`);
  return inferred;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Sorts issues the way their fields appear in the file (stable: same field keeps stage order). */
function inDocumentOrder(issues: readonly ConfigIssue[], doc: unknown): ConfigIssue[] {
  const ranked = issues.map((issue) => ({ issue, rank: pathRank(issue.path, doc) }));
  ranked.sort((a, b) => compareRanks(a.rank, b.rank));
  return ranked.map((r) => r.issue);
}

/** Each segment's position within its parent; fields absent from the file (missing keys) sort after present ones. */
function pathRank(path: string, doc: unknown): number[] {
  const rank: number[] = [];
  let node: unknown = doc;
  for (const match of path.matchAll(/\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|([^.[\]]+)/g)) {
    const key: string | number = match[1] !== undefined ? Number(match[1]) : match[2] !== undefined ? (JSON.parse(match[2]) as string) : (match[3] ?? '');
    const position = Array.isArray(node) ? Number(key) : isRecord(node) ? Object.keys(node).indexOf(String(key)) : -1;
    rank.push(position === -1 ? Number.MAX_SAFE_INTEGER : position);
    node = isRecord(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[key] : undefined;
  }
  return rank;
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

function configError(source: string, issues: readonly ConfigIssue[]): GatewayError {
  const count = issues.length === 1 ? '1 error' : `${issues.length} errors`;
  const lines = issues.map((issue) => `${issue.path}: ${issue.message}`);
  return new GatewayError('MCPGW_ERR_CONFIG', [`Invalid configuration in ${source} (${count}):`, ...lines].join('\n'), { source, errors: issues });
}

/** Settings that are valid but risky; `validate` and `start` print them. */
export function securityWarnings(config: GatewayConfig): string[] {
  const warnings: string[] = [];
  const loopback = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(config.host);
  if (config.auth.strategies.length === 0 && !loopback) {
    warnings.push(`auth.strategy is "none" but host is ${config.host}: anyone who can reach port ${config.port} can call every tool`);
  }
  return warnings;
}
