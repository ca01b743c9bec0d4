/** Starts the soak's gateway process (gateway-host.ts) and talks to it over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HostMemory, HostMessage, HostRequest } from './gateway-host.js';

const HOST_ENTRY = fileURLToPath(new URL('./gateway-host.js', import.meta.url));
const START_TIMEOUT_MS = 60_000;

type Pending = { resolve: (reply: Extract<HostMessage, { type: 'reply' }>) => void; reject: (error: Error) => void };
type Command = { type: 'memory' } | { type: 'kill'; server: string; replica: number } | { type: 'stop' };

export class GatewayHost {
  readonly url: string;
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #exited: Promise<void>;
  #nextId = 1;

  private constructor(child: ChildProcess, url: string, exited: Promise<void>) {
    this.#child = child;
    this.url = url;
    this.pid = child.pid!;
    this.#exited = exited;
    child.on('message', (message: HostMessage) => {
      if (message.type !== 'reply') return;
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      pending?.resolve(message);
    });
    void exited.then(() => {
      for (const pending of this.#pending.values()) pending.reject(new Error('the gateway process exited'));
      this.#pending.clear();
    });
  }

  /** Forks the host on `configPath`; resolves once the gateway listens (rejects if any server failed to start). */
  static start(configPath: string): Promise<GatewayHost> {
    const child = fork(HOST_ENTRY, [configPath], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the gateway did not start within ${START_TIMEOUT_MS} ms; stderr: ${stderr}`));
      }, START_TIMEOUT_MS);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the gateway process exited during start; stderr: ${stderr}`));
      });
      child.once('message', (message: HostMessage) => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        const host = new GatewayHost(child, message.url, exited);
        if (message.failed.length > 0) {
          void host.stop();
          reject(new Error(`servers failed to start: ${message.failed.join('; ')}`));
        } else resolve(host);
      });
    });
  }

  async memory(): Promise<HostMemory> {
    return (await this.#request({ type: 'memory' })).memory!;
  }

  async kill(server: string, replica: number): Promise<void> {
    await this.#request({ type: 'kill', server, replica });
  }

  /** Graceful stop; the process is killed if it has not exited 20 s later. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const escalate = setTimeout(() => this.#child.kill('SIGKILL'), 20_000);
    await this.#request({ type: 'stop' }).catch(() => undefined);
    await this.#exited;
    clearTimeout(escalate);
  }

  #request(command: Command): Promise<Extract<HostMessage, { type: 'reply' }>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, {
        resolve: (reply) => (reply.error ? reject(new Error(reply.error)) : resolve(reply)),
        reject,
      });
      this.#child.send({ id, ...command } as HostRequest);
    });
  }
}
