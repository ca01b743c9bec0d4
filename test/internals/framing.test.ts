import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EDGE_BYTES, isJsonRpcMessage, LineDecoder, parseJsonRpcLine, type OverlongLine } from '../../workers/transports/framing.js';

/** A decoder that records each overlong line instead of failing. */
function strict(maxLineBytes: number): { decoder: LineDecoder; overlong: number[]; lines: OverlongLine[] } {
  const overlong: number[] = [];
  const lines: OverlongLine[] = [];
  const decoder = new LineDecoder(maxLineBytes, (line) => {
    overlong.push(line.bytes);
    lines.push(line);
  });
  return { decoder, overlong, lines };
}

/** Feeds `chunks` (strings or raw bytes) to `decoder` and collects every line it returns. */
function feed(decoder: LineDecoder, chunks: readonly (string | Buffer)[]): string[] {
  return chunks.flatMap((chunk) => decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
}

/** `text` as UTF-8, cut at the given byte offsets. */
function cutBytes(text: string, ...offsets: number[]): Buffer[] {
  const bytes = Buffer.from(text);
  const bounds = [0, ...offsets, bytes.length];
  return bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end));
}

test('a line split across chunks comes out once, whole', () => {
  const decoder = strict(1024).decoder;
  assert.deepEqual(decoder.push(Buffer.from('{"jsonrpc":')), []);
  assert.deepEqual(decoder.push(Buffer.from('"2.0","method"')), []);
  assert.deepEqual(decoder.push(Buffer.from(':"ping"}\n')), ['{"jsonrpc":"2.0","method":"ping"}']);
});

test('several lines in one chunk, and a partial last line kept for the next chunk', () => {
  const decoder = strict(1024).decoder;
  assert.deepEqual(decoder.push(Buffer.from('one\ntwo\nthree\nfo')), ['one', 'two', 'three']);
  assert.deepEqual(decoder.push(Buffer.from('ur\n')), ['four']);
});

test('empty lines are returned as empty strings', () => {
  assert.deepEqual(feed(strict(1024).decoder, ['\n\na\n']), ['', '', 'a']);
});

test('\\r\\n line ends lose the \\r, also when \\r and \\n arrive in different chunks', () => {
  assert.deepEqual(feed(strict(1024).decoder, ['a\r\nb\r\n']), ['a', 'b']);
  assert.deepEqual(feed(strict(1024).decoder, ['a\r', '\nb\r', '\n']), ['a', 'b']);
  // Only the line end: a \r inside the line is data.
  assert.deepEqual(feed(strict(1024).decoder, ['a\rb\n']), ['a\rb']);
});

test('a multi-byte character cut between chunks is decoded whole', () => {
  const e = '{"name":"café"}\n';
  const cut = Buffer.from('{"name":"caf').length + 1; // inside the two bytes of é
  assert.deepEqual(feed(strict(1024).decoder, cutBytes(e, cut)), ['{"name":"café"}']);

  const emoji = '{"mood":"😀"}\n';
  const start = Buffer.from('{"mood":"').length;
  // The four bytes of 😀 spread over four chunks.
  assert.deepEqual(feed(strict(1024).decoder, cutBytes(emoji, start + 1, start + 2, start + 3)), ['{"mood":"😀"}']);
});

test('the decoder copies what it keeps: a chunk reused by the stream does not corrupt a pending line', () => {
  const decoder = strict(1024).decoder;
  const chunk = Buffer.from('abc');
  decoder.push(chunk);
  chunk.fill(0x7a); // "zzz"
  assert.deepEqual(decoder.push(Buffer.from('\n')), ['abc']);
});

test('a line of exactly maxLineBytes is fine; one byte more is dropped and reported', () => {
  assert.deepEqual(feed(strict(10).decoder, ['0123456789\n']), ['0123456789']);
  const { decoder, overlong } = strict(10);
  assert.deepEqual(feed(decoder, ['0123456789a\n']), []);
  assert.deepEqual(overlong, [11]);
});

test('the limit counts bytes, not characters', () => {
  // Five characters, ten bytes.
  assert.deepEqual(feed(strict(10).decoder, ['ééééé\n']), ['ééééé']);
  const { decoder, overlong } = strict(9);
  assert.deepEqual(feed(decoder, ['ééééé\n']), []);
  assert.equal(overlong.length, 1);
});

test('an overlong line growing across chunks is reported once, when it ends, with its size and both ends', () => {
  const { decoder, overlong, lines } = strict(10);
  assert.deepEqual(decoder.push(Buffer.from('012345')), []);
  assert.deepEqual(decoder.push(Buffer.from('6789ab')), []);
  assert.deepEqual(overlong, [], 'not before its end: the tail is where an SDK answer names its id');
  assert.deepEqual(decoder.push(Buffer.from('cd\nok\n')), ['ok']);
  assert.deepEqual(overlong, [14]);
  assert.equal(lines[0]!.head.toString(), '0123456789abcd');
  assert.equal(lines[0]!.tail.toString(), '0123456789abcd');
});

