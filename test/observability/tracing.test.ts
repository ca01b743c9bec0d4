/**
 * OpenTelemetry traces of tool calls, exported over OTLP/HTTP to a receiver
 * written here, through a real gateway in front of an HTTP upstream that
 * reports the `traceparent` it received: the client's trace is continued, the
 * upstream call's span is the one named upstream, and the request log's trace
 * id is the trace's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHttpFixture, type RunningFixture } from '../fixtures/paths.js';
import { eventually, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { modernClient, serve, type TestHttpServer } from '../policy/helpers.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number; arrayValue?: { values: { stringValue?: string }[] } } }[];
  status?: { code?: number };
}

const SERVER = 2;
const CLIENT = 3;
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

function attribute(span: OtlpSpan, key: string): string | number | undefined {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue !== undefined ? Number(value.intValue) : undefined);
}

describe('tracing', () => {
  let receiver: TestHttpServer;
  let upstream: RunningFixture;
  let gw: RunningGateway;
  const spans: OtlpSpan[] = [];
  const services = new Set<string>();

  before(async () => {
    receiver = await serve((request, body, response) => {
      if (request.url === '/v1/traces' && request.method === 'POST') {
        const payload = JSON.parse(body) as { resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const resource of payload.resourceSpans) {
          const name = resource.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
          if (name) services.add(name);
          for (const scope of resource.scopeSpans) spans.push(...scope.spans);
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    upstream = await startHttpFixture('identity-http');
    gw = await startGateway([{ id: 'up', url: `${upstream.url}/a` }], {
      config: { tracing: { enabled: true, endpoint: `${receiver.url}/v1/traces`, serviceName: 'gw-under-test', exportIntervalMs: 100 } },
    });
  });
  after(async () => {
    await gw.stop();
    await upstream.stop();
    await receiver.close();
  });

  test("a REST call continues the client's trace: server span, then the upstream call, whose id reached the upstream", async () => {
    const call = await gw.post('/api/v1/tools/call', { tool: 'whoami_token', arguments: { header: 'traceparent' } }, { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, 'x-request-id': 'trace-req-1' });
    assert.equal(call.status, 200, call.text);
    const received = (call.body.structuredContent as { value: string }).value;
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(received);
    assert.ok(match, `the upstream got a traceparent: ${received}`);
    assert.equal(match[1], CLIENT_TRACE, 'in the client trace');

    const inTrace = () => spans.filter((span) => span.traceId === CLIENT_TRACE);
    await eventually(inTrace, (found) => found.length >= 2);
    const server = inTrace().find((span) => span.kind === SERVER)!;
    const client = inTrace().find((span) => span.kind === CLIENT)!;
    assert.equal(server.parentSpanId, CLIENT_SPAN, "the gateway's span hangs under the client's");
    assert.equal(server.name, 'POST /api/v1/tools/call');
    assert.equal(attribute(server, 'gen_ai.tool.name'), 'whoami_token');
    assert.equal(attribute(server, 'mcp.gateway.server'), 'up');
    assert.equal(attribute(server, 'http.response.status_code'), 200);
    const requestId = server.attributes.find((a) => a.key === 'http.request.header.x-request-id')?.value.arrayValue?.values.map((v) => v.stringValue);
    assert.deepEqual(requestId, ['trace-req-1'], 'the request id is on the span');
    assert.equal(client.spanId, match[2], 'the upstream was told the id of the span for its call');
    assert.equal(client.parentSpanId, server.spanId);
    assert.ok(BigInt(client.startTimeUnixNano) >= BigInt(server.startTimeUnixNano) && BigInt(client.endTimeUnixNano) <= BigInt(server.endTimeUnixNano), 'the upstream call lies within the request');
    assert.ok(services.has('gw-under-test'));

    const log = await gw.get('/api/v1/requests?limit=1');
    assert.equal(log.body.requests[0].traceId, CLIENT_TRACE);
    assert.equal(log.body.requests[0].requestId, 'trace-req-1');
  });

  test('an MCP call without a traceparent starts a trace whose id is the request log\'s; a failed call is marked', async () => {
    const client = await modernClient(gw.url, {});
    await client.callTool({ name: 'echo', arguments: { message: 'traced' } });
    await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }));
    await client.close();
    const log = await gw.get('/api/v1/requests?limit=2');
    const [failed, ok] = log.body.requests as { traceId: string; status: string }[];
    await eventually(() => spans.filter((span) => span.traceId === ok!.traceId || span.traceId === failed!.traceId), (found) => found.length >= 3);
    const root = spans.find((span) => span.traceId === ok!.traceId && span.kind === SERVER)!;
    assert.equal(root.parentSpanId ?? '', '', 'a new trace');
    assert.equal(root.name, 'mcp tools/call');
    const refused = spans.find((span) => span.traceId === failed!.traceId && span.kind === SERVER)!;
    assert.equal(refused.status?.code, 2, 'ERROR status');
    assert.equal(attribute(refused, 'error.type'), 'MCPGW_ERR_UNKNOWN_TOOL');
    assert.equal(spans.filter((span) => span.traceId === failed!.traceId && span.kind === CLIENT).length, 0, 'a call that never reached a worker has no upstream span');
  });
});

describe('tracing off (the default)', () => {
  test('sends no traceparent upstream', async (t) => {
    const upstream = await startHttpFixture('identity-http');
    t.after(() => upstream.stop());
    const gw = await startGateway([{ id: 'up', url: `${upstream.url}/a` }]);
    t.after(() => gw.stop());
    const call = await gw.call('whoami_token', { header: 'traceparent' });
    assert.equal((call.body.structuredContent as { value: unknown }).value, null);
  });
});
