/**
 * Replays a captured tool call: the same tool and arguments, to the server
 * that answered it or another, through the path every call takes (routing,
 * access rules and limits, the supervisor, metrics, the request log, whose
 * new entry names the call it replays and the caller who replayed it). Only a
 * tool annotated `readOnlyHint: true` runs without `confirm`; anything else is
 * a dry run that says what would be sent. The reply compares the new outcome
 * with the captured one.
 */
import type { CaptureConfig } from '../config/types.js';
import { GatewayError, toGatewayError } from '../errors.js';
import { hasPointer, maskAt } from '../json-pointer.js';
import { Capture, REDACTED } from '../observability/capture.js';
import { outcomeOf, type CallRecorder } from '../observability/call-recorder.js';
import type { CallOutcomeLabel } from '../observability/metrics.js';
import type { ReplayOf } from '../observability/request-log.js';
import type { TraceIds } from '../observability/trace-context.js';
import type { Caller } from '../policy/caller.js';
import type { Policy } from '../policy/policy.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { CaptureRecord } from './capture-record.js';
import { diffJson, type JsonChange } from './json-diff.js';
import { jsonTextString } from '../json-text.js';

export interface ReplayOptions {
  /** Another server to send it to (by id); the captured one otherwise. */
  readonly server?: string;
  /** Run a tool that is not annotated read-only. */
  readonly confirm: boolean;
  /** Merged over the captured arguments: the values of redacted fields, or a whole new set for a truncated capture. */
  readonly arguments?: Record<string, unknown>;
  /** Bytes of the replay request that arrived, for the new log entry. */
  readonly requestBytes: number;
  /** The replay request's `X-Request-Id`, for the new log entry. */
  readonly requestId: string;
}

export interface ReplayedRequest {
  readonly server: string;
  readonly tool: string;
  /** As sent, with the redacted fields still shown "[redacted]" (values given in `arguments` are not echoed). */
  readonly arguments?: unknown;
  readonly readOnly: boolean;
}

export type ReplayDiff =
  | { readonly comparable: true; readonly identical: boolean; readonly changes: readonly JsonChange[] }
  | { readonly comparable: false; readonly reason: string };

export type ReplayReply =
  | { readonly dryRun: true; readonly replayOf: ReplayOf; readonly request: ReplayedRequest; readonly reason: string }
  | {
      readonly dryRun: false;
      readonly replayOf: ReplayOf;
      readonly request: ReplayedRequest;
      /** The replay's own request-log entry. */
      readonly logId: number | null;
      readonly traceId: string;
      readonly status: 'ok' | 'tool_error' | 'error';
      readonly httpStatus: number;
      /** The new result, redacted as captures are (so it compares with the captured one). */
      readonly result?: unknown;
      readonly error?: { readonly code: string; readonly message: string };
      readonly diff: ReplayDiff;
    };

export interface ReplayerDeps {
  readonly supervisor: Supervisor;
  readonly policy: Policy;
  readonly recorder: CallRecorder;
  readonly traceIds: TraceIds;
  readonly capture: CaptureConfig;
}

const ARGUMENTS = '/request/arguments';

export class Replayer {
  readonly #deps: ReplayerDeps;
  /** Redaction by this gateway's rules, for the new result (capture on or off). */
  readonly #redaction: Capture;

  constructor(deps: ReplayerDeps) {
    this.#deps = deps;
    this.#redaction = new Capture(deps.capture);
  }

