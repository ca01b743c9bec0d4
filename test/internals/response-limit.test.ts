/**
 * The pieces of maxResponseBytes that need no upstream: reading a response's id
 * from its two ends, the stand-in error and its recognition, and the
 * per-event limit on an event stream (fed by hand, chunk boundaries anywhere).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseLimit, ResponseTooLarge, responseIdFromEdges } from '../../workers/response-limit.js';
import { sseEventLimiter } from '../../workers/transports/limited-fetch.js';

test('the id of a response is read from its tail (SDK order) or its head (id first)', () => {
  const sdk = JSON.stringify({ result: { content: [{ type: 'text', text: 'x'.repeat(50) }] }, jsonrpc: '2.0', id: 'mcpgw:7' });
  assert.equal(responseIdFromEdges(sdk.slice(0, 30), sdk.slice(-40)), 'mcpgw:7');
  assert.equal(responseIdFromEdges('', '..."x"}]},"jsonrpc":"2.0","id":12}\r'), 12);
  assert.equal(responseIdFromEdges('{"jsonrpc":"2.0","id":-3,"result":{"a', 'garbage'), -3);
  assert.equal(responseIdFromEdges('{"id":"a\\"b","error":{"code', ''), 'a"b');
  assert.equal(responseIdFromEdges('', '...,"id":1,"jsonrpc":"2.0"}'), 1);
});

test('no id where a message only looks like it has one', () => {
  // A nested "id" at the end of the result is not the response's.
  assert.equal(responseIdFromEdges('{"jsonrpc":"2.0","result":{', '...{"id":5}}}'), undefined);
  // Requests and notifications from the upstream are not answers to fail.
  assert.equal(responseIdFromEdges('{"method":"sampling/createMessage","params":{', '...},"jsonrpc":"2.0","id":4}'), undefined);
  assert.equal(responseIdFromEdges('{"jsonrpc":"2.0","method":"x","id":4,', ''), undefined);
  assert.equal(responseIdFromEdges('not json at all', 'still not'), undefined);
  assert.equal(responseIdFromEdges('{"jsonrpc":"2.0","id":{"a":1},"result"', ''), undefined);
});

test('the stand-in error is recognised only with this limit\'s marker', () => {
  const limit = new ResponseLimit(2048);
  const stand = limit.errorResponse('mcpgw:1', 9999) as { error: { code: number; message: string; data: unknown } };
  assert.equal(stand.error.code, -32603);
  assert.match(stand.error.message, /9999 bytes.*maxResponseBytes \(2048 bytes\)/);
  const recognised = limit.recognise(stand.error, 'tools/call on server "s"');
  assert.equal(recognised?.code, 'MCPGW_ERR_RESPONSE_TOO_LARGE');
  assert.equal(recognised?.status, 502);
  assert.match(recognised!.message, /^tools\/call on server "s": the upstream's answer \(9999 bytes\) is larger than maxResponseBytes \(2048 bytes\)/);
  assert.deepEqual(recognised?.data, { maxResponseBytes: 2048, bytes: 9999 });
  assert.equal(limit.recognise(new ResponseTooLarge(2048), 'w')?.code, 'MCPGW_ERR_RESPONSE_TOO_LARGE');
  // An upstream copying the shape (without the marker), or another connection's marker: an ordinary error.
  assert.equal(new ResponseLimit(2048).recognise(stand.error, 'w'), undefined);
  assert.equal(limit.recognise({ code: -32603, message: 'too large', data: { 'mcpgw/responseTooLarge': 'guess' } }, 'w'), undefined);
  assert.equal(limit.recognise(new Error('plain'), 'w'), undefined);
});

/** Runs `chunks` through the event limiter; the text that came out, or the error the stream failed with. */
async function throughLimiter(limit: ResponseLimit, chunks: readonly string[]): Promise<{ text: string; error?: unknown }> {
  const encoder = new TextEncoder();
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  const reader = source.pipeThrough(sseEventLimiter(limit)).getReader();
  let text = '';
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { text };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

/** Every way of cutting `text` into two chunks, plus one byte at a time. */
function cuts(text: string): string[][] {
  const all = [[text], text.split('')];
  for (let i = 1; i < text.length; i++) all.push([text.slice(0, i), text.slice(i)]);
  return all;
}

test('events under the limit pass whole and unchanged, wherever the chunks are cut', async () => {
  const limit = new ResponseLimit(1024);
  const stream = 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\nid: 2\r\ndata: {"result":{},"jsonrpc":"2.0","id":1}\r\n\r\n';
  for (const chunks of cuts(stream)) assert.deepEqual(await throughLimiter(limit, chunks), { text: stream }, JSON.stringify(chunks));
});

test('an event over the limit is replaced by an error for its id; the events around it pass', async () => {
  const limit = new ResponseLimit(1024);
  const before = 'data: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n';
  const huge = `event: message\ndata: ${JSON.stringify({ result: { text: 'x'.repeat(5000) }, jsonrpc: '2.0', id: 42 })}\n\n`;
  const after = 'data: {"jsonrpc":"2.0","method":"notifications/message"}\n\n';
  for (const chunks of [[before + huge + after], [before, huge.slice(0, 700), huge.slice(700, 3000), huge.slice(3000), after], (before + huge + after).match(/[\s\S]{1,97}/g)!]) {
    const { text, error } = await throughLimiter(limit, chunks);
    assert.equal(error, undefined);
    const events = text.split('\n\n').filter(Boolean);
    assert.equal(events.length, 3, text.slice(0, 300));
    assert.equal(events[0] + '\n\n', before);
    assert.equal(events[2] + '\n\n', after);
    const stand = JSON.parse(events[1]!.replace(/^event: message\ndata: /, '')) as { id: number; error: unknown };
    assert.equal(stand.id, 42);
    assert.equal(limit.recognise(stand.error, 'w')?.code, 'MCPGW_ERR_RESPONSE_TOO_LARGE');
    assert.ok(!text.includes('xxxx'), 'none of the oversized event was passed on');
  }
});

test('an oversized event whose id cannot be read fails the stream', async () => {
  const limit = new ResponseLimit(1024);
  const { text, error } = await throughLimiter(limit, ['data: {"ok":1}\n\n', `data: ${'y'.repeat(3000)}\n\n`]);
  assert.equal(text, 'data: {"ok":1}\n\n');
  assert.ok(error instanceof ResponseTooLarge);
});
