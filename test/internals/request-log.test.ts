import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MonitorConfig } from '../../src/config/types.js';
import { RequestLog, type LoggedCall, type RequestLogEntry } from '../../src/observability/request-log.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-03-01T12:00:00.000Z');

function log(overrides: Partial<Omit<MonitorConfig, 'capture'>> = {}): RequestLog {
  return new RequestLog({ requestLog: true, prometheus: false, retentionHours: 24, maxEntries: 1000, ...overrides });
}

function entry(fields: Partial<LoggedCall> = {}): LoggedCall {
  return {
    receivedAt: NOW - 1000,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    requestId: 'req-1',
    via: 'rest',
    method: 'tools/call',
    caller: 'anonymous',
    server: 'docs',
    tool: 'search',
    status: 'ok',
    httpStatus: 200,
    durationMs: 5,
    upstreamMs: 4,
    queuedMs: 0,
    gatewayMs: 1,
    requestBytes: 10,
    responseBytes: 20,
    ...fields,
  };
}

const tools = (entries: readonly RequestLogEntry[]) => entries.map((e) => e.tool);

test('newest first, with increasing ids', () => {
  const requests = log();
  for (const tool of ['a', 'b', 'c']) requests.add(entry({ tool }));
  const found = requests.query({}, NOW);
  assert.deepEqual(tools(found), ['c', 'b', 'a']);
  assert.deepEqual(
    found.map((e) => e.id),
    [3, 2, 1],
  );
  assert.equal(requests.size, 3);
  // Kept as a number, shown as ISO time; the number itself is not shown.
  assert.equal(found[0]!.time, '2026-03-01T11:59:59.000Z');
  assert.equal(requests.get(1, NOW)?.time, '2026-03-01T11:59:59.000Z');
  assert.ok(!('receivedAt' in found[0]!));
});

test('limit keeps the newest; it defaults to 100 and is capped at 1000', () => {
  const requests = log({ maxEntries: 5000 });
  for (let i = 0; i < 1500; i++) requests.add(entry({ tool: `t${i}` }));
  assert.deepEqual(tools(requests.query({ limit: 2 }, NOW)), ['t1499', 't1498']);
  assert.equal(requests.query({}, NOW).length, 100);
  assert.equal(requests.query({ limit: 5000 }, NOW).length, 1000);
});

test('filters by server and by tool; null-server entries (unroutable calls) match no server', () => {
  const requests = log();
  requests.add(entry({ server: 'docs', tool: 'search' }));
  requests.add(entry({ server: 'web', tool: 'search' }));
  requests.add(entry({ server: 'web', tool: 'fetch' }));
  requests.add(entry({ server: null, tool: 'nope', status: 'error', httpStatus: 404, errorCode: 'MCPGW_ERR_UNKNOWN_TOOL' }));
  assert.deepEqual(
    requests.query({ server: 'web' }, NOW).map((e) => [e.server, e.tool]),
    [
      ['web', 'fetch'],
      ['web', 'search'],
    ],
  );
  assert.deepEqual(
    requests.query({ tool: 'search' }, NOW).map((e) => e.server),
    ['web', 'docs'],
  );
  assert.deepEqual(
    requests.query({ server: 'web', tool: 'search' }, NOW).map((e) => e.id),
    [2],
  );
  assert.deepEqual(requests.query({ server: 'ghost' }, NOW), []);
  assert.deepEqual(tools(requests.query({ tool: 'nope' }, NOW)), ['nope']);
});

test('filters by status, as a word or as an HTTP code', () => {
  const requests = log();
  requests.add(entry({ tool: 'fine' }));
  requests.add(entry({ tool: 'tool-failed', status: 'tool_error' }));
  requests.add(entry({ tool: 'slow', status: 'error', httpStatus: 504, errorCode: 'MCPGW_ERR_TIMEOUT' }));
  requests.add(entry({ tool: 'busy', status: 'error', httpStatus: 503, errorCode: 'MCPGW_ERR_QUEUE_FULL' }));
  assert.deepEqual(tools(requests.query({ status: 'error' }, NOW)), ['busy', 'slow']);
  assert.deepEqual(tools(requests.query({ status: 'tool_error' }, NOW)), ['tool-failed']);
  assert.deepEqual(tools(requests.query({ status: 'ok' }, NOW)), ['fine']);
  assert.deepEqual(tools(requests.query({ status: '504' }, NOW)), ['slow']);
  // A tool error is still HTTP 200.
  assert.deepEqual(tools(requests.query({ status: '200' }, NOW)), ['tool-failed', 'fine']);
  assert.deepEqual(requests.query({ status: 'weird' }, NOW), []);
});

test('the limit applies to matching entries, not to the entries scanned', () => {
  const requests = log();
  requests.add(entry({ server: 'web', tool: 'old-web' }));
  for (let i = 0; i < 10; i++) requests.add(entry({ server: 'docs' }));
  assert.deepEqual(tools(requests.query({ server: 'web', limit: 1 }, NOW)), ['old-web']);
});

test('at most maxEntries are kept: the oldest go first', () => {
  const requests = log({ maxEntries: 5 });
  for (let i = 1; i <= 12; i++) requests.add(entry({ tool: `t${i}` }));
  assert.deepEqual(tools(requests.query({ limit: 1000 }, NOW)), ['t12', 't11', 't10', 't9', 't8']);
  assert.equal(requests.size, 5);
  // Still exactly maxEntries long after many more (the log trims in bulk).
  for (let i = 13; i <= 200; i++) requests.add(entry({ tool: `t${i}` }));
  assert.deepEqual(tools(requests.query({ limit: 1000 }, NOW)), ['t200', 't199', 't198', 't197', 't196']);
  assert.equal(requests.size, 5);
  // Filters do not reach past the bound either.
  assert.deepEqual(requests.query({ tool: 't195' }, NOW), []);
});