  async replay(record: CaptureRecord, source: ReplayOf['source'], options: ReplayOptions, caller: Caller): Promise<ReplayReply> {
    const replayOf: ReplayOf = { id: record.id, source };
    const args = replayArguments(record, options.arguments);
    const { supervisor } = this.#deps;
    const route = supervisor.route(record.tool, options.server ?? record.server ?? undefined);
    const tool = supervisor.group(route.serverId)?.catalog.tools.find((entry) => entry.name === route.tool);
    const readOnly = (tool?.annotations as { readOnlyHint?: unknown } | undefined)?.readOnlyHint === true;
    const request: ReplayedRequest = {
      server: route.serverId,
      tool: route.tool,
      ...(args !== undefined ? { arguments: this.#shown(args, argumentPointers(record)) } : {}),
      readOnly,
    };
    if (!readOnly && !options.confirm) {
      const reason = `tool "${route.tool}" on server "${route.serverId}" is not annotated readOnlyHint: true, so replaying it may change something; nothing was sent. Send "confirm": true to run it.`;
      return { dryRun: true, replayOf, request, reason };
    }
    const outcome = await this.#call(route, args, options, caller, replayOf);
    const redactedResult = outcome.resultJson === undefined ? undefined : this.#shown(JSON.parse(outcome.resultJson) as unknown, resultPointers(record));
    const now = outcome.error === undefined ? redactedResult : { error: { code: outcome.error.code, message: outcome.error.message } };
    return {
      dryRun: false,
      replayOf,
      request,
      logId: outcome.logId ?? null,
      traceId: outcome.traceId,
      status: outcome.label === 'ok' ? 'ok' : outcome.label === 'tool_error' ? 'tool_error' : 'error',
      httpStatus: outcome.httpStatus,
      ...(outcome.error === undefined ? { result: redactedResult } : { error: { code: outcome.error.code, message: outcome.error.message } }),
      diff: compare(record, now),
    };
  }

  /** Redacted by this gateway's rules and at the capture's own redacted fields (it may come from a gateway with other rules). */
  #shown(value: unknown, pointers: readonly string[]): unknown {
    return this.#redaction.redact(maskAt(value, pointers, REDACTED));
  }

  /** The call itself, counted like any other: policy first, then the supervisor; every end recorded once. */
  async #call(route: { serverId: string; tool: string }, args: Record<string, unknown> | undefined, options: ReplayOptions, caller: Caller, replayOf: ReplayOf) {
    const { supervisor, policy, recorder, traceIds } = this.#deps;
    const receivedAt = Date.now();
    const traceId = traceIds.of({});
    const upstream = recorder.upstreamTrace(traceId);
    let label: CallOutcomeLabel;
    let httpStatus = 200;
    let resultJson: string | undefined;
    let error: GatewayError | undefined;
    let timings = { upstreamMs: 0, queuedMs: 0 };
    try {
      await policy.admit(caller, 'tool', route.serverId, route.tool);
      const call = supervisor.callTool(route, args, {
        caller,
        ...(upstream !== undefined ? { extraParams: { _meta: { traceparent: upstream.traceparent } }, headers: { traceparent: upstream.traceparent } } : {}),
        deadlineFor: (timeoutMs) => receivedAt + timeoutMs,
        // A replay has no client to ask, as REST has none.
        onInputRequest: (method) => Promise.reject(new GatewayError('MCPGW_ERR_INPUT_REQUIRED', `${method} cannot be answered in a replay`)),
      });
      const outcome = await call.outcome;
      timings = { upstreamMs: outcome.upstreamMs, queuedMs: outcome.queuedMs };
      if (!outcome.ok) throw outcome.error;
      if (outcome.inputRequired) throw new GatewayError('MCPGW_ERR_INPUT_REQUIRED', `tool "${route.tool}" on server "${route.serverId}" needs input from the client (elicitation, sampling or roots), which a replay cannot give`);
      resultJson = jsonTextString(outcome.result);
      label = outcome.toolError ? 'tool_error' : 'ok';
    } catch (thrown) {
      error = toGatewayError(thrown);
      label = outcomeOf(error);
      httpStatus = error.status;
    }
    const logId = recorder.record({
      via: 'rest',
      requestId: options.requestId,
      caller: caller.name,
      ...policy.tenancy.sliceField(caller, route.serverId),
      receivedAt,
      traceId,
      server: route.serverId,
      tool: route.tool,
      outcome: label,
      httpStatus,
      requestBytes: options.requestBytes,
      responseBytes: resultJson === undefined ? 0 : Buffer.byteLength(resultJson),
      ...timings,
      ...(args !== undefined ? { arguments: args } : {}),
      ...(resultJson !== undefined ? { resultJson } : {}),
      ...(error ? { error } : {}),
      ...(upstream !== undefined ? { upstreamSpanId: upstream.spanId } : {}),
      replayOf,
    });
    return { logId, traceId, label, httpStatus, resultJson, error };
  }
}

