/**
 * Judges one outcome against its case: status, Content-Type, the security
 * header, the error shape (REST `{"error":{code,message}}` or a JSON-RPC
 * error with a numeric code and `data.code`, the two agreeing with the error
 * table), the echoed id, and for a valid call what the upstream reported it
 * received. Returns the problems, never throws: every case is judged.
 */
import { isDeepStrictEqual } from 'node:util';
import { ERRORS, isErrorCode } from '../../src/errors.js';
import type { Case, Expectation, Refusal, Silence, Success } from './generator.js';
import type { Answer, Outcome } from './wire.js';

export interface Verdict {
  readonly problems: readonly string[];
  /** How the case was answered, for the report: `refused 4xx`, `JSON-RPC error on 200`, `valid`, `engine: held`, … */
  readonly classes: readonly string[];
  /** Calls the upstream's counting tools received for this case (valid calls, confirmed by their answer). */
  readonly upstreamCalls: number;
}

export function judge(c: Case, outcome: Outcome): Verdict {
  if (outcome.kind === 'client-error') return { problems: [`the fuzzer's own client failed: ${outcome.message}`], classes: ['client error'], upstreamCalls: 0 };
  const expected = c.transport === 'http' ? [c.expect] : c.expect;
  if (outcome.kind === 'silent') {
    const allowed = c.silence.includes(outcome.ending);
    return { problems: allowed ? [] : [`no answer: the connection was ${describeEnding(outcome.ending)}`], classes: [`engine: ${outcome.ending}`], upstreamCalls: 0 };
  }
  const problems: string[] = [];
  const classes: string[] = [];
  let upstreamCalls = 0;
  const head = new Set(c.transport === 'raw' ? (c.headAt ?? []) : c.method === 'HEAD' ? [0] : []);
  outcome.answers.forEach((answer, i) => {
    const options = expected[i];
    if (options === undefined) {
      problems.push(`answer ${i + 1} was not asked for (${c.transport === 'raw' && c.smuggle ? 'a smuggled request was served' : 'the framing was misread'}): ${summarise(answer)}`);
      return;
    }
    const tries = options.map((expectation) => ({ expectation, problems: match(answer, expectation, head.has(i)) }));
    const hit = tries.find((attempt) => attempt.problems.length === 0);
    if (hit === undefined) {
      const closest = tries.reduce((best, attempt) => (attempt.problems.length < best.problems.length ? attempt : best));
      problems.push(`answer ${i + 1}: ${closest.problems.join('; ')} — got ${summarise(answer)}`);
      return;
    }
    classes.push(classOf(answer, hit.expectation));
    if (hit.expectation.kind === 'success' && hit.expectation.upstreamArgs !== undefined) upstreamCalls++;
  });
  if (outcome.answers.length < expected.length && !c.silence.includes(outcome.after)) {
    problems.push(`${expected.length - outcome.answers.length} request(s) got no answer: the connection was ${describeEnding(outcome.after)}`);
  }
  if (outcome.answers.length < expected.length) classes.push(`engine: ${outcome.after}`);
  return { problems, classes, upstreamCalls };
}

function match(answer: Answer, expectation: Expectation, head: boolean): string[] {
  const problems: string[] = [];
  const statuses: readonly number[] = expectation.kind === 'success' ? [expectation.status] : expectation.status;
  if (!statuses.includes(answer.status)) problems.push(`status ${answer.status}, expected ${statuses.join(' or ')}`);
  if (answer.status >= 500) problems.push('a 5xx: the gateway failed on a client\'s request');
  // Every answer of the gateway carries the security headers, the engine's own refusals included.
  if (answer.headers['x-content-type-options'] !== 'nosniff') problems.push('no X-Content-Type-Options: nosniff');
  if (expectation.kind === 'success' && expectation.body === 'empty') {
    if (answer.body.length !== 0) problems.push(`expected no body, got ${answer.body.length} bytes`);
    return problems;
  }
  if (!/^application\/json\b/i.test(answer.headers['content-type'] ?? '')) problems.push(`Content-Type ${answer.headers['content-type'] ?? '(none)'}, expected application/json`);
  if (head) return problems;
  let body: unknown;
  try {
    body = JSON.parse(answer.body.toString('utf8'));
  } catch {
    problems.push('the body is not JSON');
    return problems;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    problems.push('the body is not a JSON object');
    return problems;
  }
  return [...problems, ...(expectation.kind === 'refusal' ? matchRefusal(answer, body as Record<string, unknown>, expectation) : matchSuccess(answer, body as Record<string, unknown>, expectation))];
}

