/**
 * A captured call as it leaves the gateway and comes back: one line of the
 * NDJSON export (`GET /api/v1/requests/export`), the body of
 * `POST /api/v1/replay`, and what `mcp-gateway replay` reads from a file.
 * Version 1; README ("Request replay") documents every field.
 */
import { GatewayError } from '../errors.js';
import { pointerSegments } from '../json-pointer.js';
import type { Captured, CapturedPart } from '../observability/capture.js';
import type { CallStatus, RequestLogEntry } from '../observability/request-log.js';

export const CAPTURE_FORMAT = 'mcp-gateway/capture';
export const CAPTURE_VERSION = 1;

export interface CaptureTiming {
  readonly totalMs: number;
  /** Waiting in the upstream's worker for a free slot (`maxConcurrency`). */
  readonly queuedMs: number;
  readonly upstreamMs: number;
  /** The gateway's own share (front door, policy, thread hops): total less queue and upstream. */
  readonly gatewayMs: number;
}

/** The request-log entry's own fields (README, "Request log"), plus the format, the timing as one object, and the capture. */
export interface CaptureRecord
  extends Pick<RequestLogEntry, 'id' | 'time' | 'traceId' | 'via' | 'caller' | 'server' | 'tool' | 'status' | 'httpStatus' | 'errorCode' | 'errorMessage' | 'replayOf'> {
  readonly format: typeof CAPTURE_FORMAT;
  readonly version: typeof CAPTURE_VERSION;
  readonly timing: CaptureTiming;
  readonly captured: Captured;
}

/** The record of a log entry; undefined for an entry without a capture. */
export function toCaptureRecord(entry: RequestLogEntry): CaptureRecord | undefined {
  if (entry.captured === undefined) return undefined;
  return {
    format: CAPTURE_FORMAT,
    version: CAPTURE_VERSION,
    id: entry.id,
    time: entry.time,
    traceId: entry.traceId,
    via: entry.via,
    caller: entry.caller,
    server: entry.server,
    tool: entry.tool,
    status: entry.status,
    httpStatus: entry.httpStatus,
    ...(entry.errorCode !== undefined ? { errorCode: entry.errorCode } : {}),
    ...(entry.errorMessage !== undefined ? { errorMessage: entry.errorMessage } : {}),
    timing: { totalMs: entry.durationMs, queuedMs: entry.queuedMs, upstreamMs: entry.upstreamMs, gatewayMs: entry.gatewayMs },
    captured: entry.captured,
    ...(entry.replayOf !== undefined ? { replayOf: entry.replayOf } : {}),
  };
}

const PARTS: readonly CapturedPart[] = ['arguments', '_meta', 'result'];
const STATUSES: readonly CallStatus[] = ['ok', 'tool_error', 'error'];

/**
 * Checks a record that came from outside (a file, a request body) field by
 * field; `where` prefixes every complaint (e.g. `line 3`).
 */
export function parseCaptureRecord(value: unknown, where = 'capture'): CaptureRecord {
  const fail = (problem: string): never => {
    throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `${where}: ${problem}`);
  };
  if (!isObject(value)) return fail('must be a JSON object (one line of GET /api/v1/requests/export)');
  if (value.format !== CAPTURE_FORMAT) fail(`"format" must be "${CAPTURE_FORMAT}"`);
  if (value.version !== CAPTURE_VERSION) fail(`"version" ${JSON.stringify(value.version)} is not one this gateway reads (it reads ${CAPTURE_VERSION})`);
  if (!Number.isSafeInteger(value.id) || (value.id as number) < 1) fail('"id" must be a positive integer');
  for (const key of ['time', 'traceId', 'caller', 'tool'] as const) if (typeof value[key] !== 'string') fail(`"${key}" must be a string`);
  if (value.tool === '') fail('"tool" must not be empty');
  if (value.via !== 'rest' && value.via !== 'mcp') fail('"via" must be "rest" or "mcp"');
  if (value.server !== null && (typeof value.server !== 'string' || value.server === '')) fail('"server" must be a server id or null');
  if (!STATUSES.includes(value.status as CallStatus)) fail(`"status" must be one of ${STATUSES.join(', ')}`);
  if (!Number.isSafeInteger(value.httpStatus)) fail('"httpStatus" must be an integer');
  for (const key of ['errorCode', 'errorMessage'] as const) if (value[key] !== undefined && typeof value[key] !== 'string') fail(`"${key}" must be a string`);
  const timing = value.timing;
  if (!isObject(timing) || !['totalMs', 'queuedMs', 'upstreamMs', 'gatewayMs'].every((key) => typeof timing[key] === 'number')) fail('"timing" must hold the numbers totalMs, queuedMs, upstreamMs, gatewayMs');
  const captured = value.captured;
  if (!isObject(captured)) return fail('"captured" must be an object');
  if (captured.request !== undefined) {
    if (!isObject(captured.request)) fail('"captured.request" must be an object');
    const args = (captured.request as Record<string, unknown>).arguments;
    if (args !== undefined && !isObject(args) && typeof args !== 'string') fail('"captured.request.arguments" must be an object (or, when truncated, the cut JSON text)');
  }
  if (captured.truncated !== undefined && (!Array.isArray(captured.truncated) || !captured.truncated.every((part) => PARTS.includes(part as CapturedPart)))) {
    fail(`"captured.truncated" must list parts among ${PARTS.join(', ')}`);
  }
  if (captured.redacted !== undefined) {
    if (!Array.isArray(captured.redacted) || !captured.redacted.every((pointer) => typeof pointer === 'string')) fail('"captured.redacted" must be a list of JSON Pointers');
    for (const pointer of captured.redacted as string[]) {
      try {
        pointerSegments(pointer);
      } catch (error) {
        fail(`"captured.redacted": ${(error as Error).message}`);
      }
    }
  }
  return value as unknown as CaptureRecord;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
