/** The credential cache: hits are synchronous, concurrent misses share one mint, renewal comes before expiry, failures are not remembered. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenCache, type Minted } from '../../src/identity/token-cache.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

test('a cached credential is handed out synchronously; concurrent misses share one mint', async () => {
  const { now } = clock();
  const cache = new TokenCache<string>(now);
  let mints = 0;
  const mint = async (): Promise<Minted<string>> => ({ value: `token-${++mints}`, expiresAt: now() + 60_000 });
  const first = [cache.get('alice', mint), cache.get('alice', mint), cache.get('alice', mint)];
  assert.ok(first.every((value) => value instanceof Promise));
  assert.deepEqual(await Promise.all(first), ['token-1', 'token-1', 'token-1']);
  assert.equal(cache.get('alice', mint), 'token-1', 'a plain value, no promise');
  assert.equal(await cache.get('bob', mint), 'token-2', 'keys are separate');
  assert.equal(mints, 2);
});

test('renewed a quarter of its life before expiry (at least 5 s, at most 30 s)', async () => {
  const time = clock();
  const cache = new TokenCache<string>(time.now);
  let mints = 0;
  const mintFor = (lifetimeMs: number) => async (): Promise<Minted<string>> => ({ value: `token-${++mints}`, expiresAt: time.now() + lifetimeMs });
  await cache.get('a', mintFor(60_000));
  time.advance(44_000);
  assert.equal(cache.get('a', mintFor(60_000)), 'token-1', '60 s token, 15 s margin: still good at 44 s');
  time.advance(2_000);
  assert.equal(await cache.get('a', mintFor(60_000)), 'token-2', 'renewed at 46 s');

  await cache.get('long', mintFor(3_600_000));
  time.advance(3_569_000);
  assert.equal(typeof cache.get('long', mintFor(3_600_000)), 'string', 'an hour-long token: 30 s margin');
  time.advance(2_000);
  assert.ok(cache.get('long', mintFor(3_600_000)) instanceof Promise);

  const short = await cache.get('short', mintFor(8_000));
  time.advance(3_100);
  assert.notEqual(await cache.get('short', mintFor(8_000)), short, 'an 8 s token: 5 s margin');
});

test('a failed mint is not remembered, and a credential without an expiry is not reused', async () => {
  const { now } = clock();
  const cache = new TokenCache<string>(now);
  let attempts = 0;
  const failing = async (): Promise<Minted<string>> => {
    attempts++;
    throw new Error('token endpoint down');
  };
  await assert.rejects(Promise.resolve(cache.get('a', failing)), /token endpoint down/);
  await assert.rejects(Promise.resolve(cache.get('a', failing)), /token endpoint down/);
  assert.equal(attempts, 2, 'each call tries again');
  assert.equal(await cache.get('a', async () => ({ value: 'ok', expiresAt: now() + 60_000 })), 'ok');

  let mints = 0;
  const unknownLife = async (): Promise<Minted<string>> => ({ value: `once-${++mints}`, expiresAt: undefined });
  assert.equal(await cache.get('b', unknownLife), 'once-1');
  assert.equal(await cache.get('b', unknownLife), 'once-2');
});
