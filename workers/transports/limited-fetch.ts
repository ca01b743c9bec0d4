/**
 * `maxResponseBytes` for the HTTP transports (Streamable HTTP, HTTP+SSE): a
 * `fetch` for the SDK's transports whose response bodies are counted as they
 * stream, chunks passed on as they are (no copy).
 *
 * - A JSON body (one answer) over the limit fails its stream with
 *   {@link ResponseTooLarge} — or at once, when Content-Length says so — which
 *   fails the request that POSTed it.
 * - An event stream is limited per event, not in total (a call's stream may
 *   carry any amount of progress; a GET stream lives for hours). Each event is
 *   passed on whole, at its blank line; one over the limit is dropped as it
 *   arrives and replaced by an error response for the id read from its ends
 *   (the SDK would otherwise wait for an answer that never comes). An event
 *   whose id cannot be read fails the stream.
 */
import { ResponseTooLarge, responseIdFromEdges, type ResponseLimit } from '../response-limit.js';
import { EDGE_BYTES, firstBytes } from './framing.js';

export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

export function limitedFetch(limit: ResponseLimit, base: FetchLike = fetch): FetchLike {
  return async (url, init) => {
    const response = await base(url, init);
    if (response.body === null) return response;
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'text/event-stream') return withBody(response, response.body.pipeThrough(sseEventLimiter(limit)));
    const length = response.headers.get('content-length');
    const declared = length === null ? Number.NaN : Number(length);
    if (declared > limit.maxBytes) {
      // Known too big before a byte is read: do not read it.
      await response.body.cancel().catch(() => undefined);
      throw new ResponseTooLarge(limit.maxBytes, declared);
    }
    // A declared length within the limit bounds the body (HTTP/1.1 framing reads no more), unless fetch decodes a
    // compressed body, which may grow past it: then, and without a length, the bytes are counted as they come.
    // Not counting saves each answer a wrapping stream (bench/README.md, item 11).
    if (declared >= 0 && isIdentityEncoded(response.headers.get('content-encoding'))) return response;
    return withBody(response, counted(response.body, limit.maxBytes));
  };
}

function isIdentityEncoded(encoding: string | null): boolean {
  const coding = encoding?.trim().toLowerCase();
  return !coding || coding === 'identity';
}

function withBody(response: Response, body: ReadableStream<Uint8Array>): Response {
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * `body`, its bytes counted as they are read. A stream that pulls from the body's reader, not a TransformStream
 * piped through: a pipe costs each answer ~4x the CPU (100 B answers: ~35 µs against ~8 per fetch).
 */
function counted(body: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        seen += value.byteLength;
        if (seen <= maxBytes) return controller.enqueue(value);
        controller.error(new ResponseTooLarge(maxBytes));
        await reader.cancel().catch(() => undefined);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits an event stream at its blank lines (`\n\n` or `\r\n\r\n`; a stream
 * ending lines with a bare `\r` would count as one long event). Events are
 * held as views of the chunks they came in, never copied.
 */
export function sseEventLimiter(limit: ResponseLimit): TransformStream<Uint8Array, Uint8Array> {
  const encoder = new TextEncoder();
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  /** Bytes since the last LF, and the byte before it: enough to tell a blank line across chunk boundaries. */
  let lineBytes = 0;
  let lastByte = -1;
  let dropping: { head: Buffer; tail: Buffer; bytes: number } | undefined;

  const add = (part: Uint8Array): void => {
    if (part.byteLength === 0) return;
    if (dropping === undefined && heldBytes + part.byteLength <= limit.maxBytes) {
      held.push(part);
      heldBytes += part.byteLength;
      return;
    }
    if (dropping === undefined) {
      // Over the limit: from here on only the event's two ends and its size are kept.
      dropping = { head: Buffer.alloc(0), tail: Buffer.alloc(0), bytes: 0 };
      for (const view of held) drop(view);
      held = [];
      heldBytes = 0;
    }
    drop(part);
  };

  /** Copies at most EDGE_BYTES of each end, whatever the part's size. */
  const drop = (part: Uint8Array): void => {
    const edges = dropping!;
    edges.bytes += part.byteLength;
    if (edges.head.length < EDGE_BYTES) edges.head = firstBytes([edges.head, part], EDGE_BYTES);
    const view = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
    edges.tail = view.length >= EDGE_BYTES ? Buffer.from(view.subarray(view.length - EDGE_BYTES)) : Buffer.concat([edges.tail, view]).subarray(-EDGE_BYTES);
  };

  const endEvent = (controller: TransformStreamDefaultController<Uint8Array>): void => {
    if (dropping === undefined) {
      for (const view of held) controller.enqueue(view);
      held = [];
      heldBytes = 0;
      return;
    }
    const { head, tail, bytes } = dropping;
    dropping = undefined;
    // The data field's value starts after "data:" and an optional space; the id of an SDK answer ends it.
    const headText = head.toString('utf8');
    const data = /(?:^|\n)data: ?/.exec(headText);
    const id = responseIdFromEdges(data ? headText.slice(data.index + data[0].length) : '', tail.toString('utf8'));
    if (id === undefined) {
      controller.error(new ResponseTooLarge(limit.maxBytes, bytes));
      return;
    }
    controller.enqueue(encoder.encode(`event: message\ndata: ${JSON.stringify(limit.errorResponse(id, bytes))}\n\n`));
  };

  return new TransformStream({
    transform(chunk, controller) {
      let start = 0;
      let scanFrom = 0;
      for (;;) {
        const lf = chunk.indexOf(LF, scanFrom);
        if (lf === -1) {
          lineBytes += chunk.byteLength - scanFrom;
          if (chunk.byteLength > 0) lastByte = chunk[chunk.byteLength - 1]!;
          add(chunk.subarray(start));
          return;
        }
        const length = lineBytes + (lf - scanFrom);
        const before = lf > 0 ? chunk[lf - 1]! : lastByte;
        const blank = length === 0 || (length === 1 && before === CR);
        lineBytes = 0;
        lastByte = LF;
        scanFrom = lf + 1;
        if (!blank) continue;
        add(chunk.subarray(start, scanFrom));
        endEvent(controller);
        start = scanFrom;
      }
    },
    flush(controller) {
      // A stream that ends mid-event: pass on what there is (the parser drops an unterminated event).
      if (dropping === undefined) for (const view of held) controller.enqueue(view);
    },
  });
}
