/**
 * The gateway's `requestState` for multi-round-trip calls (MRTR). The client
 * must echo it untouched; the gateway treats it as attacker-controlled: it is
 * HMAC-signed, expires, and carries which server and tool the retry belongs to
 * plus the upstream's own state, so the retry reaches the same upstream even
 * if the catalog changed in between.
 *
 * The key is generated per gateway process unless one is given, so a restart
 * invalidates states in flight (the client gets a clear error and starts over).
 * In a cluster every instance derives the same key from `cluster.secret`, and a
 * parked call's state names the instance holding it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.js';

export interface StatePayload {
  /** Server id. */
  readonly s: string;
  /** Tool (or prompt / resource) name on that server. */
  readonly t: string;
  /** The upstream's own requestState, if it sent one. */
  readonly u?: string;
  /** A call parked on this instance, waiting for the client's answer (a 2025 upstream's request). */
  readonly k?: string;
  /** An approval question (`approval.rules`), or a later round of an approved call: the hash of the exact arguments. */
  readonly a?: string;
  /** The approval question's nonce: one answer approves one dispatch. */
  readonly n?: string;
  /** When the approval question was asked, epoch ms (the request log's wait time). */
  readonly q?: number;
  /** The instance the call is parked on (in a cluster): a retry landing elsewhere is forwarded there. */
  readonly i?: string;
  /** The caller it was issued to (its `Caller.key`): another caller's retry is refused. */
  readonly p: string;
  /** Expiry, epoch ms. */
  readonly e: number;
}

const PREFIX = 'mcpgw1.';

export class RequestStateCodec {
  readonly #key: Buffer;
  readonly #ttlMs: number;
  readonly #instanceId: string | undefined;

  constructor(options: { key?: Buffer; ttlMs: number; instanceId?: string }) {
    this.#key = options.key ?? randomBytes(32);
    this.#ttlMs = options.ttlMs;
    this.#instanceId = options.instanceId;
  }

  /** The instance this codec issues states for (in a cluster). */
  get instanceId(): string | undefined {
    return this.#instanceId;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  wrap(serverId: string, target: string, callerKey: string, inside: { upstreamState?: string; parkedKey?: string; approval?: { argumentsHash: string; nonce: string; askedAt: number; ttlMs: number }; approvedHash?: string }, now = Date.now()): string {
    const payload: StatePayload = {
      s: serverId,
      t: target,
      p: callerKey,
      ...(inside.upstreamState === undefined ? {} : { u: inside.upstreamState }),
      ...(inside.parkedKey === undefined ? {} : { k: inside.parkedKey, ...(this.#instanceId === undefined ? {} : { i: this.#instanceId }) }),
      ...(inside.approval === undefined ? {} : { a: inside.approval.argumentsHash, n: inside.approval.nonce, q: inside.approval.askedAt }),
      ...(inside.approvedHash === undefined ? {} : { a: inside.approvedHash }),
      // An approval question expires its rule's timeout after it was asked (not after this line ran: the two clocks may differ by a tick).
      e: inside.approval === undefined ? now + this.#ttlMs : inside.approval.askedAt + inside.approval.ttlMs,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${PREFIX}${body}.${this.#sign(body)}`;
  }

  unwrap(token: unknown, now = Date.now()): StatePayload {
    if (typeof token !== 'string' || !token.startsWith(PREFIX)) throw invalid('it was not issued by this gateway');
    const [body, signature] = token.slice(PREFIX.length).split('.');
    if (!body || !signature) throw invalid('it is malformed');
    const expected = Buffer.from(this.#sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid('its signature does not match (tampered, or issued by another gateway instance or before a restart)');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as StatePayload;
    if (payload.e < now) {
      // An approval question's state lives as long as the rule's timeout: answering it later is that timeout.
      if (payload.n !== undefined) throw new GatewayError('MCPGW_ERR_APPROVAL_TIMEOUT', 'the approval question this retry answers expired before the answer came (the approval rule\'s timeout); the call was not dispatched; call the tool again to be asked again', payload.q === undefined ? undefined : { timeoutSeconds: (payload.e - payload.q) / 1000 });
      throw invalid('it has expired; call the tool again without it');
    }
    return payload;
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}

function invalid(why: string): GatewayError {
  return new GatewayError('MCPGW_ERR_BAD_REQUEST_STATE', `requestState refused: ${why}`);
}
