/**
 * OpenTelemetry spans for tool calls, exported over OTLP/HTTP (off by
 * default; off, a call pays one branch). Each call is recorded when it ends,
 * from what the gateway measured anyway: a SERVER span for the front-door
 * request (the client's `traceparent` as its parent), and inside it a
 * `queue` span and a CLIENT span for the upstream call, timed by the worker
 * across the thread hop (its queue wait and upstream time travel back with
 * the answer). The upstream call's span id is drawn at dispatch and sent to
 * the upstream as its `traceparent`, so an upstream that traces hangs its
 * spans under ours. The provider is the gateway's own: nothing is registered
 * globally.
 */
import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Context, Tracer } from '@opentelemetry/api';
import type { BasicTracerProvider, IdGenerator } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/types.js';
import { VERSION } from '../version.js';
import { parseTraceparent } from './trace-context.js';

/** What a finished call contributes to its trace. */
export interface TracedCall {
  readonly via: 'rest' | 'mcp';
  readonly method: string;
  /** For a REST call: its route, the server span's name. */
  readonly restRoute?: string;
  readonly traceId: string;
  readonly requestId: string;
  /** The client's `traceparent`, when it sent one. */
  readonly clientTraceparent?: string;
  /** Drawn at dispatch (`upstreamSpanId()`); absent when the call never reached a worker. */
  readonly upstreamSpanId?: string;
  readonly receivedAt: number;
  readonly endedAt: number;
  readonly queuedMs: number;
  readonly upstreamMs: number;
  readonly server: string | null;
  readonly tool: string;
  readonly caller: string;
  readonly outcome: string;
  readonly httpStatus: number;
  readonly errorCode?: string;
}

/**
 * Ids as the gateway chose them: the trace id it already gave the call (so
 * the request log and the trace agree) and the upstream span id it already
 * sent upstream. Each slot is used by the next span started, then cleared.
 */
class ChosenIds implements IdGenerator {
  nextTraceId: string | undefined;
  nextSpanId: string | undefined;
  readonly #bytes = Buffer.allocUnsafe(8);

  generateTraceId(): string {
    const id = this.nextTraceId ?? randomHex(16);
    this.nextTraceId = undefined;
    return id;
  }

  generateSpanId(): string {
    const id = this.nextSpanId ?? randomFillSync(this.#bytes).toString('hex');
    this.nextSpanId = undefined;
    return id;
  }
}

type OpenTelemetryApi = typeof import('@opentelemetry/api');

const require = createRequire(import.meta.url);

export class Tracing {
  readonly #api: OpenTelemetryApi;
  readonly #provider: BasicTracerProvider;
  readonly #tracer: Tracer;
  readonly #ids = new ChosenIds();

  constructor(config: TracingConfig) {
    // Loaded only when tracing is on (their CommonJS builds, synchronously): off, the SDK and the
    // exporter cost no memory at all. The provider is private, so the api's global registry is unused.
    const api = require('@opentelemetry/api') as OpenTelemetryApi;
    const { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
    this.#api = api;
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': config.serviceName, 'service.version': VERSION }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
      idGenerator: this.#ids,
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.endpoint, headers: { ...config.headers } }), { scheduledDelayMillis: config.exportIntervalMs })],
    });
    this.#tracer = this.#provider.getTracer('mcp-gateway', VERSION);
  }

  /** A span id for the upstream call, sent upstream before the span exists. */
  upstreamSpanId(): string {
    return randomHex(8);
  }

  /** The `traceparent` an upstream gets for a call. */
  static traceparent(traceId: string, spanId: string): string {
    return `00-${traceId}-${spanId}-01`;
  }

  record(call: TracedCall): void {
    const { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } = this.#api;
    const parent = parentContext(this.#api, call.clientTraceparent);
    this.#ids.nextTraceId = call.traceId;
    const failed = call.outcome !== 'ok' && call.outcome !== 'tool_error';
    const server = this.#tracer.startSpan(
      call.restRoute ?? `mcp ${call.method}`,
      {
        kind: SpanKind.SERVER,
        startTime: call.receivedAt,
        attributes: {
          'mcp.method.name': call.method,
          'mcp.gateway.via': call.via,
          'mcp.gateway.caller': call.caller,
          'mcp.gateway.outcome': call.outcome,
          'http.response.status_code': call.httpStatus,
          // The semantic conventions' name for a request header; its value is the list of the header's values.
          'http.request.header.x-request-id': [call.requestId],
          ...(call.server !== null ? { 'mcp.gateway.server': call.server } : {}),
          ...(call.tool !== '' ? { 'gen_ai.tool.name': call.tool } : {}),
          ...(call.errorCode !== undefined ? { 'error.type': call.errorCode } : {}),
        },
      },
      parent,
    );
    if (failed) server.setStatus({ code: SpanStatusCode.ERROR, ...(call.errorCode !== undefined ? { message: call.errorCode } : {}) });
    if (call.upstreamSpanId !== undefined && call.server !== null) {
      const inside = trace.setSpan(ROOT_CONTEXT, server);
      const upstreamStart = Math.max(call.receivedAt, call.endedAt - call.upstreamMs);
      const queueStart = Math.max(call.receivedAt, upstreamStart - call.queuedMs);
      if (call.queuedMs > 0) this.#tracer.startSpan('queue', { startTime: queueStart, attributes: { 'mcp.gateway.server': call.server } }, inside).end(upstreamStart);
      this.#ids.nextSpanId = call.upstreamSpanId;
      const upstream = this.#tracer.startSpan(`${call.method} ${call.tool}`.trim(), { kind: SpanKind.CLIENT, startTime: upstreamStart, attributes: { 'mcp.gateway.server': call.server, 'gen_ai.tool.name': call.tool } }, inside);
      if (failed) upstream.setStatus({ code: SpanStatusCode.ERROR });
      upstream.end(call.endedAt);
    }
    server.end(call.endedAt);
  }

  /** Sends what is still buffered, then stops. */
  shutdown(): Promise<void> {
    return this.#provider.shutdown();
  }
}

/** The client's span as the parent, or the root context (a new trace, with the gateway's trace id). */
function parentContext({ ROOT_CONTEXT, trace, TraceFlags }: OpenTelemetryApi, traceparent: string | undefined): Context {
  const parsed = parseTraceparent(traceparent);
  if (parsed === undefined) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: parsed.traceId, spanId: parsed.parentId, traceFlags: parsed.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true });
}

function randomHex(bytes: number): string {
  return randomFillSync(Buffer.allocUnsafe(bytes)).toString('hex');
}
