/**
 * Lean client for a stdio MCP server the harness spawns itself: raw
 * newline-delimited JSON-RPC on the child's pipes, an id map, no SDK, no
 * schema. The era is settled as the gateway settles it (`auto`: a
 * `server/discover` probe, `initialize` if that fails), so "direct" and
 * "through the gateway" talk to the upstream in the same protocol.
 * With several connections, each is its own child and calls go round-robin.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { checkToolResult, walkListing } from '../calls.js';
import type { CallReply, PreparedCall, Target } from '../types.js';
import { LEGACY_VERSION } from './mcp-legacy.js';
import { BENCH_CLIENT_INFO, MODERN_META, MODERN_VERSION } from './mcp-modern.js';

const PROBE_TIMEOUT_MS = 5000;
const SWEEP_MS = 250;

interface Answer {
  readonly message?: Record<string, unknown>;
  readonly error?: string;
  readonly detail?: string;
  /** Bytes of the answer's line. */
  readonly received: number;
}

interface Pending {
  readonly settle: (answer: Answer) => void;
  readonly deadline: number;
}

/** One child process and its framing. */
class StdioPeer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #parts: Buffer[] = [];
  #stderr = '';
  #exit: string | undefined;
  #closing = false;
  era: 'modern' | 'legacy' = 'legacy';

  constructor(command: string, args: readonly string[], env: Readonly<Record<string, string>> | undefined) {
    this.child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.child.stdout.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-2000);
    });
    this.child.stdin.on('error', () => undefined);
    this.child.once('error', (error) => this.#gone(`could not be spawned: ${error.message}`));
    this.child.once('exit', (code, signal) => this.#gone(`exited (code ${code}, signal ${signal})`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  describeExit(): string {
    const tail = this.#stderr.trim().split('\n').slice(-3).join(' | ');
    return `${this.#exit ?? 'still running'}${tail ? `; stderr: ${tail}` : ''}`;
  }

  /** Sends a request; resolves with the answer (or an error kind). Bytes written are returned at once. */
  request(method: string, params: Record<string, unknown>, timeoutMs: number): { sent: number; answer: Promise<Answer> } {
    const id = this.#nextId++;
    const line = JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n';
    const answer = new Promise<Answer>((resolve) => {
      if (this.#exit !== undefined) {
        resolve({ error: 'upstream_exited', detail: this.describeExit(), received: 0 });
        return;
      }
      this.#pending.set(id, { deadline: Date.now() + timeoutMs, settle: resolve });
      this.child.stdin.write(line);
    });
    return { sent: Buffer.byteLength(line), answer };
  }

  notify(method: string, params?: Record<string, unknown>): void {
    this.child.stdin.write(JSON.stringify(params ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', method }) + '\n');
  }

  /** Fails calls past their deadline (one sweep timer per peer, not one timer per call). */
  sweep(now: number): void {
    for (const [id, pending] of this.#pending) {
      if (pending.deadline > now) continue;
      this.#pending.delete(id);
      pending.settle({ error: 'timeout', detail: `no answer to id ${id} within the timeout`, received: 0 });
    }
  }

  #onData(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(10);
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline);
      let line = piece;
      if (this.#parts.length > 0) {
        this.#parts.push(piece);
        line = Buffer.concat(this.#parts);
        this.#parts = [];
      }
      this.#onLine(line);
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length) this.#parts.push(start === 0 ? chunk : chunk.subarray(start));
  }

  #onLine(line: Buffer): void {
    if (line.length === 0) return;
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
    } catch {
      return; // Noise on stdout: the gateway ignores it too.
    }
    const id = message.id;
    if (typeof id !== 'number' || message.method !== undefined) return; // A notification or a server→client request.
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    pending.settle({ message, received: line.length + 1 });
  }

  #gone(reason: string): void {
    this.#exit ??= reason;
    if (this.#closing) return;
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.settle({ error: 'upstream_exited', detail: this.describeExit(), received: 0 });
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    this.child.kill('SIGTERM');
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(kill);
  }
}

