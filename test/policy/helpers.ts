/** Small real servers the policy tests talk to: a JWKS endpoint, a token introspection endpoint, and SDK clients with credentials. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const MODERN = '2026-07-28';

export interface TestHttpServer {
  readonly url: string;
  /** Requests served so far. */
  hits: number;
  close(): Promise<void>;
}

/** A loopback HTTP server answering every request with `handle`. */
export async function serve(handle: (request: IncomingMessage, body: string, response: ServerResponse) => void | Promise<void>): Promise<TestHttpServer> {
  const state = { hits: 0 };
  const server: Server = createServer((request, response) => {
    state.hits++;
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => void handle(request, body, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get hits() {
      return state.hits;
    },
    set hits(value: number) {
      state.hits = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** An SDK v2 client pinned to 2026-07-28 that sends `headers` on every request. */
export async function modernClient(url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'policy-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
  return client;
}

/** An SDK v1 (2025) client over Streamable HTTP that sends `headers` on every request. */
export async function legacyClient(url: string, headers: Record<string, string>): Promise<{ client: V1Client; transport: V1Transport }> {
  const client = new V1Client({ name: 'policy-test-legacy', version: '1.0.0' });
  const transport = new V1Transport(new URL(`${url}/mcp`), { requestInit: { headers } });
  await client.connect(transport);
  return { client, transport };
}

/** A raw 2026-07-28 POST to /mcp with the headers the spec requires. */
export function modernPost(url: string, method: string, params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  const target = typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined;
  const name: Record<string, string> = target === undefined ? {} : { 'mcp-name': target };
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': method, ...name, ...headers },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } },
    }),
  });
}