test('entries older than retentionHours are forgotten', () => {
  const requests = log({ retentionHours: 1 });
  requests.add(entry({ tool: 'two-hours-ago', receivedAt: NOW - 2 * HOUR }));
  requests.add(entry({ tool: 'just-expired', receivedAt: NOW - HOUR - 1 }));
  requests.add(entry({ tool: 'half-an-hour-ago', receivedAt: NOW - HOUR / 2 }));
  requests.add(entry({ tool: 'now', receivedAt: NOW }));
  assert.deepEqual(tools(requests.query({}, NOW)), ['now', 'half-an-hour-ago']);
  assert.equal(requests.size, 2);
  // An hour later the rest has aged out too.
  assert.deepEqual(tools(requests.query({}, NOW + HOUR + 1)), []);
  assert.equal(requests.size, 0);
});

test('retention accepts fractions of an hour', () => {
  const requests = log({ retentionHours: 0.5 });
  requests.add(entry({ tool: 'forty-minutes-ago', receivedAt: NOW - 40 * 60_000 }));
  requests.add(entry({ tool: 'ten-minutes-ago', receivedAt: NOW - 10 * 60_000 }));
  assert.deepEqual(tools(requests.query({}, NOW)), ['ten-minutes-ago']);
});

test('a disabled log records nothing', () => {
  const requests = log({ requestLog: false });
  assert.equal(requests.enabled, false);
  requests.add(entry());
  requests.add(entry());
  assert.deepEqual(requests.query({}, NOW), []);
  assert.equal(requests.size, 0);
  assert.equal(log().enabled, true);
});

test('pages walk back with before=<id>: nextBefore leads to the next older page, and is null on the last', () => {
  const requests = log();
  for (let i = 1; i <= 7; i++) requests.add(entry({ tool: `t${i}` }));
  const first = requests.page({ limit: 3 }, NOW);
  assert.deepEqual(tools(first.requests), ['t7', 't6', 't5']);
  assert.equal(first.nextBefore, 5);
  const second = requests.page({ limit: 3, before: first.nextBefore! }, NOW);
  assert.deepEqual(tools(second.requests), ['t4', 't3', 't2']);
  assert.equal(second.nextBefore, 2);
  const third = requests.page({ limit: 3, before: second.nextBefore! }, NOW);
  assert.deepEqual(tools(third.requests), ['t1']);
  assert.equal(third.nextBefore, null);
  // A page that ends exactly at the oldest entry says so: no empty page after it.
  assert.equal(requests.page({ limit: 2, before: 3 }, NOW).nextBefore, null);
  // An id past the newest starts from the newest; one at the oldest finds nothing.
  assert.deepEqual(tools(requests.page({ limit: 1, before: 999 }, NOW).requests), ['t7']);
  assert.deepEqual(requests.page({ before: 1 }, NOW), { requests: [], nextBefore: null });
});

test('paging keeps the filters: nextBefore points at the last match, older non-matches are skipped', () => {
  const requests = log();
  for (let i = 1; i <= 10; i++) requests.add(entry({ server: i % 2 === 0 ? 'even' : 'odd', tool: `t${i}` }));
  const first = requests.page({ server: 'even', limit: 2 }, NOW);
  assert.deepEqual(tools(first.requests), ['t10', 't8']);
  assert.equal(first.nextBefore, 8);
  const rest = requests.page({ server: 'even', limit: 10, before: 8 }, NOW);
  assert.deepEqual(tools(rest.requests), ['t6', 't4', 't2']);
  assert.equal(rest.nextBefore, null);
});

test('get finds one entry by id, with what was captured; pages leave the capture out', () => {
  const requests = log();
  requests.add(entry({ tool: 'plain' }));
  requests.add(entry({ tool: 'captured', captured: { request: { arguments: { q: 'x' } }, result: { content: [] } } }));
  assert.equal(requests.get(1, NOW)?.tool, 'plain');
  assert.deepEqual(requests.get(2, NOW)?.captured, { request: { arguments: { q: 'x' } }, result: { content: [] } });
  assert.equal(requests.get(3, NOW), undefined);
  assert.equal(requests.get(0, NOW), undefined);
  const listed = requests.query({}, NOW);
  assert.deepEqual(tools(listed), ['captured', 'plain']);
  assert.ok(listed.every((e) => !('captured' in e)));
});

test('get forgets what retention and maxEntries dropped', () => {
  const aged = log({ retentionHours: 1 });
  aged.add(entry({ tool: 'old', receivedAt: NOW - 2 * HOUR }));
  aged.add(entry({ tool: 'recent' }));
  assert.equal(aged.get(1, NOW), undefined);
  assert.equal(aged.get(2, NOW)?.tool, 'recent');
  const bounded = log({ maxEntries: 3 });
  for (let i = 1; i <= 4; i++) bounded.add(entry({ tool: `t${i}` }));
  // Four entries, three kept: the oldest is gone for get even before the bulk trim removes it.
  assert.equal(bounded.get(1, NOW), undefined);
  assert.deepEqual([2, 3, 4].map((id) => bounded.get(id, NOW)?.tool), ['t2', 't3', 't4']);
});

test('filters by trace id', () => {
  const requests = log();
  requests.add(entry({ tool: 'a', traceId: '0af7651916cd43dd8448eb211c80319c' }));
  requests.add(entry({ tool: 'b' }));
  assert.deepEqual(tools(requests.query({ traceId: '0af7651916cd43dd8448eb211c80319c' }, NOW)), ['a']);
});