test('an overlong line keeps only EDGE_BYTES of each end, however long it grows', () => {
  const { decoder, lines } = strict(1024);
  decoder.push(Buffer.from('H'.repeat(EDGE_BYTES) + 'x'.repeat(5000)));
  for (let i = 0; i < 100; i++) decoder.push(Buffer.alloc(10_000, 0x79));
  decoder.push(Buffer.from('y'.repeat(100) + 'T'.repeat(EDGE_BYTES) + '\n'));
  const [line] = lines;
  assert.equal(line!.bytes, EDGE_BYTES + 5000 + 1_000_000 + 100 + EDGE_BYTES);
  assert.equal(line!.head.toString(), 'H'.repeat(EDGE_BYTES));
  assert.equal(line!.tail.toString(), 'T'.repeat(EDGE_BYTES));
});

test('the tail of an overlong line is never taken for a line, and the lines around it are kept', () => {
  const { decoder, overlong } = strict(10);
  assert.deepEqual(decoder.push(Buffer.from('x'.repeat(11))), []);
  assert.deepEqual(decoder.push(Buffer.from('{"tail":1}\n{"a":1}\n')), ['{"a":1}']);
  assert.deepEqual(decoder.push(Buffer.from('{"a":1}\n' + 'x'.repeat(20) + '\n{"b":2}\n')), ['{"a":1}', '{"b":2}']);
  assert.equal(overlong.length, 2);
});

test('truncate mode keeps the first maxLineBytes of an overlong line and goes on', () => {
  const decoder = new LineDecoder(5, 'truncate');
  assert.deepEqual(decoder.push(Buffer.from('abcdefgh\nxy\n')), ['abcde', 'xy']);
  // Across chunks too: the excess of every chunk is dropped until the newline.
  assert.deepEqual(feed(decoder, ['abc', 'defg', 'hij\n', 'k\n']), ['abcde', 'k']);
});

test('non-JSON and garbage lines are not messages', () => {
  for (const line of ['', ' ', 'hello', 'Server listening on port 3000', '{', '{broken', '{"jsonrpc":"2.0"', 'not json {}', '\u0000\u0001']) {
    assert.equal(parseJsonRpcLine(line), undefined, JSON.stringify(line));
  }
});

test('JSON that is not a JSON-RPC message is not a message', () => {
  const notMessages = [
    '{}',
    '{"method":"ping"}',
    '{"jsonrpc":"1.0","method":"ping"}',
    '{"jsonrpc":2,"method":"ping"}',
    '{"jsonrpc":"2.0"}',
    '{"jsonrpc":"2.0","id":1}',
    '{"jsonrpc":"2.0","result":{}}',
    '{"jsonrpc":"2.0","method":5}',
    '[{"jsonrpc":"2.0","method":"ping"}]',
    '"{\\"jsonrpc\\":\\"2.0\\",\\"method\\":\\"ping\\"}"',
    '42',
    'null',
  ];
  for (const line of notMessages) assert.equal(parseJsonRpcLine(line), undefined, line);
  assert.equal(isJsonRpcMessage(null), false);
  assert.equal(isJsonRpcMessage([]), false);
});

test('requests, notifications, results and errors are messages, parsed as sent', () => {
  const messages = [
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'é😀' } } },
    { jsonrpc: '2.0', id: 'abc', method: 'ping' },
    { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 0.5 } },
    { jsonrpc: '2.0', id: 1, result: { content: [] } },
    { jsonrpc: '2.0', id: 2, result: null },
    { jsonrpc: '2.0', id: 3, error: { code: -32602, message: 'bad params' } },
    { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } },
  ];
  for (const message of messages) assert.deepEqual(parseJsonRpcLine(JSON.stringify(message)), message);
});

test('decoder and parser together: a stream of mixed output yields only the messages', () => {
  const decoder = strict(1024).decoder;
  const stream = 'starting...\r\n{"jsonrpc":"2.0","id":1,"result":{}}\r\n{"log":"x"}\n{"jsonrpc":"2.0","method":"notifications/message"}\n';
  const lines = feed(decoder, cutBytes(stream, 7, 20, 33, 60, 80));
  assert.deepEqual(
    lines.map(parseJsonRpcLine).filter((m) => m !== undefined),
    [
      { jsonrpc: '2.0', id: 1, result: {} },
      { jsonrpc: '2.0', method: 'notifications/message' },
    ],
  );
});
