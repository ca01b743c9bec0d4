/**
 * Task ids as the gateway's clients see them: `<serverId>:<replica>:<base64url(upstream id)>`.
 * A task lives in one upstream connection, so the id says which server and
 * which replica made it; tasks/* requests are routed by it alone, with no
 * table to keep. It is no security boundary (a client can only name tasks its
 * upstream would hand to anyone holding the id), but a malformed or unknown id
 * is refused with -32602, never routed somewhere by guesswork.
 */
import { GatewayError } from '../errors.js';

export interface TaskOwner {
  readonly serverId: string;
  readonly replica: number;
  /** The id the upstream gave the task. */
  readonly taskId: string;
}

/** The `_meta` key a 2025 task result names its task with. */
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

const SHAPE = /^([A-Za-z0-9][A-Za-z0-9_-]{0,63}):(\d{1,2}):([A-Za-z0-9_-]+)$/;

export function wrapTaskId(serverId: string, replica: number, taskId: string): string {
  return `${serverId}:${replica}:${Buffer.from(taskId, 'utf8').toString('base64url')}`;
}

export function unwrapTaskId(value: unknown): TaskOwner {
  if (typeof value !== 'string' || value === '') throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'tasks/* needs a string "taskId"');
  const match = SHAPE.exec(value);
  const taskId = match ? Buffer.from(match[3]!, 'base64url').toString('utf8') : undefined;
  // Decoding is lenient; only an id that encodes back to itself is one the gateway made.
  if (!match || taskId === undefined || Buffer.from(taskId, 'utf8').toString('base64url') !== match[3]) {
    throw new GatewayError('MCPGW_ERR_UNKNOWN_TASK', `unknown task "${value.length > 100 ? value.slice(0, 100) + '…' : value}": not a task id this gateway issued`);
  }
  return { serverId: match[1]!, replica: Number(match[2]), taskId };
}

/**
 * Rewrites every task id in an upstream result for the client: a 2025
 * `{task: {taskId}}`, a flat `{taskId}` (tasks/get, tasks/cancel, a 2026-07-28
 * `resultType: "task"`), a `tasks/list` page, and the related-task `_meta`.
 */
export function wrapTaskIds(resultJson: string, serverId: string, replica: number): string {
  const result = JSON.parse(resultJson) as Record<string, unknown>;
  const wrap = (holder: unknown) => {
    const task = holder as { taskId?: unknown } | null;
    if (task && typeof task === 'object' && typeof task.taskId === 'string') task.taskId = wrapTaskId(serverId, replica, task.taskId);
  };
  wrap(result);
  wrap(result.task);
  if (Array.isArray(result.tasks)) for (const task of result.tasks) wrap(task);
  wrap((result._meta as Record<string, unknown> | undefined)?.[RELATED_TASK]);
  return JSON.stringify(result);
}