/**
 * The arguments a replay sends: the captured ones with `override` merged over
 * them. Refused when the capture cannot stand for the original call and
 * `override` does not make up for it.
 */
export function replayArguments(record: CaptureRecord, override: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const request = record.captured.request;
  if (request === undefined) {
    throw new GatewayError('MCPGW_ERR_NOT_REPLAYABLE', `request ${record.id} cannot be replayed: its request was not captured (monitor.capture.arguments or monitor.capture.tools)`, { id: record.id, reason: 'not_captured' });
  }
  const truncated = record.captured.truncated?.includes('arguments') === true;
  if (truncated && override === undefined) {
    throw new GatewayError('MCPGW_ERR_NOT_REPLAYABLE', `request ${record.id} cannot be replayed as captured: its arguments were cut to monitor.capture.maxBytes; give the whole arguments in "arguments"`, { id: record.id, reason: 'truncated' });
  }
  const captured = truncated ? undefined : (request.arguments as Record<string, unknown> | undefined);
  const args = override === undefined ? captured : (merge(captured ?? {}, override) as Record<string, unknown>);
  const missing = argumentPointers(record).filter((pointer) => override === undefined || !hasPointer(override, pointer));
  if (missing.length > 0) {
    throw new GatewayError(
      'MCPGW_ERR_CAPTURE_REDACTED',
      `request ${record.id} cannot be replayed faithfully: its arguments were redacted at ${missing.join(', ')}; give their values in "arguments" (merged over the captured ones)`,
      { id: record.id, fields: missing },
    );
  }
  return args;
}

/** Redacted fields of the arguments, as pointers into the arguments. */
function argumentPointers(record: CaptureRecord): string[] {
  return (record.captured.redacted ?? []).filter((pointer) => pointer.startsWith(`${ARGUMENTS}/`)).map((pointer) => pointer.slice(ARGUMENTS.length));
}

/** Redacted fields of the result, as pointers into the result. */
function resultPointers(record: CaptureRecord): string[] {
  return (record.captured.redacted ?? []).filter((pointer) => pointer.startsWith('/result/')).map((pointer) => pointer.slice('/result'.length));
}

/** The captured outcome (its result, or its error) against the new one. */
function compare(record: CaptureRecord, now: unknown): ReplayDiff {
  let before: unknown;
  if (record.captured.result !== undefined) {
    if (record.captured.truncated?.includes('result') === true) return { comparable: false, reason: 'the captured result was cut to monitor.capture.maxBytes' };
    before = record.captured.result;
  } else if (record.status === 'error' && record.errorCode !== undefined) {
    before = { error: { code: record.errorCode, message: record.errorMessage ?? '' } };
  } else {
    return { comparable: false, reason: 'the capture holds no result to compare with (monitor.capture.results)' };
  }
  const changes = diffJson(before, now);
  return { comparable: true, identical: changes.length === 0, changes };
}

/** Objects merge key by key; anything else in `over` replaces what is under it. */
function merge(under: unknown, over: unknown): unknown {
  if (!isObject(under) || !isObject(over)) return over;
  const merged: Record<string, unknown> = { ...under };
  for (const [key, value] of Object.entries(over)) merged[key] = Object.hasOwn(under, key) ? merge(under[key], value) : value;
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

