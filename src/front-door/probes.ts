/**
 * Kubernetes-style probes, answered from state the gateway already holds
 * (nothing is asked of an upstream):
 *
 * - `GET /health/live`: 200 whenever the event loop runs this handler. It
 *   never looks at upstreams, so a failing upstream never gets the gateway
 *   restarted (a restart would not mend it).
 * - `GET /health/ready`: 200 once the gateway listens with its config loaded,
 *   is not stopping, and at least `health.readyMinServers` enabled servers are
 *   ready (capped at how many are enabled); otherwise 503 saying why, so a
 *   load balancer sends traffic elsewhere meanwhile.
 *
 * `/api/v1/health` is the detailed view for people and dashboards.
 */
import type { Supervisor } from '../supervisor/supervisor.js';
import type { HttpResponse } from './engine.js';
import { sendJson } from './respond.js';

const LIVE = JSON.stringify({ status: 'live' });

export function sendLive(response: HttpResponse): void {
  response.send(200, { 'content-type': 'application/json; charset=utf-8' }, LIVE);
}

export function sendReady(response: HttpResponse, supervisor: Supervisor, readyMinServers: number, stopping: boolean): void {
  const enabled = supervisor.groups().filter((group) => group.config.enabled);
  const ready = enabled.filter((group) => group.state === 'ready').length;
  const required = Math.min(readyMinServers, enabled.length);
  const counts = { serversReady: ready, serversRequired: required };
  if (stopping) return void sendJson(response, 503, { status: 'not_ready', reason: 'the gateway is stopping', ...counts });
  if (ready < required) {
    const waiting = enabled.filter((group) => group.state !== 'ready').map((group) => `${group.config.id} (${group.state})`);
    return void sendJson(response, 503, { status: 'not_ready', reason: `${ready} of ${required} required servers ready (health.readyMinServers); not ready: ${waiting.join(', ')}`, ...counts });
  }
  sendJson(response, 200, { status: 'ready', ...counts });
}
