/**
 * The environment's say in the config: `${VAR}` substitution in string values,
 * and the `MCP_GATEWAY_*` overrides.
 *
 * Substitution runs on the parsed tree, never the raw text, so a variable's
 * value is always data: it cannot add keys or break the YAML around it.
 */
import { formatPath, type ConfigIssue, type PathSegment } from './schema.js';

/** Names the config file when no path is given. */
export const CONFIG_PATH_VARIABLE = 'MCP_GATEWAY_CONFIG';

/** Settings that can be set from outside the file (environment, CLI flags). */
/** A config field, dotted for nested ones. */
export type OverrideKey = 'port' | 'host' | 'logLevel' | 'httpEngine' | 'rateLimit.redis.url' | 'cluster.secret';

export interface ConfigOverride {
  readonly key: OverrideKey;
  /** Raw, as given (a string from the environment or argv); validated like the file's values. */
  readonly value: unknown;
  /** What set it, used in place of the field path in errors: `MCP_GATEWAY_PORT`, `--port`. */
  readonly source: string;
}

const OVERRIDE_VARIABLES: readonly (readonly [string, OverrideKey])[] = [
  ['MCP_GATEWAY_PORT', 'port'],
  ['MCP_GATEWAY_HOST', 'host'],
  ['MCP_GATEWAY_LOG_LEVEL', 'logLevel'],
  ['MCP_GATEWAY_REDIS_URL', 'rateLimit.redis.url'],
  ['MCP_GATEWAY_CLUSTER_SECRET', 'cluster.secret'],
];

export interface Substituted {
  readonly value: unknown;
  readonly issues: readonly ConfigIssue[];
}

// `$${` is an escaped literal; `${NAME}` / `${NAME:-default}` a reference; any other `${` is a mistake.
const EXPRESSION = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

/**
 * Returns a substituted deep copy of `doc` (keys untouched). A string with an
 * unresolvable reference is kept as written and reported.
 */
export function substituteEnv(doc: unknown, env: NodeJS.ProcessEnv): Substituted {
  const issues: ConfigIssue[] = [];
  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node === 'string') return substituteString(node, env, path, issues);
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (typeof node === 'object' && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value, [...path, key])]));
    }
    return node;
  };
  return { value: walk(doc, []), issues };
}

function substituteString(text: string, env: NodeJS.ProcessEnv, path: PathSegment[], issues: ConfigIssue[]): string {
  if (!text.includes('${')) return text;
  const problems: string[] = [];
  const result = text.replace(EXPRESSION, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined) {
      problems.push(`invalid substitution in ${JSON.stringify(text)}: use \${NAME} or \${NAME:-default} (write $\${ for a literal \${)`);
      return match;
    }
    if (fallback?.includes('${')) {
      // `${A:-${B}}` would stop at the first `}` and leave a stray one: say so rather than guess.
      problems.push(`nested substitution in ${JSON.stringify(text)} is not supported: a default is literal text (write $\${ for a literal \${)`);
      return match;
    }
    const value = env[name];
    // As in the shell, `:-` also covers a variable that is set but empty.
    if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
    if (value === undefined) {
      problems.push(`environment variable ${name} is not set`);
      return match;
    }
    return value;
  });
  const where = formatPath(path) || '(top level)';
  for (const message of problems) issues.push({ path: where, message });
  return problems.length > 0 ? text : result;
}

/** The `MCP_GATEWAY_*` overrides present (and non-empty) in `env`. */
export function envOverrides(env: NodeJS.ProcessEnv): ConfigOverride[] {
  return OVERRIDE_VARIABLES.flatMap(([variable, key]) => {
    const value = env[variable];
    return value === undefined || value === '' ? [] : [{ key, value, source: variable }];
  });
}

/**
 * Writes the overrides into `doc` (a private copy, before validation, so their
 * values are checked like the file's) and returns which field path each one
 * set, so errors can name the variable or flag instead. Later overrides win.
 */
export function applyOverrides(doc: unknown, overrides: readonly ConfigOverride[]): Map<string, string> {
  const sources = new Map<string, string>();
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return sources;
  const root = doc as Record<string, unknown>;
  for (const { key, value, source } of overrides) {
    const path = key.split('.');
    let node = root;
    for (const segment of path.slice(0, -1)) {
      const child = node[segment];
      node = (typeof child === 'object' && child !== null && !Array.isArray(child) ? child : (node[segment] = {})) as Record<string, unknown>;
    }
    node[path.at(-1)!] = value;
    sources.set(key, source);
  }
  return sources;
}
