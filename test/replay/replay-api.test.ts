/**
 * Replay through a real gateway in front of two real fixture servers (alpha
 * and beta, the same SDK v2 fixture under two names): capture, replay to the
 * same or the other server, the diff, dry runs for tools not annotated
 * read-only, redaction of what is stored and exported, redacted and cut
 * captures, NDJSON export and re-import, and who may do any of it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixtures } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const ADMIN = 'replay-admin-key';
const READER = 'replay-reader-key';
const MODERN = '2026-07-28';

describe('request replay', () => {
  let gw: RunningGateway;
  const asAdmin = { 'x-api-key': ADMIN };

  before(async () => {
    gw = await startGateway(
      [
        { id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha', FIXTURE_VALIDATION_TOOLS: '1' } },
        { id: 'beta', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'beta' } },
      ],
      {
        config: {
          auth: {
            strategy: 'api-key',
            apiKeys: [
              { key: ADMIN, name: 'ops', roles: ['admin'] },
              { key: READER, name: 'reader', roles: ['reader'] },
            ],
          },
          // Everything on alpha, two tools on beta: beta's whoami is not captured.
          monitor: { capture: { tools: ['alpha/*', 'beta/shared', 'beta/echo'], maxBytes: 2048 } },
        },
      },
    );
  });
  after(() => gw.stop());

  /** A REST call as the reader; returns its request-log id. */
  async function call(tool: string, args: Record<string, unknown> | undefined, server: string): Promise<number> {
    const response = await gw.post('/api/v1/tools/call', { tool, server, ...(args ? { arguments: args } : {}) }, { 'x-api-key': READER });
    assert.equal(response.status, 200, response.text);
    const page = await gw.get(`/api/v1/requests?limit=1&tool=${tool}&server=${server}`, asAdmin);
    return page.body.requests[0].id as number;
  }

  const replay = (id: number, body: Record<string, unknown> = {}, key = ADMIN) => gw.post(`/api/v1/requests/${id}/replay`, body, { 'x-api-key': key });

  test('a deterministic tool replays to an identical result; the replay has its own log entry, marked and attributed', async () => {
    const id = await call('echo', { message: 'same every time' }, 'alpha');
    const before = (await gw.get('/api/v1/metrics', asAdmin)).body.totals.calls as number;
    const { status, body } = await replay(id);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.dryRun, false);
    assert.deepEqual(body.replayOf, { id, source: 'log' });
    assert.deepEqual(body.request, { server: 'alpha', tool: 'echo', arguments: { message: 'same every time' }, readOnly: true });
    assert.equal(body.status, 'ok');
    assert.deepEqual(body.result.content, [{ type: 'text', text: 'same every time' }]);
    assert.deepEqual(body.diff, { comparable: true, identical: true, changes: [] });

    const entry = (await gw.get(`/api/v1/requests/${body.logId}`, asAdmin)).body;
    assert.equal(entry.caller, 'ops', 'who replayed it');
    assert.deepEqual(entry.replayOf, { id, source: 'log' });
    assert.equal(entry.traceId, body.traceId);
    assert.equal(entry.tool, 'echo');
    assert.equal(entry.server, 'alpha');
    assert.deepEqual(entry.captured.request.arguments, { message: 'same every time' }, 'the replay is captured like any call');
    assert.equal((await gw.get('/api/v1/metrics', asAdmin)).body.totals.calls, before + 1, 'counted in the metrics');
  });

  test('replayed to another server, the diff shows what changed', async () => {
    const id = await call('shared', undefined, 'alpha');
    const { status, body } = await replay(id, { server: 'beta' });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.request.server, 'beta');
    assert.equal(body.request.arguments, undefined, 'a call without arguments replays without them');
    assert.deepEqual(body.diff, { comparable: true, identical: false, changes: [{ path: '/content/0/text', kind: 'changed', before: 'alpha', after: 'beta' }] });
    assert.equal((await replay(id)).body.diff.identical, true, 'to its own server it is the same');
  });

  test('a tool not annotated read-only is a dry run without confirm (nothing sent), and runs with it; a changed answer shows in the diff', async () => {
    // `broken` counts every call it receives and answers with the count.
    const id = await call('broken', { a: 1 }, 'alpha');
    const captured = (await gw.get(`/api/v1/requests/${id}`, asAdmin)).body.captured;
    const calls = captured.result.structuredContent.calls as number;

    const dry = await replay(id);
    assert.equal(dry.status, 200);
    assert.equal(dry.body.dryRun, true);
    assert.deepEqual(dry.body.request, { server: 'alpha', tool: 'broken', arguments: { a: 1 }, readOnly: false });
    assert.match(dry.body.reason, /not annotated readOnlyHint: true.*"confirm": true/);
    assert.equal(dry.body.result, undefined);
    assert.equal((await gw.get(`/api/v1/requests?limit=1`, asAdmin)).body.requests[0].id, id, 'a dry run makes no call and no log entry');

    const run = await replay(id, { confirm: true });
    assert.equal(run.status, 200);
    assert.equal(run.body.dryRun, false);
    assert.equal(run.body.result.structuredContent.calls, calls + 1, 'the dry run never reached the upstream');
    const paths = run.body.diff.changes.map((change: any) => change.path);
    assert.deepEqual(paths, ['/content/0/text', '/structuredContent/calls']);
    assert.deepEqual(run.body.diff.changes[1], { path: '/structuredContent/calls', kind: 'changed', before: calls, after: calls + 1 });
  });

  test('redaction happens before storing: neither the stored entry nor the export holds the secret', async () => {
    const id = await call('slow', { ms: 1, password: 'hunter2-stored', nested: { token: 'tok-stored-secret' } }, 'alpha');
    const stored = gw.gateway.requestLog.get(id);
    assert.ok(stored?.captured, 'the stored entry has a capture');
    const storedText = JSON.stringify(stored);
    assert.ok(!storedText.includes('hunter2-stored') && !storedText.includes('tok-stored-secret'), storedText);
    assert.deepEqual(stored.captured.request?.arguments, { ms: 1, password: '[redacted]', nested: { token: '[redacted]' } });
    assert.deepEqual(stored.captured.redacted, ['/request/arguments/password', '/request/arguments/nested/token']);

    const exported = await gw.get('/api/v1/requests/export', asAdmin);
    assert.equal(exported.status, 200);
    assert.ok(exported.text.includes(`"id":${id},`));
    assert.ok(!exported.text.includes('hunter2-stored') && !exported.text.includes('tok-stored-secret'));
  });

  test('a redacted capture is refused, naming the fields, until the body gives them; the values given are what is sent', async () => {
    const id = await call('slow', { ms: 1, password: 'hunter2', nested: { token: 'tok-secret' } }, 'alpha');
    const refused = await replay(id, { confirm: true });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'MCPGW_ERR_CAPTURE_REDACTED');
    assert.deepEqual(refused.body.error.data, { id, fields: ['/password', '/nested/token'] });
    assert.match(refused.body.error.message, /redacted at \/password, \/nested\/token/);
    const partly = await replay(id, { confirm: true, arguments: { password: 'hunter2' } });
    assert.deepEqual(partly.body.error.data.fields, ['/nested/token']);
    // Even a dry run needs them: it shows what would be sent.
    assert.equal((await replay(id)).status, 422);

    const given = await replay(id, { confirm: true, arguments: { password: 'hunter2', nested: { token: 'tok-secret' } } });
    assert.equal(given.status, 200, given.text);
    assert.deepEqual(given.body.diff, { comparable: true, identical: true, changes: [] });
    assert.deepEqual(given.body.request.arguments, { ms: 1, password: '[redacted]', nested: { token: '[redacted]' } }, 'the values given are not echoed');
    assert.ok(!given.text.includes('hunter2'));

    // `broken` answers with the arguments it received: the merged override is what went upstream.
    const echoed = await call('broken', { a: 2, password: 'first-value' }, 'alpha');
    const merged = await replay(echoed, { confirm: true, arguments: { password: 'second-value' } });
    assert.equal(merged.status, 200, merged.text);
    assert.match(merged.body.result.content[0].text, /"arguments":\{"a":2,"password":"second-value"\}/);
    assert.deepEqual(merged.body.result.structuredContent.arguments, { a: 2, password: '[redacted]' }, 'the new result is redacted as captures are');
  });

  test('a call captured over /mcp keeps the client\'s _meta (redacted) and replays', async () => {
    const response = await fetch(`${gw.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'alpha__echo', 'x-api-key': READER },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'alpha__echo', arguments: { message: 'over mcp' }, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, 'example.com/note': 'kept', token: 'meta-secret' } },
      }),
    });
    assert.equal(response.status, 200);
    assert.ok(!(await response.text()).includes('"error"'));
    const listed = (await gw.get('/api/v1/requests?limit=1', asAdmin)).body.requests[0];
    const entry = (await gw.get(`/api/v1/requests/${listed.id}`, asAdmin)).body;
    assert.equal(entry.via, 'mcp');
    assert.equal(entry.captured.request._meta['example.com/note'], 'kept');
    assert.equal(entry.captured.request._meta.token, '[redacted]');
    assert.ok(entry.captured.redacted.includes('/request/_meta/token'));
    // _meta is not an argument: a replay needs no value for it.
    const replayed = await replay(entry.id);
    assert.equal(replayed.status, 200, replayed.text);
    assert.equal(replayed.body.diff.identical, true);
  });

  test('a capture cut to maxBytes replays only with whole arguments given, and says its result cannot be compared', async () => {
    const id = await call('echo', { message: 'x'.repeat(3000) }, 'alpha');
    const refused = await replay(id);
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'MCPGW_ERR_NOT_REPLAYABLE');
    assert.equal(refused.body.error.data.reason, 'truncated');
    const given = await replay(id, { arguments: { message: 'short' } });
    assert.equal(given.status, 200, given.text);
    assert.deepEqual(given.body.result.content, [{ type: 'text', text: 'short' }]);
    assert.deepEqual(given.body.diff, { comparable: false, reason: 'the captured result was cut to monitor.capture.maxBytes' });
  });

  test('what cannot be replayed says why: not captured, unknown id, unknown server, a bad body', async () => {
    const uncaptured = await call('whoami', undefined, 'beta');
    const notCaptured = await replay(uncaptured);
    assert.equal(notCaptured.status, 422);
    assert.equal(notCaptured.body.error.code, 'MCPGW_ERR_NOT_REPLAYABLE');
    assert.deepEqual(notCaptured.body.error.data, { id: uncaptured, reason: 'not_captured' });
    const unknown = await replay(999_999);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'MCPGW_ERR_UNKNOWN_REQUEST');
    const id = await call('echo', { message: 'm' }, 'alpha');
    const noServer = await replay(id, { server: 'nowhere' });
    assert.equal(noServer.status, 404);
    assert.equal(noServer.body.error.code, 'MCPGW_ERR_UNKNOWN_SERVER');
    for (const bad of [{ confirm: 'yes' }, { server: '' }, { arguments: [1] }, { extra: 1 }]) {
      const response = await replay(id, bad);
      assert.equal(response.status, 400, JSON.stringify(bad));
      assert.equal(response.body.error.code, 'MCPGW_ERR_BAD_REQUEST');
    }
    assert.equal((await gw.post(`/api/v1/requests/${id}/replay`, '{oops', asAdmin)).status, 400);
    assert.equal((await gw.post('/api/v1/requests/abc/replay', {}, asAdmin)).status, 400);
  });

  test('export is NDJSON of captured calls, oldest first, filtered like the log; a line replays through POST /api/v1/replay', async () => {
    const first = await call('echo', { message: 'export one' }, 'beta');
    const second = await call('echo', { message: 'export two' }, 'beta');
    const exported = await gw.get('/api/v1/requests/export?server=beta&tool=echo', asAdmin);
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    assert.ok(exported.text.endsWith('\n'));
    const lines = exported.text.trimEnd().split('\n').map((line) => JSON.parse(line));
    assert.ok(lines.every((line) => line.format === 'mcp-gateway/capture' && line.version === 1 && line.server === 'beta' && line.tool === 'echo'));
    const ids = lines.map((line) => line.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'oldest first');
    assert.deepEqual(ids.slice(-2), [first, second]);
    const last = lines[lines.length - 1];
    assert.deepEqual(Object.keys(last.timing).sort(), ['gatewayMs', 'queuedMs', 'totalMs', 'upstreamMs']);
    assert.match(last.traceId, /^[0-9a-f]{32}$/);
    assert.deepEqual(last.captured.request.arguments, { message: 'export two' });
    const limited = (await gw.get('/api/v1/requests/export?server=beta&tool=echo&limit=1', asAdmin)).text.trimEnd().split('\n');
    assert.deepEqual(limited.map((line) => JSON.parse(line).id), [second], 'limit keeps the newest');
    assert.equal((await gw.get('/api/v1/requests/export?tool=no-such-tool', asAdmin)).text, '');

    const imported = await gw.post('/api/v1/replay', { capture: last }, asAdmin);
    assert.equal(imported.status, 200, imported.text);
    assert.deepEqual(imported.body.replayOf, { id: second, source: 'import' });
    assert.equal(imported.body.diff.identical, true);
    const toAlpha = await gw.post('/api/v1/replay', { capture: { ...last, server: 'gone' }, server: 'alpha' }, asAdmin);
    assert.equal(toAlpha.body.request.server, 'alpha');
    assert.equal(toAlpha.body.diff.identical, true);

    for (const capture of [undefined, 'text', { ...last, version: 2 }, { ...last, format: 'other' }, { ...last, captured: { redacted: ['no-slash'] } }, { ...last, tool: '' }]) {
      const response = await gw.post('/api/v1/replay', capture === undefined ? {} : { capture }, asAdmin);
      assert.equal(response.status, 400, JSON.stringify(capture));
      assert.equal(response.body.error.code, 'MCPGW_ERR_BAD_REQUEST');
    }
  });

  test('only administrators may replay or export', async () => {
    const id = await call('echo', { message: 'admins only' }, 'alpha');
    const asReader = { 'x-api-key': READER };
    const refusals = [
      await replay(id, {}, READER),
      await gw.post('/api/v1/replay', { capture: {} }, asReader),
      await gw.get('/api/v1/requests/export', asReader),
    ];
    for (const refusal of refusals) {
      assert.equal(refusal.status, 403);
      assert.equal(refusal.body.error.code, 'MCPGW_ERR_FORBIDDEN');
      assert.match(refusal.body.error.message, /reader may not .* \(needs one of auth\.adminRoles\)/);
    }
    assert.equal((await gw.post(`/api/v1/requests/${id}/replay`, {})).status, 401);
  });
});