function matchRefusal(answer: Answer, body: Record<string, unknown>, expectation: Refusal): string[] {
  const problems: string[] = [];
  const shape = 'jsonrpc' in body ? 'rpc' : 'rest';
  if (!expectation.shapes.includes(shape)) problems.push(`a ${shape === 'rpc' ? 'JSON-RPC' : 'REST'} error, expected ${expectation.shapes.map((s) => (s === 'rpc' ? 'JSON-RPC' : 'REST')).join(' or ')}`);
  let code: unknown;
  if (shape === 'rest') {
    const error = body.error as Record<string, unknown> | undefined;
    if (typeof error !== 'object' || error === null) return [...problems, 'no "error" object'];
    if (typeof error.message !== 'string') problems.push('error.message is not a string');
    code = error.code;
    if (Object.keys(body).length !== 1) problems.push(`unexpected fields next to "error": ${Object.keys(body).join(', ')}`);
  } else {
    if (body.jsonrpc !== '2.0') problems.push('jsonrpc is not "2.0"');
    if ('result' in body) problems.push('a JSON-RPC error must carry no result');
    if (!('id' in body)) problems.push('no id');
    else if (expectation.rpcId !== undefined && body.id !== expectation.rpcId) problems.push(`id ${JSON.stringify(body.id)}, expected ${JSON.stringify(expectation.rpcId)}`);
    const error = body.error as Record<string, unknown> | undefined;
    if (typeof error !== 'object' || error === null) return [...problems, 'no "error" object'];
    if (!Number.isInteger(error.code)) problems.push('error.code is not an integer');
    if (typeof error.message !== 'string') problems.push('error.message is not a string');
    const data = error.data as { code?: unknown; detail?: { upstreamCode?: unknown } } | undefined;
    code = data?.code;
    // The JSON-RPC code follows the error table (or is the upstream's own, passed through), so clients of either shape can rely on it.
    const expectedRpc = typeof data?.detail?.upstreamCode === 'number' ? data.detail.upstreamCode : isErrorCode(code) ? ERRORS[code].rpc : undefined;
    if (expectedRpc !== undefined && error.code !== expectedRpc) problems.push(`JSON-RPC code ${String(error.code)} does not match ${String(code)} (${expectedRpc})`);
  }
  if (!isErrorCode(code)) problems.push(`error code ${JSON.stringify(code)} is not a gateway code`);
  else if (!expectation.codes.includes(code)) problems.push(`code ${code}, expected ${expectation.codes.join(' or ')}`);
  if (answer.status === 401 && answer.headers['www-authenticate'] === undefined) problems.push('a 401 without WWW-Authenticate');
  return problems;
}

function matchSuccess(answer: Answer, body: Record<string, unknown>, expectation: Success): string[] {
  const problems: string[] = [];
  let result: Record<string, unknown> | undefined = body;
  if (expectation.body === 'rpc') {
    if (body.jsonrpc !== '2.0') problems.push('jsonrpc is not "2.0"');
    if ('error' in body) problems.push(`a JSON-RPC error (${JSON.stringify(body.error).slice(0, 300)}) where a result was expected`);
    if (expectation.rpcId !== undefined && body.id !== expectation.rpcId) problems.push(`id ${JSON.stringify(body.id)}, expected ${JSON.stringify(expectation.rpcId)}`);
    result = body.result as Record<string, unknown> | undefined;
    if (typeof result !== 'object' || result === null) return [...problems, 'no result object'];
  } else if ('error' in body) {
    problems.push(`an error (${JSON.stringify(body.error).slice(0, 300)}) where success was expected`);
  }
  if (expectation.opensSession && !answer.headers['mcp-session-id']) problems.push('initialize opened no session (no Mcp-Session-Id)');
  if (expectation.upstreamArgs !== undefined) {
    if (result.isError === true) problems.push(`the tool failed: ${JSON.stringify(result.content).slice(0, 300)}`);
    const received = (result.structuredContent as { arguments?: unknown } | undefined)?.arguments;
    if (!isDeepStrictEqual(received, expectation.upstreamArgs)) problems.push(`the upstream received ${clip(JSON.stringify(received))}, not the arguments sent (${clip(JSON.stringify(expectation.upstreamArgs))})`);
  }
  return problems;
}

function classOf(answer: Answer, expectation: Expectation): string {
  if (expectation.kind === 'success') return expectation.upstreamArgs !== undefined ? 'valid call (reached the upstream)' : `valid ${answer.status}`;
  return answer.status === 200 ? 'JSON-RPC error on 200' : `refused ${answer.status}`;
}

function describeEnding(ending: Silence): string {
  return ending === 'held' ? 'held open without a byte' : ending === 'closed' ? 'closed' : 'reset';
}

function clip(text: string | undefined, max = 200): string {
  if (text === undefined) return 'undefined';
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

export function summarise(answer: Answer): string {
  return `${answer.status} ${answer.headers['content-type'] ?? '(no content-type)'} ${clip(JSON.stringify(answer.body.toString('utf8')), 300)}`;
}

/** What a failure report shows of a case: enough to see what was sent, and to regenerate it from seed and index. */
export function describeCase(c: Case): string {
  if (c.transport === 'http') {
    const headers = Object.entries(c.headers).map(([name, value]) => `${name}: ${clip(String(value), 80)}`).join(' | ');
    const body = c.body === undefined ? '' : ` body(${c.body.length} bytes)=${clip(JSON.stringify(c.body.toString('latin1')), 300)}`;
    return `#${c.index} [${c.category}] ${c.label}: ${c.method} ${clip(c.path, 120)} {${headers}}${body}`;
  }
  const bytes = Buffer.concat([...c.chunks]);
  return `#${c.index} [${c.category}] ${c.label}: raw ${bytes.length} bytes in ${c.chunks.length} writes: ${clip(JSON.stringify(bytes.toString('latin1')), 400)}`;
}
