/**
 * The caller's tools as tool definitions for the OpenAI and Anthropic APIs
 * (`GET /api/v1/tools?format=openai|anthropic`), so an application doing
 * function calling can hand them to a model and send the model's calls back
 * through `POST /api/v1/tools/call` unchanged.
 *
 * Both APIs want names matching ^[a-zA-Z0-9_-]{1,64}$, while an MCP qualified
 * name may hold `.` or `/` and run to 128+ characters. Each qualified name gets
 * one LLM name, from the whole routable catalog (not the caller's view), so the
 * name of a tool never depends on who lists it: a valid qualified name stays as
 * it is; otherwise invalid characters become `_`, and a name that had to be cut
 * to 64, or whose cleaned form another tool already has, ends in `_` and 8 hex
 * digits of its qualified name's SHA-256. Built once per catalog, never per call.
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { MergedCatalog } from '../supervisor/catalog.js';
import type { QualifiedNames } from '../qualified-names.js';

/** The name rule of both APIs' tool definitions. */
export const LLM_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export type LlmFormat = 'openai' | 'anthropic';

const MAX_LENGTH = 64;

export function parseLlmFormat(value: string | null): LlmFormat | undefined {
  if (value === null) return undefined;
  if (value === 'openai' || value === 'anthropic') return value;
  throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `unknown format "${value}": use format=openai (OpenAI function tools) or format=anthropic (Anthropic tool definitions), or leave it out for MCP tool entries`);
}

/** Qualified name ⇄ LLM name, in both directions. */
export class LlmToolNames {
  readonly #byQualified = new Map<string, string>();
  readonly #byLlmName = new Map<string, string>();

  constructor(qualifiedNames: Iterable<string>) {
    // Sorted, so which of two colliding names keeps the plain form never depends on config or listing order.
    const sorted = [...new Set(qualifiedNames)].sort();
    const valid = sorted.filter((name) => LLM_TOOL_NAME.test(name));
    for (const name of valid) this.#assign(name, name);
    const cleaned = new Map<string, string[]>();
    for (const name of sorted) {
      if (LLM_TOOL_NAME.test(name)) continue;
      const clean = name.replace(/[^a-zA-Z0-9_-]/g, '_');
      const group = cleaned.get(clean);
      if (group) group.push(name);
      else cleaned.set(clean, [name]);
    }
    for (const [clean, names] of cleaned) {
      const free = names.length === 1 && clean.length > 0 && clean.length <= MAX_LENGTH && !this.#byLlmName.has(clean);
      for (const name of names) this.#assign(name, free ? clean : this.#hashed(clean, name));
    }
  }

  #hashed(clean: string, qualified: string): string {
    const digest = createHash('sha256').update(qualified).digest('hex');
    // 8 hex digits almost always; more in the astronomically rare case that they collide too.
    for (let digits = 8; digits <= 32; digits += 8) {
      const suffix = `_${digest.slice(0, digits)}`;
      const candidate = clean.slice(0, MAX_LENGTH - suffix.length) + suffix;
      if (!this.#byLlmName.has(candidate)) return candidate;
    }
    throw new GatewayError('MCPGW_ERR_INTERNAL', `no collision-free LLM tool name for "${qualified}"`);
  }

  #assign(qualified: string, llmName: string): void {
    this.#byQualified.set(qualified, llmName);
    this.#byLlmName.set(llmName, qualified);
  }

  llmName(qualified: string): string | undefined {
    return this.#byQualified.get(qualified);
  }

  /** The qualified name an LLM name stands for (undefined if it names none). */
  qualified(llmName: string): string | undefined {
    return this.#byLlmName.get(llmName);
  }
}

/** One LlmToolNames per catalog: a new catalog (tools changed) gets new names, the rest of the time they are looked up. */
export class LlmToolNamesCache {
  readonly #names: QualifiedNames;
  #built = new WeakMap<MergedCatalog, LlmToolNames>();

  constructor(names: QualifiedNames) {
    this.#names = names;
  }

  for(catalog: MergedCatalog): LlmToolNames {
    let names = this.#built.get(catalog);
    if (names === undefined) {
      names = new LlmToolNames(catalog.toolRefs.map((ref) => this.#names.qualify(ref.serverId, ref.name)));
      this.#built.set(catalog, names);
    }
    return names;
  }
}

/**
 * An MCP inputSchema as both APIs take it: a JSON Schema whose top level is
 * `type: "object"` with `properties` (a tool without parameters gets the empty
 * object schema OpenAI documents). `$schema` is dropped: it is metadata for
 * validators, and strict function schemas refuse unknown top-level keywords.
 */
export function parametersSchema(inputSchema: unknown): Record<string, unknown> {
  if (typeof inputSchema !== 'object' || inputSchema === null || Array.isArray(inputSchema)) return { type: 'object', properties: {} };
  const { $schema: _schema, ...schema } = inputSchema as Record<string, unknown>;
  return { ...schema, type: 'object', properties: schema.properties ?? {} };
}

function description(tool: Readonly<Record<string, unknown>>): string {
  if (typeof tool.description === 'string') return tool.description;
  return typeof tool.title === 'string' ? tool.title : '';
}

/** A tool entry of GET /api/v1/tools (with `qualifiedName` and `inputSchema`) in the given API's shape. */
export function llmToolDefinition(format: LlmFormat, name: string, tool: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const schema = parametersSchema(tool.inputSchema);
  if (format === 'openai') return { type: 'function', function: { name, description: description(tool), parameters: schema } };
  return { name, description: description(tool), input_schema: schema };
}
