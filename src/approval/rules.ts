/**
 * Which tool calls wait for a person (`approval.rules`): compiled once per
 * config. With no rules the check is one length test, so the hot path pays
 * nothing; annotation rules read the tool's catalog entry, indexed once per
 * catalog.
 */
import type { ApprovalConfig, ApprovalHint, ApprovalRule } from '../config/types.js';
import { globsPattern } from '../policy/glob.js';

/** What a matching rule asks for one call. */
export interface ApprovalRequirement {
  /** Position in `approval.rules`, for messages. */
  readonly rule: number;
  /** Ask the calling MCP client when it can answer (elicitation); otherwise hold for an approver. */
  readonly askClient: boolean;
  readonly timeoutMs: number;
}

/** A tool's catalog entry as far as rules care: its annotations. */
export type AnnotationsOf = (serverId: string, tool: string) => Readonly<Record<string, unknown>> | undefined;

interface CompiledRule {
  readonly tools: RegExp | undefined;
  readonly annotations: readonly (readonly [ApprovalHint, boolean])[];
  readonly requirement: ApprovalRequirement;
}

export class ApprovalRules {
  readonly #rules: readonly CompiledRule[];
  readonly #annotationsOf: AnnotationsOf;

  constructor(config: ApprovalConfig, annotationsOf: AnnotationsOf) {
    this.#annotationsOf = annotationsOf;
    this.#rules = config.rules.map((rule, index) => compile(rule, index, config.timeoutSeconds));
  }

  get empty(): boolean {
    return this.#rules.length === 0;
  }

  /** The first rule the call matches, or undefined: the call goes on as usual. */
  match(serverId: string, tool: string): ApprovalRequirement | undefined {
    if (this.#rules.length === 0) return undefined;
    const target = `${serverId}/${tool}`;
    let annotations: Readonly<Record<string, unknown>> | undefined | null = null;
    for (const rule of this.#rules) {
      if (rule.tools !== undefined && !rule.tools.test(target)) continue;
      if (rule.annotations.length > 0) {
        if (annotations === null) annotations = this.#annotationsOf(serverId, tool);
        // A tool that says nothing about a hint does not match a rule about it: absent is not false.
        if (!rule.annotations.every(([hint, wanted]) => annotations?.[hint] === wanted)) continue;
      }
      return rule.requirement;
    }
    return undefined;
  }
}

function compile(rule: ApprovalRule, index: number, defaultTimeoutSeconds: number): CompiledRule {
  return {
    tools: rule.tools === undefined ? undefined : globsPattern(rule.tools),
    annotations: Object.entries(rule.annotations ?? {}) as [ApprovalHint, boolean][],
    requirement: { rule: index, askClient: rule.ask === 'client', timeoutMs: Math.round((rule.timeoutSeconds ?? defaultTimeoutSeconds) * 1000) },
  };
}

type Tool = Readonly<Record<string, unknown>>;

/**
 * Annotations by tool name, indexed once per catalog (catalogs are replaced,
 * never changed in place, so the list itself is the cache key).
 */
export function indexedAnnotations(toolsOf: (serverId: string) => readonly Tool[] | undefined): AnnotationsOf {
  const indexes = new WeakMap<readonly Tool[], Map<string, Tool | undefined>>();
  return (serverId, tool) => {
    const tools = toolsOf(serverId);
    if (tools === undefined) return undefined;
    let index = indexes.get(tools);
    if (index === undefined) {
      index = new Map(tools.map((entry) => [String(entry.name), entry.annotations as Tool | undefined]));
      indexes.set(tools, index);
    }
    return index.get(tool);
  };
}
