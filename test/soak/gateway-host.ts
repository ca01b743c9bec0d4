/**
 * The soak's gateway, in a process of its own so that its RSS and heap are
 * the gateway's alone (not the load generator's). It is started with IPC and
 * `--expose-gc`, runs the config it is given, and answers the soak's requests:
 *
 *   { id, type: 'memory' }                   → { id, memory: { rss, heapUsed, heapTotal, external } } (after a full GC)
 *   { id, type: 'kill', server, replica }    → { id } once the replica's worker thread is ended
 *   { id, type: 'stop' }                     → { id } once the gateway stopped; then it exits
 *
 *   node --expose-gc dist/test/soak/gateway-host.js <config.json>
 */
import { readFileSync } from 'node:fs';
import { normalizeConfig } from '../../src/config/load.js';
import { Gateway } from '../../src/gateway.js';

export interface HostMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
}

export type HostRequest = { readonly id: number } & ({ readonly type: 'memory' } | { readonly type: 'kill'; readonly server: string; readonly replica: number } | { readonly type: 'stop' });

export type HostMessage = { readonly type: 'ready'; readonly url: string; readonly failed: readonly string[] } | { readonly type: 'reply'; readonly id: number; readonly memory?: HostMemory; readonly error?: string };

function send(message: HostMessage): void {
  process.send?.(message);
}

function memory(): HostMemory {
  // Flat or growing is only readable after a full collection; without --expose-gc the figures are noisier, not wrong.
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external };
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (!configPath) throw new Error('usage: gateway-host.js <config.json>');
  const config = normalizeConfig(JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>, { env: {} });
  const gateway = new Gateway(config, { httpEngine: config.httpEngine, logLevel: config.logLevel });
  const report = await gateway.start();
  process.on('message', (request: HostRequest) => {
    const reply = (extra: Omit<Extract<HostMessage, { type: 'reply' }>, 'type' | 'id'> = {}) => send({ type: 'reply', id: request.id, ...extra });
    const fail = (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) });
    switch (request.type) {
      case 'memory':
        return reply({ memory: memory() });
      case 'kill': {
        const group = gateway.supervisor.group(request.server);
        if (!group) return fail(new Error(`no server ${request.server}`));
        return void group.killReplica(request.replica).then(() => reply(), fail);
      }
      case 'stop':
        return void gateway.stop().then(
          () => {
            reply();
            process.disconnect?.();
          },
          fail,
        );
    }
  });
  // The soak going away (crashed, interrupted) must not leave a gateway and its upstreams behind.
  process.on('disconnect', () => void gateway.stop().then(() => process.exit(0)));
  send({ type: 'ready', url: report.url, failed: report.servers.filter((s) => !s.ok).map((s) => `${s.id}: ${s.reason ?? 'not ready'}`) });
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway-host: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
