/**
 * Task routing for both eras: 2025-11-25 tasks (`tasks/get`, `tasks/result`,
 * `tasks/list`, `tasks/cancel`, after a task-augmented `tools/call`) and the
 * 2026-07-28 extension `io.modelcontextprotocol/tasks` (`tasks/get`,
 * `tasks/update`, `tasks/cancel`, after an unsolicited `resultType: "task"`).
 * Every tasks/* request goes to the upstream connection that made the task,
 * named by the gateway's task id (task-ids.ts); ids in the answer are wrapped
 * again on the way out.
 */
import type { Caller } from '../policy/caller.js';
import { GatewayError } from '../errors.js';
import type { ServerGroup } from '../supervisor/server-group.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { ForwardedMethod } from '../threads/messages.js';
import type { Answer, CallContext } from './mcp-service.js';
import { unwrapTaskId, wrapTaskIds } from './task-ids.js';
import { META_CLIENT_CAPABILITIES } from './versions.js';
import { jsonTextString } from '../json-text.js';

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
export const MODERN_TASK_METHODS: ReadonlySet<string> = new Set(['tasks/get', 'tasks/update', 'tasks/cancel']);
export const LEGACY_TASK_METHODS: ReadonlySet<string> = new Set(['tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel']);

/** A merged `tasks/list` follows each upstream's pages up to this many. */
const MAX_LIST_PAGES = 20;

/** Task owners remembered; the oldest are forgotten first (their tasks then answer "unknown task"). */
const MAX_OWNED_TASKS = 10_000;

interface TasksCapability {
  list?: unknown;
  cancel?: unknown;
  requests?: { tools?: { call?: unknown } };
}

/**
 * Upstream connections are shared by every caller, so the upstream cannot
 * tell whose task is whose: the gateway remembers who was handed each task id
 * and answers only that caller's tasks/* about it.
 */
export class TaskRouter {
  readonly #supervisor: Supervisor;
  readonly #owners = new Map<string, string>();
  /** Whether a caller may reach a server at all (multi-tenant mode: its view); a task elsewhere is one that does not exist. */
  readonly #reaches: (caller: Caller, serverId: string) => boolean;

  constructor(supervisor: Supervisor, reaches: (caller: Caller, serverId: string) => boolean = () => true) {
    this.#supervisor = supervisor;
    this.#reaches = reaches;
  }

  /** tasks/get, tasks/result, tasks/cancel, tasks/update: to the replica that owns the task. */
  /** A result that made a task: its ids wrapped for the client, and the task recorded as this caller's. */
  issue(resultJson: string, serverId: string, replica: number, callerKey: string): string {
    const wrapped = wrapTaskIds(resultJson, serverId, replica);
    for (const taskId of taskIdsIn(wrapped)) {
      if (this.#owners.size >= MAX_OWNED_TASKS) this.#owners.delete(this.#owners.keys().next().value!);
      this.#owners.set(taskId, callerKey);
    }
    return wrapped;
  }

  async request(method: ForwardedMethod, params: Record<string, unknown>, context: CallContext): Promise<Answer> {
    const owner = unwrapTaskId(params.taskId);
    const group = this.#reaches(context.caller, owner.serverId) ? this.#supervisor.group(owner.serverId) : undefined;
    if (!group) throw new GatewayError('MCPGW_ERR_UNKNOWN_TASK', `unknown task "${String(params.taskId)}": no server "${owner.serverId}" is configured`);
    // Another caller's task is reported exactly like a missing one (a task of a replica that is gone is reported as that, below).
    const replicaRuns = group.replicaSummaries()[owner.replica]?.ready === true;
    if (replicaRuns && this.#owners.get(params.taskId as string) !== context.caller.key) throw new GatewayError('MCPGW_ERR_UNKNOWN_TASK', `unknown task "${String(params.taskId)}"`);
    const { _meta, ...rest } = params;
    const forwarded = { ...rest, taskId: owner.taskId, ...(context.clientCapabilities === undefined ? {} : { _meta: { [META_CLIENT_CAPABILITIES]: context.clientCapabilities } }) };
    const call = this.#supervisor.forwardToReplica(owner.serverId, owner.replica, method, JSON.stringify(forwarded), {
      caller: context.caller,
      deadlineFor: (timeoutMs) => context.receivedAt + timeoutMs,
      ...(context.onProgress ? { onProgress: context.onProgress } : {}),
      ...(context.headers ? { headers: context.headers } : {}),
    });
    context.onCancel(call.cancel);
    const outcome = await call.outcome;
    if (!outcome.ok) throw outcome.error;
    return { resultJson: wrapTaskIds(jsonTextString(outcome.result), owner.serverId, owner.replica), inputRequired: false };
  }

