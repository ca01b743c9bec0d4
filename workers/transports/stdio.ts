/**
 * stdio upstream transport: the SDK's Transport contract, but the child runs in
 * its own process group so that stopping it ends the whole group. The SDK's
 * StdioClientTransport signals only the direct child, which is how peers leak
 * the grandchildren of `npx …` and shell wrappers.
 *
 * The lean connection (workers/lean-connection.ts) probes the era in place on
 * it: one spawn per connect, not the SDK's disposable sibling process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { killProcessGroup } from '../process-group.js';
import { responseIdFromEdges, type ResponseLimit } from '../response-limit.js';
import type { SandboxConfig } from '../../src/config/types.js';
import { childEnvironment, sandboxedLaunch } from './sandbox.js';
import { LineDecoder, parseJsonRpcLine, type OverlongLine } from './framing.js';
import { Outbox } from '../../src/threads/outbox.js';

export interface StdioTransportOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Names of the gateway's environment the child also gets (see sandbox.ts). */
  readonly envPassthrough?: readonly string[];
  readonly sandbox?: 'bubblewrap' | SandboxConfig;
  readonly cwd?: string;
  /**
   * A line (message) longer than `maxBytes` is dropped as it arrives; an answer
   * whose id can be read from its ends fails that request, anything else over
   * the limit closes the connection.
   */
  readonly responseLimit: ResponseLimit;
  /** How long to wait after SIGTERM before SIGKILL of the group. */
  readonly killGraceMs: number;
  readonly onStderrLine?: (line: string) => void;
  /** A line on stdout that is not a JSON-RPC message (servers that log to stdout). */
  readonly onNoise?: (line: string) => void;
  readonly onSpawn?: (pid: number) => void;
  readonly onExit?: (pid: number, code: number | null, signal: NodeJS.Signals | null) => void;
}


export class ProcessGroupStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;
  /** When set, takes each message with the line it came in (instead of onmessage): see RawTransport. */
  ontextmessage?: (message: JSONRPCMessage, text: string) => void;

  readonly #options: StdioTransportOptions;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #closed = false;
  #exitDetail = '';
  /** Set when the gateway itself ended the connection for what the upstream sent. */
  #closedBecause: string | undefined;

  constructor(options: StdioTransportOptions) {
    this.#options = options;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  get stderr(): Readable | null {
    return this.#child?.stderr ?? null;
  }

  /** Why the child ended, once it has (e.g. `exited with code 1`). */
  get exitDetail(): string {
    return this.#closedBecause === undefined ? this.#exitDetail : `${this.#closedBecause}, so the gateway closed it`;
  }

  start(): Promise<void> {
    if (this.#child) throw new Error('stdio transport already started');
    const options = this.#options;
    // A missing bwrap rejects here, before anything runs: never a silent start without the sandbox.
    let launch: { command: string; args: readonly string[] };
    try {
      launch = options.sandbox === undefined ? { command: options.command, args: options.args } : sandboxedLaunch(options.command, options.args, options.sandbox);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const child = spawn(launch.command, [...launch.args], {
        env: childEnvironment(options.env, options.envPassthrough),
        cwd: options.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        // A new process group, so the whole tree can be signalled at once.
        detached: true,
        shell: false,
      });
      this.#child = child;
      this.#exited = new Promise((done) => child.once('close', () => done()));

      child.once('error', (error) => {
        this.#exitDetail = `could not start "${options.command}": ${error.message}`;
        reject(new Error(this.#exitDetail));
        this.#finish();
      });
      child.once('spawn', () => {
        if (child.pid !== undefined) options.onSpawn?.(child.pid);
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.#exitDetail = signal ? `exited on signal ${signal}` : `exited with code ${code}`;
        if (child.pid !== undefined) options.onExit?.(child.pid, code, signal);
      });
      child.once('close', () => this.#finish());

      child.stdin?.on('error', (error) => this.onerror?.(error));
      const lines = new LineDecoder(options.responseLimit.maxBytes, (line) => this.#overlong(line));
      child.stdout?.on('data', (chunk: Buffer) => {
        for (const line of lines.push(chunk)) this.#deliver(line);
      });
      const stderrLines = new LineDecoder(64 * 1024, 'truncate');
      child.stderr?.on('data', (chunk: Buffer) => {
        for (const line of stderrLines.push(chunk)) if (line.trim()) options.onStderrLine?.(line);
      });
    });
  }

  #overlong(line: OverlongLine): void {
    const limit = this.#options.responseLimit;
    const id = responseIdFromEdges(line.head.toString('utf8'), line.tail.toString('utf8'));
    if (id !== undefined) {
      this.#receive(limit.errorResponse(id, line.bytes), undefined);
      return;
    }
    // Nobody can be told their answer was lost (no id), so it would hang until its timeout: restart instead.
    this.#closedBecause = `sent a ${line.bytes}-byte message, over maxResponseBytes (${limit.maxBytes} bytes), that names no request it answers`;
    this.onerror?.(new Error(`upstream ${this.#closedBecause}; closing the connection`));
    void this.close();
  }

  #deliver(line: string): void {
    const parsed = parseJsonRpcLine(line);
    if (parsed === undefined) {
      if (line.trim()) this.#options.onNoise?.(line);
      return;
    }
    this.#receive(parsed, line);
  }

  #receive(message: JSONRPCMessage, text: string | undefined): void {
    if (this.ontextmessage === undefined) this.onmessage?.(message);
    else this.ontextmessage(message, text ?? JSON.stringify(message));
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.sendText(JSON.stringify(message));
  }

  /** Sends one message already serialised (one line of JSON, no newline). */
  sendText(text: string): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || this.#closed || !stdin.writable) return Promise.reject(new Error('stdio upstream is not running'));
    // Resolve without waiting for drain: the worker's concurrency queue bounds what is in flight.
    // Lines sent in one turn of the event loop leave in one write: one pipe syscall for many calls.
    this.#outgoing.push(text + '\n');
    return Promise.resolve();
  }

  readonly #outgoing = new Outbox<string>((lines) => {
    const stdin = this.#child?.stdin;
    // As bytes: a string handed to the stream stays on the JS heap until the child has read it all.
    if (stdin && !this.#closed && stdin.writable) stdin.write(Buffer.from(lines.length === 1 ? lines[0]! : lines.join('')));
  });

  /** Ends stdin, then SIGTERM to the group, then SIGKILL to the group after the grace period. */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child || this.#closed) return;
    try {
      child.stdin?.end();
    } catch {
      // Already gone.
    }
    signalGroup(child, 'SIGTERM');
    const exited = this.#exited ?? Promise.resolve();
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.#options.killGraceMs).unref());
    if ((await Promise.race([exited, timer])) === 'timeout') signalGroup(child, 'SIGKILL');
    // Also kill stragglers in the group whose leader already exited (a wrapper's background jobs).
    signalGroup(child, 'SIGKILL');
    await exited;
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Leftover group members (grandchildren) must not outlive their leader.
    if (this.#child) signalGroup(this.#child, 'SIGKILL');
    this.onclose?.();
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined) killProcessGroup(child.pid, signal);
}