export class StdioTarget implements Target {
  readonly #command: string;
  readonly #args: readonly string[];
  readonly #env: Readonly<Record<string, string>> | undefined;
  readonly #protocol: 'auto' | 'modern' | 'legacy';
  readonly #timeoutMs: number;
  readonly #peers: StdioPeer[] = [];
  readonly #count: number;
  #turn = 0;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(command: string, args: readonly string[], options: { connections: number; timeoutMs: number; protocol: 'auto' | 'modern' | 'legacy'; env?: Readonly<Record<string, string>> }) {
    this.#command = command;
    this.#args = args;
    this.#env = options.env;
    this.#protocol = options.protocol;
    this.#timeoutMs = options.timeoutMs;
    this.#count = Math.max(1, options.connections);
  }

  get pids(): readonly number[] {
    return this.#peers.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** The era each child settled on. */
  get eras(): readonly ('modern' | 'legacy')[] {
    return this.#peers.map((p) => p.era);
  }

  async connect(): Promise<void> {
    for (let i = 0; i < this.#count; i++) this.#peers.push(new StdioPeer(this.#command, this.#args, this.#env));
    this.#sweeper = setInterval(() => {
      const now = Date.now();
      for (const peer of this.#peers) peer.sweep(now);
    }, SWEEP_MS);
    this.#sweeper.unref();
    await Promise.all(this.#peers.map((peer) => this.#handshake(peer)));
  }

  async #handshake(peer: StdioPeer): Promise<void> {
    if (this.#protocol !== 'legacy') {
      const probe = await peer.request('server/discover', { _meta: MODERN_META }, this.#protocol === 'modern' ? this.#timeoutMs : PROBE_TIMEOUT_MS).answer;
      const result = probe.message?.result as { supportedVersions?: unknown } | undefined;
      if (Array.isArray(result?.supportedVersions) && result.supportedVersions.includes(MODERN_VERSION)) {
        peer.era = 'modern';
        return;
      }
      if (probe.error === 'upstream_exited') throw new Error(`the server ${peer.describeExit()}`);
      if (this.#protocol === 'modern') throw new Error(`server/discover failed: ${probe.detail ?? JSON.stringify(probe.message?.error)}`);
    }
    const init = await peer.request('initialize', { protocolVersion: LEGACY_VERSION, capabilities: {}, clientInfo: BENCH_CLIENT_INFO }, this.#timeoutMs).answer;
    if (!init.message?.result) throw new Error(`initialize failed: ${init.error === 'upstream_exited' ? `the server ${peer.describeExit()}` : (init.detail ?? JSON.stringify(init.message?.error))}`);
    peer.notify('notifications/initialized');
    peer.era = 'legacy';
  }

  async call(call: PreparedCall): Promise<CallReply> {
    const peer = this.#peers[this.#turn++ % this.#peers.length]!;
    if (call.method === 'tools/list') {
      return walkListing(async (cursor) => {
        const params: Record<string, unknown> = peer.era === 'modern' ? { _meta: MODERN_META } : {};
        if (cursor !== undefined) params.cursor = cursor;
        const { sent, answer } = peer.request('tools/list', params, this.#timeoutMs);
        const { message, error, detail, received } = await answer;
        if (error || !message) return { error: error ?? 'bad_response', ...(detail ? { detail } : {}), sent, received };
        const rpcError = message.error as { code?: unknown; message?: unknown } | undefined;
        if (rpcError) return { error: `rpc ${String(rpcError.code)}`, detail: String(rpcError.message), sent, received };
        return { result: message.result, sent, received };
      }, call);
    }
    const params = peer.era === 'modern' ? { name: call.tool, arguments: call.arguments, _meta: MODERN_META } : { name: call.tool, arguments: call.arguments };
    const { sent, answer } = peer.request('tools/call', params, this.#timeoutMs);
    const { message, error, detail, received } = await answer;
    if (error || !message) return { error: error ?? 'bad_response', ...(detail ? { detail } : {}), sent, received };
    const rpcError = message.error as { code?: unknown; message?: unknown } | undefined;
    if (rpcError) return { error: `rpc ${String(rpcError.code)}`, detail: String(rpcError.message), sent, received };
    const verdict = checkToolResult(message.result, call);
    return verdict ? { ...verdict, sent, received } : { sent, received };
  }

  async close(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    await Promise.all(this.#peers.map((peer) => peer.close()));
  }
}
