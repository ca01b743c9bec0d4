/**
 * The `X-Request-Id` of every answer: the client's own when it sent a sane
 * one (printable ASCII without spaces, at most 128 characters — anything else
 * could smuggle text into logs or headers, so it is replaced, never echoed),
 * otherwise `<instance>-<counter>`: a random prefix drawn once per gateway
 * and a base-36 counter, unique across instances without a random draw per
 * request.
 */
import { randomBytes } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

const SANE_REQUEST_ID = /^[!-~]{1,128}$/;

export class RequestIds {
  readonly #prefix: string;
  #counter = 0;

  constructor(prefix: string = randomBytes(6).toString('base64url')) {
    this.#prefix = prefix;
  }

  /** The id a request is known by, given the header value it came with. */
  of(sent: string | undefined): string {
    return sent !== undefined && SANE_REQUEST_ID.test(sent) ? sent : this.next();
  }

  next(): string {
    return `${this.#prefix}-${(++this.#counter).toString(36)}`;
  }
}
