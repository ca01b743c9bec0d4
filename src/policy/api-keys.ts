/**
 * API keys from the config, plain or as `sha256:<hex>`. Every configured key is
 * kept only as its SHA-256 digest, and a presented key is hashed and compared
 * against each digest in constant time, so neither the comparison's timing nor
 * a heap dump gives a plain key away.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig } from '../config/types.js';
import type { Caller } from './caller.js';

interface StoredKey {
  readonly digest: Buffer;
  readonly caller: Caller;
}

export class ApiKeyVerifier {
  readonly #keys: readonly StoredKey[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.#keys = keys.map((entry) => ({
      digest: entry.key.startsWith('sha256:') ? Buffer.from(entry.key.slice('sha256:'.length), 'hex') : sha256(entry.key),
      caller: Object.freeze({
        key: `key:${entry.name}`,
        name: entry.name,
        via: 'api-key' as const,
        roles: entry.roles,
        scopes: [],
        ...(entry.tenant !== undefined ? { tenant: entry.tenant } : {}),
        ...(entry.rateLimit !== undefined ? { rateLimit: entry.rateLimit } : {}),
      }),
    }));
  }

  /** The caller a key belongs to, or undefined. Compares against every key, so the time taken says nothing about which matched. */
  verify(presented: string): Caller | undefined {
    const digest = sha256(presented);
    let found: Caller | undefined;
    for (const key of this.#keys) if (timingSafeEqual(key.digest, digest) && found === undefined) found = key.caller;
    return found;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
