/**
 * `--client sdk`: the same targets through SDK v2's `Client.callTool`, which is
 * what an SDK-based agent pays per call (zod parse of every message and of
 * the CallToolResult, the protocol layer, fetch for HTTP). One Client per
 * connection; calls go round-robin.
 */
import { Client, SSEClientTransport, StreamableHTTPClientTransport, type ClientOptions, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { checkToolResult, walkListing } from './calls.js';
import { assertLoopback } from './http.js';
import { BENCH_CLIENT_INFO, MODERN_VERSION } from './targets/mcp-modern.js';
import type { CallReply, PreparedCall, Target, TargetSpec } from './types.js';

export class SdkTarget implements Target {
  readonly #spec: TargetSpec;
  readonly #count: number;
  readonly #timeoutMs: number;
  readonly #clients: { client: Client; transport: Transport }[] = [];
  #turn = 0;

  constructor(spec: TargetSpec, connections: number, timeoutMs: number) {
    if (spec.kind === 'rest' || spec.kind === 'get') throw new Error(`--client sdk speaks MCP; the "${spec.kind}" target is not an MCP endpoint (use --client lean)`);
    if (spec.kind !== 'stdio') assertLoopback(new URL(spec.url));
    this.#spec = spec;
    this.#count = Math.max(1, connections);
    this.#timeoutMs = timeoutMs;
  }

  get pids(): readonly number[] {
    return this.#clients.map(({ transport }) => (transport instanceof StdioClientTransport ? transport.pid : null)).filter((pid): pid is number => pid !== null);
  }

  async connect(): Promise<void> {
    for (let i = 0; i < this.#count; i++) {
      const { options, transport } = this.#create();
      const client = new Client(BENCH_CLIENT_INFO, options);
      await client.connect(transport, { timeout: this.#timeoutMs });
      this.#clients.push({ client, transport });
    }
  }

  #create(): { options: ClientOptions; transport: Transport } {
    const spec = this.#spec;
    const pinned: ClientOptions = { capabilities: {}, versionNegotiation: { mode: { pin: MODERN_VERSION } } };
    const legacy: ClientOptions = { capabilities: {} };
    switch (spec.kind) {
      case 'mcp':
        return { options: pinned, transport: new StreamableHTTPClientTransport(new URL(spec.url), { requestInit: { headers: { ...spec.headers } } }) };
      case 'mcp-legacy':
        return { options: legacy, transport: new StreamableHTTPClientTransport(new URL(spec.url), { requestInit: { headers: { ...spec.headers } } }) };
      case 'mcp-sse':
        return { options: legacy, transport: new SSEClientTransport(new URL(spec.url), { requestInit: { headers: { ...spec.headers } } }) };
      case 'stdio': {
        const transport = new StdioClientTransport({ command: spec.command, args: [...spec.args], env: { ...(process.env as Record<string, string>), ...spec.env }, stderr: 'ignore' });
        // 'auto' on stdio spawns a disposable probe child first (the SDK's way); the gateway probes in place.
        const options: ClientOptions = spec.protocol === 'modern' ? pinned : spec.protocol === 'legacy' ? legacy : { capabilities: {}, versionNegotiation: { mode: 'auto' } };
        return { options, transport };
      }
      default:
        throw new Error(`--client sdk cannot drive a "${spec.kind}" target`);
    }
  }

  async call(call: PreparedCall): Promise<CallReply> {
    const { client } = this.#clients[this.#turn++ % this.#clients.length]!;
    if (call.method === 'tools/list') {
      return walkListing(async (cursor) => {
        try {
          return { result: await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: this.#timeoutMs }), sent: 0, received: 0 };
        } catch (error) {
          const e = error as { code?: unknown; message?: string };
          return { error: `sdk ${String(e.code ?? (error as Error).name)}`, detail: e.message ?? String(error), sent: 0, received: 0 };
        }
      }, call);
    }
    // Bytes are not visible through the SDK; the argument size is the best estimate of what was sent.
    const sent = typeof call.arguments.message === 'string' ? call.arguments.message.length : 0;
    try {
      const result = await client.callTool({ name: call.tool, arguments: call.arguments }, { timeout: this.#timeoutMs });
      const verdict = checkToolResult(result, call);
      return verdict ? { ...verdict, sent, received: 0 } : { sent, received: 0 };
    } catch (error) {
      const e = error as { code?: unknown; message?: string };
      return { error: `sdk ${String(e.code ?? (error as Error).name)}`, detail: e.message ?? String(error), sent, received: 0 };
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map(({ client }) => client.close().catch(() => undefined)));
  }
}
