/** The per-turn outbox over a real MessageChannel: one batch per turn, order kept, buffers moved rather than copied. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { describe, it } from 'node:test';
import { jsonTextString, ownedUtf8, TRANSFER_MIN_CHARS } from '../../src/json-text.js';
import { Outbox } from '../../src/threads/outbox.js';

describe('Outbox', () => {
  it('sends one batch per turn, in order, and transfers the buffers pushed with its messages', async () => {
    const { port1, port2 } = new MessageChannel();
    const batches: unknown[][] = [];
    const outbox = new Outbox<unknown>((batch, transfer) => {
      batches.push([...batch]);
      port1.postMessage(batch, transfer);
    });
    const text = 'é✓𝄞 '.repeat(TRANSFER_MIN_CHARS);
    const bytes = ownedUtf8(text);
    outbox.push({ n: 1 });
    outbox.push({ n: 2, bytes }, bytes.buffer as ArrayBuffer);
    outbox.push({ n: 3 });
    const [received] = (await once(port2, 'message')) as [{ n: number; bytes?: Uint8Array }[]];
    assert.equal(batches.length, 1, 'one postMessage for the turn');
    assert.deepEqual(received.map((m) => m.n), [1, 2, 3]);
    assert.equal(bytes.byteLength, 0, "the sender's buffer was moved, not cloned");
    assert.equal(jsonTextString(received[1]!.bytes!), text);
    outbox.push({ n: 4 });
    const [next] = (await once(port2, 'message')) as [{ n: number }[]];
    assert.deepEqual(next.map((m) => m.n), [4]);
    port1.close();
  });

  it('ownedUtf8 never hands out a view of a shared pool, so transferring it takes nothing else along', () => {
    const small = ownedUtf8('{"a":1}');
    assert.equal(small.byteOffset, 0);
    assert.equal(small.buffer.byteLength, small.byteLength);
    assert.equal(jsonTextString(small), '{"a":1}');
  });
});
