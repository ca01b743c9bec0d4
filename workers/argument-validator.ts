/**
 * Checks a `tools/call`'s arguments against the tool's `inputSchema` from this
 * worker's catalog, before the upstream sees them.
 *
 * Validators are compiled lazily, on a tool's first call, and kept per tool
 * name until a re-listing changes that tool's schema: a catalog refreshed on
 * every `ttlMs` would otherwise recompile every hot tool each time. A schema ajv
 * cannot compile is not enforced (and warned about once): the upstream accepts
 * calls to that tool, so the gateway must not make it uncallable.
 */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { GatewayError } from '../src/errors.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule.default;

const AJV_OPTIONS: Options = {
  // Real-world tool schemas carry keywords and formats ajv does not know; they are annotations, not errors.
  strict: false,
  // A caller (often a model) can fix every problem in one retry.
  allErrors: true,
  // Unknown keywords and formats are skipped quietly; compile failures are reported through the worker's log.
  logger: false,
  // A schema's `$id` must not be registered: two tools (or two versions of one) may share it.
  addUsedSchema: false,
  // No coerceTypes, useDefaults or removeAdditional: the arguments travel upstream exactly as the caller sent them.
};

/** More than this many complaints helps nobody read the message; `data.errors` is cut to the same length. */
const MAX_REPORTED = 20;

type Dialect = '2020-12' | 'draft-07';

interface ToolEntry {
  /** The schema's JSON text: what decides whether a re-listing changed it. */
  readonly text: string;
  readonly schema: unknown;
  /** Undefined until the first call; null when it does not compile. */
  validate: ValidateFunction | null | undefined;
}

export type WarnFn = (message: string, fields: Record<string, unknown>) => void;

export class ArgumentValidator {
  readonly #warn: WarnFn;
  #tools = new Map<string, ToolEntry>();
  readonly #ajv = new Map<Dialect, Ajv>();

  constructor(warn: WarnFn) {
    this.#warn = warn;
  }

  /** A new catalog version: tools whose schema is unchanged keep their compiled validator. */
  setCatalog(tools: readonly Record<string, unknown>[]): void {
    const previous = this.#tools;
    const next = new Map<string, ToolEntry>();
    for (const tool of tools) {
      const name = tool.name;
      const schema = tool.inputSchema;
      if (typeof name !== 'string' || !isSchema(schema)) continue;
      const text = JSON.stringify(schema);
      const known = previous.get(name);
      next.set(name, known !== undefined && known.text === text ? known : { text, schema, validate: undefined });
    }
    this.#tools = next;
  }

  /** The error to answer with, or undefined when the call may go upstream. */
  check(toolName: unknown, args: unknown): GatewayError | undefined {
    if (typeof toolName !== 'string') return undefined;
    const entry = this.#tools.get(toolName);
    // A tool the catalog does not list (yet): the upstream is the judge.
    if (entry === undefined) return undefined;
    if (entry.validate === undefined) entry.validate = this.#compile(toolName, entry.schema);
    const validate = entry.validate;
    // MCP makes `arguments` optional; a schema with required properties must still see the call as empty.
    if (validate === null || validate(args ?? {})) return undefined;
    return invalidArguments(toolName, validate.errors ?? []);
  }

  #compile(toolName: string, schema: unknown): ValidateFunction | null {
    const failures: string[] = [];
    for (const { dialect, schema: candidate } of candidates(schema)) {
      const ajv = this.#instance(dialect);
      try {
        return ajv.compile(candidate as object);
      } catch (error) {
        failures.push(`${dialect}: ${(error as Error).message}`);
      } finally {
        // The compiled function keeps what it needs; ajv's cache would otherwise keep every schema ever compiled.
        ajv.removeSchema(candidate as object);
      }
    }
    this.#warn(`the inputSchema of tool "${toolName}" does not compile; its arguments are passed on unchecked`, { tool: toolName, reasons: failures });
    return null;
  }

  #instance(dialect: Dialect): Ajv {
    let ajv = this.#ajv.get(dialect);
    if (ajv === undefined) {
      ajv = dialect === '2020-12' ? new Ajv2020(AJV_OPTIONS) : new Ajv(AJV_OPTIONS);
      addFormats(ajv);
      this.#ajv.set(dialect, ajv);
    }
    return ajv;
  }
}

function isSchema(value: unknown): boolean {
  return typeof value === 'boolean' || (typeof value === 'object' && value !== null && !Array.isArray(value));
}

/**
 * The dialects to try, in order. MCP makes 2020-12 the default for a schema
 * without `$schema`, but many servers still emit draft-07 constructs without
 * saying so (tuple `items`), hence the fallback. Drafts ajv has no meta-schema
 * for (04, 06, 2019-09) are compiled with `$schema` removed by the nearest one.
 */
function candidates(schema: unknown): { dialect: Dialect; schema: unknown }[] {
  const declared = typeof schema === 'object' && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
  if (declared === undefined) return [{ dialect: '2020-12', schema }, { dialect: 'draft-07', schema }];
  const text = String(declared);
  if (text.includes('/draft/2020-12/')) return [{ dialect: '2020-12', schema }];
  if (text.includes('/draft-07/')) return [{ dialect: 'draft-07', schema }];
  const { $schema: _unknown, ...bare } = schema as Record<string, unknown>;
  return text.includes('/2019-09/')
    ? [{ dialect: '2020-12', schema: bare }, { dialect: 'draft-07', schema: bare }]
    : [{ dialect: 'draft-07', schema: bare }, { dialect: '2020-12', schema: bare }];
}

function invalidArguments(toolName: string, errors: readonly ErrorObject[]): GatewayError {
  const reported = errors.slice(0, MAX_REPORTED);
  const more = errors.length > reported.length ? `; and ${errors.length - reported.length} more` : '';
  const lines = reported.map(describe).join('; ');
  return new GatewayError('MCPGW_ERR_INVALID_ARGUMENTS', `arguments of tool "${toolName}" do not match its inputSchema: ${lines}${more}`, {
    tool: toolName,
    errors: reported.map(({ instancePath, schemaPath, keyword, params, message }) => ({ instancePath, schemaPath, keyword, params, message })),
  });
}

/** `/a: must be number`, with the detail ajv keeps in `params` where its message leaves it out. */
function describe(error: ErrorObject): string {
  const path = error.instancePath === '' ? '/' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  let message = error.message ?? `fails ${error.keyword}`;
  if (error.keyword === 'additionalProperties') message += ` ("${String(params.additionalProperty)}")`;
  else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) message += `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${path}: ${message}`;
}
