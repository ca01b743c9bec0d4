#!/usr/bin/env node
/**
 * What a 2025 session costs across instances, for the two known designs
 * (README, design notes):
 *
 *   registry   a record in Redis: one SET at initialize; a GET the first time a
 *              session's request reaches an instance (then the instance's own map);
 *              a PEXPIRE at most every quarter of the idle timeout.
 *   stateless  the session's state in the id itself, AES-256-GCM sealed with a
 *              key the instances share: no Redis, but every request opens the id
 *              (or an instance caches it, which is the registry again, locally).
 *   stateless+kdf  the same with a slow key derivation per new session (scrypt,
 *              as a password-style KDF would), the published cost of one gateway's
 *              design.
 *
 *   npm run build && node bench/micro/session-lookup.mjs [--redis redis://127.0.0.1:6379] [--n 20000]
 *
 * Prints µs per operation (median of 5 rounds). A figure for comparing designs
 * on one machine, never an assertion anywhere.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { Redis } from 'ioredis';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1];
}
const N = Number(option('n', 20_000));
const REDIS_URL = option('redis', process.env.MCP_GATEWAY_REDIS_URL ?? 'redis://127.0.0.1:6379');

const record = {
  owner: 'key:agent-7',
  protocolVersion: '2025-06-18',
  clientInfo: { name: 'claude-code', version: '2.1.0' },
  capabilities: { elicitation: { form: {}, url: {} }, sampling: {}, roots: { listChanged: true } },
};

const key = Buffer.from(hkdfSync('sha256', 'a-cluster-secret-of-at-least-32-characters', 'mcp-gateway', 'session', 32));

function seal(value, sealKey = key) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value)), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function open(id, openKey = key) {
  const raw = Buffer.from(id, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', openKey, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'));
}

async function measure(label, count, run) {
  const rounds = [];
  for (let round = 0; round < 6; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await run(i);
    if (round > 0) rounds.push(Number(process.hrtime.bigint() - started) / 1000 / count);
  }
  rounds.sort((a, b) => a - b);
  console.log(`${label.padEnd(52)} ${rounds[2].toFixed(2).padStart(9)} µs`);
  return rounds[2];
}

const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
const prefix = `mcpgw-bench:${randomUUID()}:`;
try {
  await redis.connect();
  const ids = Array.from({ length: 1000 }, () => randomUUID());
  const sealed = seal(record);
  console.log(`session record ${JSON.stringify(record).length} B; sealed id ${sealed.length} characters (a uuid is 36)`);
  await measure('registry: create (SET with PX)', N, (i) => redis.set(prefix + ids[i % 1000], JSON.stringify(record), 'PX', 60_000));
  await measure('registry: first request on an instance (GET+parse)', N, async (i) => JSON.parse(await redis.get(prefix + ids[i % 1000])));
  await measure('registry: later requests (the instance\'s own map)', N * 50, () => undefined);
  await measure('stateless: create (seal)', N, () => seal(record));
  await measure('stateless: every request (open)', N, () => open(sealed));
  await measure('stateless+kdf: create (scrypt N=2^14 + seal)', 50, () => seal(record, scryptSync(randomBytes(16), randomBytes(16), 32)));
} finally {
  const keys = await redis.keys(`${prefix}*`).catch(() => []);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