  /**
   * tasks/list (2025): every replica of every server that lists tasks, merged
   * in one page. A cursor would have to carry a position in each upstream's
   * listing; one merged page keeps that out of the id space.
   */
  async list(params: Record<string, unknown>, context: CallContext): Promise<Answer> {
    if (params.cursor !== undefined) throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', `invalid cursor "${String(params.cursor)}": the gateway lists every task in one page`);
    const tasks: unknown[] = [];
    for (const group of this.#listing().filter((listing) => this.#reaches(context.caller, listing.config.id))) {
      for (const replica of group.replicaSummaries()) {
        if (!replica.ready) continue;
        let cursor: unknown;
        for (let page = 0; page < MAX_LIST_PAGES; page++) {
          const call = this.#supervisor.forwardToReplica(group.config.id, replica.index, 'tasks/list', JSON.stringify(cursor === undefined ? {} : { cursor }), {
            caller: context.caller,
            deadlineFor: (timeoutMs) => context.receivedAt + timeoutMs,
          });
          context.onCancel(call.cancel);
          const outcome = await call.outcome;
          if (!outcome.ok) throw outcome.error;
          const listed = JSON.parse(wrapTaskIds(jsonTextString(outcome.result), group.config.id, replica.index)) as { tasks?: { taskId?: unknown }[]; nextCursor?: unknown };
          tasks.push(...(listed.tasks ?? []).filter((task) => this.#owners.get(task.taskId as string) === context.caller.key));
          cursor = listed.nextCursor;
          if (cursor === undefined) break;
        }
      }
    }
    return { resultJson: JSON.stringify({ tasks }), inputRequired: false };
  }

  /** The 2025 `tasks` capability: what any ready 2025 upstream the caller reaches offers. */
  legacyCapability(caller?: Caller): Record<string, unknown> | undefined {
    let merged: Record<string, unknown> | undefined;
    for (const group of this.#ready(caller)) {
      const tasks = group.identity?.capabilities.tasks as TasksCapability | undefined;
      if (!tasks || typeof tasks !== 'object') continue;
      merged ??= {};
      if (tasks.list !== undefined) merged.list = {};
      if (tasks.cancel !== undefined) merged.cancel = {};
      if (tasks.requests?.tools?.call !== undefined) merged.requests = { tools: { call: {} } };
    }
    return merged;
  }

  /** Whether a ready 2026-07-28 upstream the caller reaches speaks the tasks extension. */
  extension(caller?: Caller): boolean {
    return this.#ready(caller).some((group) => TASKS_EXTENSION in ((group.identity?.capabilities.extensions as Record<string, unknown> | undefined) ?? {}));
  }

  #ready(caller?: Caller): ServerGroup[] {
    return this.#supervisor.groups().filter((group) => (group.state === 'ready' || group.state === 'unhealthy') && (caller === undefined || this.#reaches(caller, group.config.id)));
  }

  #listing(): ServerGroup[] {
    return this.#ready().filter((group) => (group.identity?.capabilities.tasks as TasksCapability | undefined)?.list !== undefined);
  }
}

/** The (wrapped) task ids a result names: a 2025 `{task: {taskId}}`, or a flat `{taskId}`. */
function taskIdsIn(resultJson: string): string[] {
  const result = JSON.parse(resultJson) as { taskId?: unknown; task?: { taskId?: unknown } };
  return [result.taskId, result.task?.taskId].filter((id): id is string => typeof id === 'string');
}
