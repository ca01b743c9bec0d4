/** The one way a request body becomes JSON, so every path reports malformed JSON alike (400 / -32700). */
import { GatewayError } from '../errors.js';

export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new GatewayError('MCPGW_ERR_BAD_JSON', `request body is not valid JSON: ${(error as Error).message}`);
  }
}
